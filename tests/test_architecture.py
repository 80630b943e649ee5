"""The layering of docs/architecture.md, checked on the source.

Every import in ``diagnose/`` and ``dashboard/`` is read from the syntax tree, function-local
and ``TYPE_CHECKING`` imports included, and must go down the layers:

    base (exceptions, options, settings, values, _compat, _lazy, _text, _threads)
      -> ingest -> metrics -> stats -> thresholds, error_analysis -> bias_variance -> curves, gate
      -> store -> present -> service -> api -> cli, dashboard (and the facade, diagnose/__init__)

A package's private modules (``_name.py``) are its own: other packages import its public
``__init__``. No module imports another module's private names.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import ROOT

PACKAGE = ROOT / "diagnose"
DASHBOARD = ROOT / "dashboard"

BASE = {"exceptions", "options", "settings", "values", "_compat", "_lazy", "_text", "_threads"}
COMPUTE = {"metrics", "stats", "thresholds", "bias_variance", "curves", "error_analysis", "gate", "paired",
           "calibration"}
# what each unit of diagnose may import, besides itself and the base
ALLOWED: dict[str, set[str]] = {
    "exceptions": set(), "options": {"exceptions"}, "settings": {"exceptions"}, "values": {"exceptions"},
    "_compat": set(), "_lazy": set(), "_text": set(), "_threads": set(),
    "ingest": set(),
    "metrics": {"ingest"},
    "stats": {"ingest", "metrics"},
    "thresholds": {"ingest", "metrics"},
    "bias_variance": {"ingest", "metrics", "stats", "thresholds", "error_analysis", "calibration"},
    "curves": {"ingest", "metrics", "bias_variance"},
    "error_analysis": {"ingest", "metrics"},
    "paired": {"ingest", "metrics"},
    "calibration": {"ingest", "metrics"},
    "gate": {"ingest", "metrics", "bias_variance"},
    "store": {"ingest"},
    "migrations": {"store"},
    "present": {"ingest", "store"} | COMPUTE,
    "service": {"ingest", "store", "present"} | COMPUTE,
    # the HTTP API (diagnose serve and its client): the service's workflows behind keys
    "api": {"ingest", "store", "present", "service"} | COMPUTE,
    "cli": {"ingest", "store", "present", "service", "api"} | COMPUTE,
    "__init__": {"ingest", "store", "present", "service", "api", "cli"} | COMPUTE,
}
# functions of ingest that read files: compute packages take validated values instead
READERS = {"read_table", "read_split", "read_rule_file", "load_splits", "load_predictions", "load_cv_test",
           "load_runs", "load_tagged", "load_curve_summary"}
HEAVY_FOR_COMPUTE = {"sqlalchemy", "streamlit", "click", "alembic"}


def unit_of(path: Path) -> str:
    """The layering unit a file of diagnose/ belongs to: its package, or a base module's name."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, root: Path) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module, imported names) of every import in the file."""
    here = module_name(path, root).split(".")
    if path.name != "__init__.py":
        here = here[:-1]  # the package a relative import starts from
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            names = [a.name for a in node.names]
            if not node.module:  # from . import x: x is a module of that package
                out += [(node.lineno, f"{target}.{n}", []) for n in names]
            else:
                out.append((node.lineno, target, names))
    return out


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _files(root: Path):
    return sorted(p for p in root.rglob("*.py") if "versions" not in p.parts)


