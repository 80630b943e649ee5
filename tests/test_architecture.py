"""The import direction of the design (ingest -> compute -> results -> store -> cli), checked on the source."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "diagnose"
COMPUTE = ("metrics", "bias_variance", "results", "diagnosis", "thresholds", "threshold_choice",
           "classification", "curves", "curve_learning", "curve_validation", "extrapolation",
           "error_analysis", "error_tally", "cohorts", "gate", "gate_rules", "comparison")
DASHBOARD = PACKAGE.parent / "dashboard"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_nothing_under_diagnose_imports_streamlit():
    offenders = [p.name for p in PACKAGE.rglob("*.py") if "streamlit" in imports_of(p)]
    assert offenders == []


def test_nothing_under_diagnose_imports_the_dashboard():
    offenders = [p.name for p in PACKAGE.rglob("*.py") if "dashboard" in imports_of(p)]
    assert offenders == []


def test_dashboard_helpers_run_without_streamlit():
    # charts and uploads are tested on their own: they must not need Streamlit
    for name in ("uploads", "tagging", "__init__"):
        assert "streamlit" not in imports_of(DASHBOARD / f"{name}.py"), name


def test_dashboard_caches_in_one_module():
    users = sorted(p.relative_to(DASHBOARD).as_posix() for p in DASHBOARD.rglob("*.py")
                   if "cache_data" in p.read_text() or "cache_resource" in p.read_text())
    assert users == ["data.py"]


def test_compute_modules_do_no_storage_or_ui():
    for name in COMPUTE:
        path = PACKAGE / f"{name}.py"
        if path.exists():
            assert not imports_of(path) & {"sqlalchemy", "streamlit", "click", "alembic"}, name


def test_cli_help_imports_no_heavy_modules():
    code = ("import sys; from diagnose.cli import main; "
            "heavy = [m for m in ('pandas', 'sklearn', 'sqlalchemy', 'scipy', 'pyarrow', 'streamlit') "
            "if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
