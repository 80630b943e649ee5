"""The classes of a run's splits, checked across them: the labels a multi-label run scores,
the name of a binary run's other class, a multiclass run's classes (from its probability
columns or its labels) and the refusal of one class written two ways."""
from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from ..exceptions import InputError
from ..options import Columns
from ._checks import Checker, natural_key, same_number_spellings
from ._values import Predictions

if TYPE_CHECKING:
    from ._parse import RawTable

K = TypeVar("K", bound=Hashable)


def same_labels(raws: Mapping[K, RawTable], out: Mapping[K, Predictions], columns: Columns) -> None:
    """Every split of a multi-label run scores the same labels.

    >>> import numpy as np
    >>> from diagnose.ingest._parse import RawTable
    >>> def pred(labels, source):
    ...     return Predictions("multilabel", np.zeros((1, len(labels)), int), np.zeros((1, len(labels))),
    ...                        classes=tuple(labels), source=source)
    >>> raws = {s: RawTable(pa.table({"x": [0]}), f"{s}.csv", s) for s in ("train", "cv")}
    >>> both = {"train": pred("ab", "train.csv"), "cv": pred("a", "cv.csv")}
    >>> same_labels(raws, both, Columns())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    diagnose.exceptions.InputError: cv.csv: lacks label(s) b that train.csv has (the cv split). Give every split ...
    """
    keys = list(out)
    first = out[keys[0]]
    for key in keys[1:]:
        pred = out[key]
        if pred.classes != first.classes:
            missing = [label for label in first.classes if label not in pred.classes]
            extra = [label for label in pred.classes if label not in first.classes]
            what = (f"lacks label(s) {', '.join(missing)} that {first.source} has" if missing else
                    f"has label(s) {', '.join(extra)} that {first.source} lacks")
            column = columns.true_prefix + (missing or extra)[0] if (missing or extra) else None
            raise InputError(f"{what} (the {raws[key].split} split)", file=pred.source, column=column,
                             fix=f"Give every split the same {columns.true_prefix}<label> and "
                             f"{columns.score_prefix}<label> columns")


def name_binary_classes(raws: Mapping[K, RawTable], out: dict[K, Predictions], columns: Columns,
                         positive: str) -> dict[K, Predictions]:
    """Check that the positive label occurs, and name the other class after its label.

    >>> import numpy as np
    >>> from diagnose.ingest._parse import RawTable
    >>> raws = {"cv": RawTable(pa.table({"y_true": ["spam", "ham", "spam"]}), "cv.csv", "cv")}
    >>> out = {"cv": Predictions("binary", np.array([1, 0, 1]), np.array([0.9, 0.2, 0.6]), source="cv.csv")}
    >>> name_binary_classes(raws, out, Columns(), "spam")["cv"].classes
    ('ham', 'spam')
    """
    from dataclasses import replace

    seen: set[str] = set()
    held = []
    for raw in raws.values():
        # the labels were validated while parsing; read only their distinct values again
        distinct = pa.table({columns.y_true: pc.unique(raw.table.column(columns.y_true))})
        held.append((raw.name, set(Checker(distinct, raw.name).labels(columns.y_true).tolist())))
        seen.update(held[-1][1])
    if positive not in seen:
        first = next(iter(raws.values()))
        found = ", ".join(repr(v) for v in sorted(seen, key=natural_key)[:6])
        raise InputError(f"the positive label '{positive}' never occurs in column '{columns.y_true}'",
                         file=first.name, column=columns.y_true,
                         fix=f"Give one of the labels it holds: {found}")
    others = sorted(seen - {positive}, key=natural_key)
    if len(others) > 1:  # each split holds two at most: they differ (a class written two ways?)
        def order(values):
            return sorted(values, key=lambda v: (natural_key(v), v))

        union: set[str] = set()
        for i, (name, labels) in enumerate(held):
            if len(union | labels) > 2:  # the split that brings a third label
                earlier = ", ".join(n for n, _ in held[:i])
                raise InputError(
                    f"holds label {', '.join(repr(v) for v in order(labels - union))} in column '{columns.y_true}', "
                    f"which {earlier} {'does' if i == 1 else 'do'} not: the splits hold {len(seen)} labels for a "
                    f"binary task ({', '.join(repr(v) for v in order(seen))})",
                    file=name, column=columns.y_true,
                    fix="Write each class the same way in every split, or use the multiclass format")
            union |= labels
    if len(others) != 1:
        return out
    return {split: replace(pred, classes=(others[0], positive)) for split, pred in out.items()}


def multiclass_classes(raws, columns: Columns, given) -> tuple[str, ...]:
    """A multiclass run's classes: ``given``, else its probability columns' (the same in every
    split), else every label its splits hold, in natural order.

    >>> from diagnose.ingest._parse import RawTable
    >>> raws = {"train": RawTable(pa.table({"y_true": ["10", "9"], "y_pred": ["2", "9"]}), "train.csv", "train")}
    >>> multiclass_classes(raws, Columns(), None)
    ('2', '9', '10')
    """
    if given:
        return tuple(given)
    first = next(iter(raws.values()))
    prob_cols = [c for c in first.table.column_names if c.startswith(columns.prob_prefix)]
    if prob_cols:
        classes = tuple(c[len(columns.prob_prefix):] for c in prob_cols)
        for raw in raws.values():
            other = tuple(c[len(columns.prob_prefix):] for c in raw.table.column_names
                          if c.startswith(columns.prob_prefix))
            if other != classes:
                raise InputError(
                    f"has probability columns for classes {', '.join(other)} but {first.name} "
                    f"has {', '.join(classes)}", file=raw.name,
                    fix="Give every split the same y_prob_<class> columns in the same order")
        return classes
    seen: set[str] = set()
    for raw in raws.values():
        checker = Checker(raw.table, raw.name, raw.row_numbers)
        seen.update(checker.labels(columns.y_true).tolist())
        if columns.y_pred in raw.table.column_names:
            seen.update(checker.labels(columns.y_pred).tolist())
    _refuse_two_spellings(raws, columns, seen)
    return tuple(sorted(seen, key=natural_key))


def _refuse_two_spellings(raws, columns: Columns, seen: set[str]) -> None:
    """Labels are text: ``1`` and ``01`` (or ``1.0``) in one run would be two classes, which is
    almost surely a mistake; refuse it, naming the rows of the second spelling."""
    pair = same_number_spellings(sorted(seen))
    if pair is None:
        return
    first, second = pair
    for raw in raws.values():
        checker = Checker(raw.table, raw.name, raw.row_numbers)
        for column in (columns.y_true, columns.y_pred):
            if column in raw.table.column_names:
                labels = checker.labels(column)
                mask = labels == second
                if mask.any():
                    checker.fail(f"column '{column}' writes one class two ways, '{first}' and '{second}' "
                                 "(labels are compared as text)", column=column, mask=mask, values=labels,
                                 fix=f"Write each class the same way in every row and file, e.g. '{first}'")
