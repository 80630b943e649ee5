"""Every library name of the release before the re-house still resolves: the list in
``tests/data/old_public_names.json`` was recorded from that code before anything moved.
Old module names (``diagnose.results``) load their names from the new homes and say so
with a DeprecationWarning; the new homes are quiet.
"""
from __future__ import annotations

import json
import subprocess
import sys
import warnings
from importlib import import_module

import pytest

from tests.fixtures import DATA

OLD = json.loads((DATA / "old_public_names.json").read_text())


@pytest.mark.parametrize("module", sorted(OLD))
def test_every_old_name_still_resolves(module):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        mod = import_module(module)
        missing = [name for name in OLD[module] if not hasattr(mod, name)]
    assert missing == []


def test_old_names_are_the_same_objects_as_the_new_ones():
    from diagnose.bias_variance import Report
    from diagnose.ingest import Predictions
    from diagnose.service import learning_curve, prepare_run

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from diagnose.curve_learning import learning_curve as old_curve
        from diagnose.ingest.values import Predictions as old_predictions
        from diagnose.results import Report as old_report
        from diagnose.store import prepare_run as old_prepare
    assert (old_report, old_predictions, old_curve, old_prepare) == (Report, Predictions, learning_curve, prepare_run)


def test_an_old_name_warns_where_it_now_lives():
    with pytest.warns(DeprecationWarning, match=r"diagnose.results.Report is now diagnose.bias_variance.Report"):
        from diagnose.results import Report  # noqa: F401
    with pytest.warns(DeprecationWarning, match=r"diagnose.store.prepare_run is now diagnose.service.prepare_run"):
        from diagnose.store import prepare_run  # noqa: F401


def test_the_new_homes_import_without_warnings():
    code = ("import warnings; warnings.simplefilter('error'); import diagnose; "
            "from diagnose import service, store, present, gate, curves, thresholds, error_analysis, ingest; "
            "from diagnose.cli import main")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_unknown_old_name_is_an_attribute_error():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        mod = import_module("diagnose.results")
    with pytest.raises(AttributeError, match="has no attribute 'Nothing'"):
        mod.Nothing  # noqa: B018


def test_no_old_module_name_shadows_a_real_module():
    from diagnose._compat import MODULES

    for name in MODULES:
        parent, _, child = name.rpartition(".")
        package = import_module(parent)
        path = package.__path__[0]
        from pathlib import Path

        assert not (Path(path) / f"{child}.py").exists() and not (Path(path) / child / "__init__.py").exists(), name
