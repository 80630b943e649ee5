"""What each install brings: packages and disk space of a fresh venv per choice.

    python benchmarks/install_size.py            # slim and dashboard installs of this clone

Each install goes into its own new venv in a temporary folder (pip's cache makes the second
one quick): ``pip install -e .`` (the library and the command line) and
``pip install -e '.[dashboard]'``. Packages are the rows of ``pip list`` (pip, setuptools and
diagnose itself included); size is the venv folder on disk. The figures are in
benchmarks/RESULTS.md and docs/dashboard.md.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHOICES = {"slim: pip install -e .": ".", "dashboard: pip install -e '.[dashboard]'": ".[dashboard]"}


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def measure(target: str, where: Path) -> tuple[int, float]:
    """(packages, megabytes) of a fresh venv with ``pip install -e <target>`` of this clone."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    pip = where / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", "-e", target], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    listed = subprocess.run([str(pip), "list", "--format=freeze"], check=True, capture_output=True, text=True)
    return len(listed.stdout.split()), _size_mb(where)


def main() -> None:
    print(f"{'install':<42} {'packages':>8} {'MB':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, target) in enumerate(CHOICES.items()):
            packages, mb = measure(target, Path(tmp) / f"venv{i}")
            print(f"{label:<42} {packages:>8} {mb:>6.0f}")


if __name__ == "__main__":
    main()
