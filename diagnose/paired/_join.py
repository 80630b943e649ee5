"""Two models' predictions of the same rows, joined by id: b's rows put in a's order."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import UsageError

if TYPE_CHECKING:
    from ..ingest import Predictions

EXAMPLES_SHOWN = 3


def _examples(ids: np.ndarray) -> str:
    """A few of ``ids``, smallest first where they sort."""
    try:
        shown = np.sort(ids)[:EXAMPLES_SHOWN]
    except TypeError:  # ids of mixed types do not sort
        shown = ids[:EXAMPLES_SHOWN]
    return ", ".join(str(v) for v in shown.tolist())


def _count(what: str, ids: np.ndarray) -> str:
    return f"{what}: {ids.shape[0]} (e.g. {_examples(ids)})"


def _id_kind(ids: np.ndarray) -> str:
    return "numbers" if ids.dtype.kind in "iuf" else "text"


def align(a: Predictions, b: Predictions) -> tuple[Predictions, Predictions, tuple[str, ...]]:
    """``a`` and ``b`` on the same rows in ``a``'s order (joined by id), and the warnings.

    Both must hold ids, the same set of them (each once), the same task, classes and labels;
    sample weights must agree where both have them (one side's weights are used otherwise).

    >>> from diagnose.ingest import Predictions
    >>> a = Predictions("binary", np.array([1, 0, 1]), y_pred=np.array([1, 0, 0]), ids=np.array([7, 8, 9]))
    >>> b = Predictions("binary", np.array([1, 0, 1]), y_pred=np.array([0, 1, 1]), ids=np.array([9, 8, 7]))
    >>> a2, b2, _ = align(a, b)
    >>> b2.ids.tolist(), b2.y_pred.tolist()
    ([7, 8, 9], [1, 1, 0])
    >>> align(a, replace(b, ids=np.array([9, 8, 6])))  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    diagnose.exceptions.UsageError: a and b must hold the same rows:
        ids in a but not b: 1 (e.g. 7); ids in b but not a: 1 (e.g. 6)
    """
    import pandas as pd

    if a.task != b.task:
        raise UsageError(f"a and b must be the same task: a is {a.task}, b is {b.task}")
    if tuple(a.classes) != tuple(b.classes):
        raise UsageError(f"a and b must have the same classes: a has {', '.join(a.classes)}; "
                         f"b has {', '.join(b.classes)}")
    missing = [name for name, p in (("a", a), ("b", b)) if p.ids is None]
    if missing:
        raise UsageError(f"a paired comparison joins rows by id; {' and '.join(missing)} "
                         f"{'has' if len(missing) == 1 else 'have'} no id column")
    assert a.ids is not None and b.ids is not None
    ids_a, ids_b = pd.Index(a.ids), pd.Index(b.ids)
    for name, p, index in (("a", a, ids_a), ("b", b, ids_b)):
        if not index.is_unique:
            assert p.ids is not None
            repeated = np.unique(p.ids[index.duplicated()])
            raise UsageError(f"ids must be unique to join a and b; {_count(f'ids repeated in {name}', repeated)}")
    where_in_b = ids_b.get_indexer(ids_a)  # for each row of a, its row in b (-1: none)
    where_in_a = ids_a.get_indexer(ids_b)
    problems = []
    if (where_in_b < 0).any():
        problems.append(_count("ids in a but not b", a.ids[where_in_b < 0]))
    if (where_in_a < 0).any():
        problems.append(_count("ids in b but not a", b.ids[where_in_a < 0]))
    if problems:
        hint = ""
        if _id_kind(a.ids) != _id_kind(b.ids):
            hint = f" (a's ids are {_id_kind(a.ids)}, b's {_id_kind(b.ids)})"
        raise UsageError("a and b must hold the same rows: " + "; ".join(problems) + hint)
    b = _take(b, where_in_b)
    differ = _labels_differ(a.y_true, b.y_true)
    if differ.any():
        raise UsageError("a and b must have the same labels on the same rows: "
                         + _count("ids whose y_true differs", a.ids[differ]))
    warnings: tuple[str, ...] = ()
    if a.weight is not None and b.weight is not None:
        if not np.allclose(a.weight, b.weight, rtol=1e-9, atol=0.0):
            raise UsageError("a and b must have the same sample weights on the same rows: "
                             + _count("ids whose weight differs", a.ids[~np.isclose(a.weight, b.weight)]))
    elif a.weight is not None or b.weight is not None:
        have = "a" if a.weight is not None else "b"
        warnings = (f"only {have} has sample weights; both models are judged with them",)
        if a.weight is None:
            a = replace(a, weight=b.weight)
        else:
            b = replace(b, weight=a.weight)
    return a, b, warnings


def _labels_differ(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype.kind == "f" or y.dtype.kind == "f":
        differ = ~np.isclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True)
    else:
        differ = x != y
    return differ.any(axis=1) if differ.ndim == 2 else differ


def _take(p: Predictions, rows: np.ndarray) -> Predictions:
    """``p`` with only ``rows``, in that order (the input table is dropped)."""
    def pick(values):
        return None if values is None else values[rows]

    return replace(p, y_true=p.y_true[rows], y_score=pick(p.y_score), y_pred=pick(p.y_pred), ids=pick(p.ids),
                   weight=pick(p.weight), row_numbers=pick(p.row_numbers), table=None, slice_columns=())