def violations() -> list[str]:
    found = []
    for path in _files(PACKAGE):
        unit = unit_of(path)
        for line, target, names in imports(path, PACKAGE):
            where = f"{_rel(path)}:{line}"
            top = target.split(".")[0]
            if top in ("dashboard", "streamlit"):
                found.append(f"{where} imports {target}: diagnose never imports the dashboard or Streamlit")
            if unit in COMPUTE | {"ingest"} and top in HEAVY_FOR_COMPUTE:
                found.append(f"{where} imports {target}: compute code does no storage or user interface")
            if top != "diagnose":
                continue
            parts = target.split(".")
            other = parts[1] if len(parts) > 1 else "__init__"
            if other != unit and other not in BASE and other not in ALLOWED.get(unit, set()):
                found.append(f"{where}: {unit} imports {target}, against the layering")
            if other != unit and len(parts) > 2 and parts[2].startswith("_"):
                found.append(f"{where}: {target} is a private module of {other}; import diagnose.{other}")
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and ".".join(parts) != module_name(path, PACKAGE):
                found.append(f"{where}: imports the private name(s) {', '.join(private)} from {target}")
            if unit in COMPUTE and other == "ingest" and set(names) & READERS:
                found.append(f"{where}: {unit} imports the reader(s) {', '.join(sorted(set(names) & READERS))}; "
                             "compute packages take validated values (reading is ingest's, workflows service's)")
    for path in _files(DASHBOARD):
        for line, target, names in imports(path, DASHBOARD):
            parts = target.split(".")
            if parts[0] == "diagnose" and (any(p.startswith("_") for p in parts[1:])
                                           or any(n.startswith("_") for n in names)):
                found.append(f"{_rel(path)}:{line}: the dashboard uses {target} "
                             f"{names}: only public names of diagnose")
    return found


def test_every_import_goes_down_the_layers():
    assert violations() == []


def test_the_checker_sees_function_local_relative_and_private_imports(tmp_path, monkeypatch):
    # a fake package with three kinds of violation, to show the check can fail
    fake = tmp_path / "diagnose"
    (fake / "metrics").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "metrics" / "__init__.py").write_text("")
    (fake / "metrics" / "_x.py").write_text(
        "def f():\n    from ..service import report\n    from ..ingest._read import to_numpy\n"
        "    from ..ingest import read_table, _secret\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    monkeypatch.setattr(sys.modules[__name__], "DASHBOARD", tmp_path / "nothing")
    found = "\n".join(violations())
    assert "metrics imports diagnose.service, against the layering" in found
    assert "diagnose.ingest._read is a private module of ingest" in found
    assert "imports the private name(s) _secret" in found
    assert "imports the reader(s) read_table" in found


def test_at_most_ten_modules_directly_under_diagnose():
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= 10, modules


def test_packages_have_private_modules_behind_a_public_init():
    for package in sorted(p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()):
        if package.name in ("cli", "migrations"):
            continue  # command modules and alembic's env are not imported by other packages
        public = [p.name for p in package.glob("*.py") if not p.name.startswith("_")]
        assert public == [], f"{package.name}: {public} should be private (_name.py) behind __init__"


def test_dashboard_helpers_run_without_streamlit():
    from tests.test_architecture import imports as imports_of

    for name in ("uploads", "tagging", "__init__"):
        names = {t.split(".")[0] for _, t, _ in imports_of(DASHBOARD / f"{name}.py", DASHBOARD)}
        assert "streamlit" not in names, name


def test_dashboard_caches_in_one_module():
    users = sorted(p.relative_to(DASHBOARD).as_posix() for p in DASHBOARD.rglob("*.py")
                   if "cache_data" in p.read_text() or "cache_resource" in p.read_text())
    assert users == ["data.py"]


@pytest.mark.parametrize("entry, heavy", [
    ("from diagnose.cli import main",
     ("numpy", "pandas", "sklearn", "sqlalchemy", "scipy", "pyarrow", "streamlit", "altair")),
    # diagnose report computes and renders without the database layer, pandas or the charts
    ("from diagnose.service import prepare_run; import diagnose.present",
     ("pandas", "sklearn", "sqlalchemy", "scipy", "streamlit", "altair")),
    ("import diagnose.store", ("pandas", "sklearn", "sqlalchemy", "scipy", "pyarrow", "streamlit", "altair")),
    # rendering comes after reading (pyarrow is loaded by then), never before the database or a chart
    ("import diagnose.present", ("pandas", "sklearn", "sqlalchemy", "scipy", "streamlit", "altair")),
])
def test_startup_imports_no_heavy_modules(entry, heavy):
    # the command line starts fast: the database layer, pandas and scikit-learn load on use
    code = f"import sys; {entry}; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""
