"""The options of a diagnosis, declared once: one frozen value travels from the fronts
(command line, dashboard, library) through reading, computing and storing.

Each field carries its help text and how the command line spells it, so the CLI builds
its options from these declarations (:mod:`diagnose.cli`) and a new option is one field
here plus the code that uses it. Defaults are named once, below.

>>> opts = ReportOptions.of(tolerance=0.2, metric="log_loss")
>>> opts.tolerance, opts.gap_tolerance.of(0.05, 0.1), opts.threshold_rule
(0.2, 0.020000000000000004, 'f1')
>>> ReportOptions.of(opts, seed=3).seed
3
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, TypeVar, Union

from .exceptions import UsageError

# the task types (their behaviour lives in diagnose.ingest, one strategy per name)
TASK_NAMES = ("binary", "multiclass", "multilabel", "regression")
# a gap is material above this share of max(reference, J_train)
DEFAULT_TOLERANCE = 0.10
DEFAULT_TOLERANCE_ABS = 0.0
DEFAULT_THRESHOLD_RULE = "f1"
# classes are skewed when the minority share of train is below this
DEFAULT_SKEW_THRESHOLD = 0.10
DEFAULT_ENCODING = "utf-8"
DEFAULT_SEED = 0
DEFAULT_CURVE_POINTS = 1000
# error analysis: regression rows count as errors in the largest share of |error|; cohort
# tables cut numeric slice columns into this many quantile bins and flag at this FDR
DEFAULT_TOP_SHARE = 0.10
DEFAULT_BINS = 4
DEFAULT_FDR = 0.05
# slice discovery: a slice is material at this lift over the overall error; it has at most
# this many conditions; this many are listed
DEFAULT_MIN_LIFT = 1.25
DEFAULT_MAX_CONDITIONS = 3
DEFAULT_TOP = 20
# calibration: reliability bins, equal widths ("uniform") or equal row counts ("quantile")
DEFAULT_CALIBRATION_BINS = 15
CALIBRATION_STRATEGIES = ("uniform", "quantile")
CALIBRATION_METHODS = ("platt", "isotonic", "temperature")
# the CLI lists the registered metrics here (diagnose.metrics.metric_help)
METRIC_HELP = "The error metric J of every split and baseline."

Bootstrap = Union[int, Literal["auto"]]  # a number of resamples, or "auto"


def _option(default: Any, help: str, **cli: Any) -> Any:
    """A field with its help text and command-line spelling (``flag``, ``kind``, ``metavar``...)."""
    return field(default=default, metadata={"help": help, **cli})


@dataclass(frozen=True)
class Tolerance:
    """When a gap is material: above ``max(absolute, relative * max(reference, J_train))``.

    >>> Tolerance().of(0.02, 0.3), Tolerance(absolute=0.05).of(0.02, 0.1)
    (0.03, 0.05)
    """

    relative: float = DEFAULT_TOLERANCE
    absolute: float = DEFAULT_TOLERANCE_ABS

    def __post_init__(self) -> None:
        for name in ("relative", "absolute"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    math.isfinite(value) and value >= 0):
                raise UsageError(f"the {name} tolerance must be a number >= 0, not {value!r}")

    def of(self, reference: float, j_train: float) -> float:
        return max(self.absolute, self.relative * max(abs(reference), abs(j_train)))

    @classmethod
    def coerce(cls, value: Tolerance | float | None) -> Tolerance:
        """A tolerance from what a caller passed: ``None`` is the default, a number the relative
        tolerance (``0`` means 0: every gap above 0 is material), a :class:`Tolerance` itself.

        >>> Tolerance.coerce(0).relative, Tolerance.coerce(None).relative, Tolerance.coerce(0.05).relative
        (0, 0.1, 0.05)
        >>> Tolerance.coerce("x")
        Traceback (most recent call last):
        ...
        diagnose.exceptions.UsageError: the relative tolerance must be a number >= 0, not 'x'
        """
        if value is None:
            return cls()
        if isinstance(value, Tolerance):
            return value
        return cls(relative=value)  # checked in __post_init__

    def to_dict(self) -> dict:
        return {"relative": self.relative, "absolute": self.absolute}


@dataclass(frozen=True)
class Columns:
    """Names of the input columns; every one can be remapped.

    >>> Columns.from_mapping({"y_true": "label"}).y_true
    'label'
    """

    y_true: str = "y_true"
    y_score: str = "y_score"
    y_pred: str = "y_pred"
    id: str = "id"
    weight: str = "weight"
    tags: str = "tags"
    split: str = "split"
    train_size: str = "train_size"
    prob_prefix: str = "y_prob_"
    true_prefix: str = "y_true_"
    score_prefix: str = "y_score_"
    param_prefix: str = "param_"

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, str] | None) -> "Columns":
        if not mapping:
            return cls()
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise UsageError(
                f"unknown column role(s) {', '.join(unknown)}; the roles are {', '.join(sorted(known))}"
            )
        return cls(**dict(mapping))


T = TypeVar("T", bound="ReadOptions")


@dataclass(frozen=True)
class ReadOptions:
    """How prediction files are read: the task, the column names, the positive label, the encoding."""

    task: str | None = _option(None, "Force the task instead of inferring it from the columns.",
                               choices=TASK_NAMES)
    columns: tuple[tuple[str, str], ...] = _option(
        (), "Map a column role to your column name, e.g. y_true=label (repeatable).",
        flag="--column", metavar="ROLE=NAME", kind="pairs")
    positive_label: str | None = _option(None, "The positive class when binary labels are class names.")
    encoding: str = _option(DEFAULT_ENCODING, "Text encoding of CSV files.", show_default=True)

    def __post_init__(self) -> None:
        if self.task is not None and self.task not in TASK_NAMES:
            raise UsageError(f"unknown task '{self.task}'; choose one of {', '.join(TASK_NAMES)}")
        # callers may pass a Columns, a mapping or (role, name) pairs
        columns: Columns | Mapping[str, str] | Iterable[tuple[str, str]] | None = self.columns
        if isinstance(columns, Columns):  # the roles it renames
            columns = {k: v for k, v in columns.__dict__.items() if getattr(Columns(), k) != v}
        if isinstance(columns, Mapping):
            columns = tuple(columns.items())
        object.__setattr__(self, "columns", tuple((str(k), str(v)) for k, v in (columns or ())))
        if self.positive_label is not None:
            object.__setattr__(self, "positive_label", str(self.positive_label))

    @property
    def column_map(self) -> dict[str, str]:
        """The column remapping as a dict (role -> the user's column name)."""
        return dict(self.columns)

    @property
    def column_names(self) -> Columns:
        """The name of every column role under this remapping.

        >>> ReadOptions(columns={"y_true": "label"}).column_names.y_true
        'label'
        """
        return Columns.from_mapping(self.column_map)

    @classmethod
    def of(cls: type[T], options: ReadOptions | None = None, **overrides: Any) -> T:
        """Options from another options value (or the defaults) with some fields changed.

        Unknown names are a :class:`~diagnose.exceptions.UsageError`; an override of
        ``None`` means "not given" and leaves the field as it is.

        >>> ReadOptions.of(columns={"y_true": "label"}).column_map
        {'y_true': 'label'}
        >>> ReadOptions.of(colour="red")
        Traceback (most recent call last):
        ...
        diagnose.exceptions.UsageError: unknown option 'colour'; the options are task, columns, positive_label, encoding
        """
        names = [f.name for f in fields(cls)]
        unknown = [k for k in overrides if k not in names]
        if unknown:
            raise UsageError(f"unknown option '{unknown[0]}'; the options are {', '.join(names)}")
        base = {f.name: getattr(options, f.name) for f in fields(cls) if options is not None
                and hasattr(options, f.name)}
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["columns"] = self.column_map
        return out

    def reading(self) -> ReadOptions:
        """Only the reading options (for reading other files the same way)."""
        return ReadOptions(**{f.name: getattr(self, f.name) for f in fields(ReadOptions)})


@dataclass(frozen=True)
class ReportOptions(ReadOptions):
    """Everything a diagnosis can be asked to do differently; see :class:`ReadOptions` for reading."""

    metric: str | None = _option(None, METRIC_HELP, kind="metric")
    tolerance: float = _option(DEFAULT_TOLERANCE,
                               "A gap is material above this share of max(reference, J_train).",
                               kind=float, show_default=True)
    tolerance_abs: float = _option(DEFAULT_TOLERANCE_ABS,
                                   "...or above this absolute amount, whichever is larger.",
                                   kind=float, show_default=True)
    threshold_rule: str = _option(DEFAULT_THRESHOLD_RULE,
                                  "How the threshold is chosen on cv: f1, fbeta:B, precision>=P (best recall "
                                  "with precision at least P), recall>=R (best precision with recall at "
                                  "least R) or cost:fp=C,fn=C[,tp=G][,tn=G] (least expected cost).",
                                  metavar="RULE", show_default=True)
    skew_threshold: float = _option(DEFAULT_SKEW_THRESHOLD,
                                    "Classes count as skewed when the minority share of train is below this.",
                                    kind=float, show_default=True)
    bootstrap: Bootstrap = _option("auto", "Bootstrap resamples of cv for the interval of the chosen "
                                   "threshold (0: none). Default: 200; with sample weights fewer for cv sets over "
                                   "100,000 rows, never fewer than 20.", kind="count")
    seed: int = _option(DEFAULT_SEED, "Seed of the bootstrap.", kind=int, show_default=True)
    curve_points: int = _option(DEFAULT_CURVE_POINTS,
                                "At most this many points of the precision/recall curve in JSON.",
                                kind="points", show_default=True)
    calibration_bins: int = _option(DEFAULT_CALIBRATION_BINS, "Bins of the calibration figures (ECE, "
                                    "reliability diagram).", kind="points", show_default=True)
    calibration_strategy: str = _option("uniform", "Calibration bins of equal width on [0, 1] (uniform) or "
                                        "holding equal numbers of rows (quantile).",
                                        choices=CALIBRATION_STRATEGIES, show_default=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.gap_tolerance  # noqa: B018 - validates both tolerances
        if not (isinstance(self.skew_threshold, (int, float)) and 0.0 < self.skew_threshold <= 0.5):
            raise UsageError(f"the skew threshold must lie in (0, 0.5], not {self.skew_threshold}")
        if self.bootstrap != "auto" and not (isinstance(self.bootstrap, int) and self.bootstrap >= 0):
            raise UsageError(f"bootstrap must be a number of resamples >= 0 or 'auto', not {self.bootstrap!r}")
        if not (isinstance(self.curve_points, int) and self.curve_points >= 2):
            raise UsageError(f"curve_points must be a whole number >= 2, not {self.curve_points!r}")
        if not (isinstance(self.calibration_bins, int) and self.calibration_bins >= 2):
            raise UsageError(f"calibration_bins must be a whole number >= 2, not {self.calibration_bins!r}")
        if self.calibration_strategy not in CALIBRATION_STRATEGIES:
            raise UsageError(f"calibration_strategy must be one of {', '.join(CALIBRATION_STRATEGIES)}, "
                             f"not {self.calibration_strategy!r}")

    @classmethod
    def of(cls, options: ReadOptions | None = None, **overrides: Any) -> ReportOptions:
        """As :meth:`ReadOptions.of`; ``tolerance`` may also be a :class:`Tolerance` (both its parts).

        >>> ReportOptions.of(tolerance=Tolerance(0.2, 0.01)).gap_tolerance
        Tolerance(relative=0.2, absolute=0.01)
        """
        tolerance = overrides.get("tolerance")
        if isinstance(tolerance, Tolerance):  # the library once took a Tolerance value
            overrides["tolerance"] = tolerance.relative
            overrides.setdefault("tolerance_abs", tolerance.absolute)
        return super().of(options, **overrides)

    @property
    def gap_tolerance(self) -> Tolerance:
        """The tolerance rule that decides whether a gap is material."""
        return Tolerance(relative=self.tolerance, absolute=self.tolerance_abs)
