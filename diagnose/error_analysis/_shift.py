"""Why test differs from cv: the labels, the scores, the mix of slices, or errors within slices.

Every test compares the two splits' rows as independent samples (unweighted; errors as in
:func:`error_mask`, regression with the |error| cut found on cv applied to test too):

1. **Labels.** Classification: Pearson's chi-square test of homogeneity (no continuity
   correction) of the class counts, cv against test; it assumes independent rows and
   expected counts of about 5 or more. Effect: Cramér's V = sqrt(chi2 / n) (the table has
   two rows), 0 for no difference (Cramér 1946, *Mathematical Methods of Statistics*).
   Multi-label: one such 2x2 test per label, Bonferroni over the labels (the p-value is
   the smallest one times the number of labels), the effect the largest V. Regression: the
   two-sample Kolmogorov-Smirnov test of y_true (continuous distributions; ties make it
   conservative), effect the largest gap D between the two empirical CDFs, and the PSI.
2. **Scores.** Kolmogorov-Smirnov and the population stability index of one score per row:
   binary the positive-class score, multiclass the max probability (the confidence),
   multi-label the mean of the label scores, regression y_pred; left out without scores.
   PSI = sum_i (t_i - c_i) ln(t_i / c_i) over the ``PSI_BINS`` quantile bins of cv, with
   c_i, t_i the shares of cv and test in bin i; a share below ``PSI_EPS`` counts as
   ``PSI_EPS`` so that an empty bin gives a finite value. Below 0.1 is conventionally no
   material change, above 0.25 a major one (Siddiqi 2006, *Credit Risk Scorecards*;
   Yurdakul 2018, "Statistical properties of the population stability index").
3. **Slice columns.** Each column is cut as cohort tables cut it (one cohort per value,
   numeric columns into ``bins`` quantile bins), from cv and test pooled so that both
   splits share the bins; then the chi-square test of homogeneity and the PSI over those
   cohorts, with the Benjamini-Hochberg correction over the columns at ``fdr``
   (Benjamini & Hochberg 1995). The details name the values whose share moved most.
4. **Errors within matched slices.** Coarsened exact matching (Iacus, King & Porro 2012):
   a cell is one combination of the binned values of every slice column; cells with rows
   in only one split are set aside and counted. The Cochran-Mantel-Haenszel test (Mantel &
   Haenszel 1959) of conditional independence of split and error given the cell: with a_k
   the test errors of cell k, CMH = (sum_k a_k - E a_k)^2 / sum_k Var a_k, the hypergeometric
   mean and variance given the cell's margins, chi-square with 1 degree of freedom, no
   continuity correction (it is most powerful when the odds ratio is common to the cells).
   The gap on the matched rows is split by direct standardisation (Kitagawa 1955): the
   expected test error is test's mix of cells at cv's error rate in each cell; mix =
   expected - cv error, within = test error - expected, mix + within = the gap.

A distribution has *shifted* when its test is significant (p, or q for slice columns, at
most ``fdr``) and the change is material: PSI >= ``MATERIAL`` (scores, regression labels,
slice columns) or Cramér's V >= ``MATERIAL`` (class labels, Cohen's "small" effect).
Errors within slices have *changed* when the CMH p-value is at most ``fdr``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

from ..exceptions import UsageError
from ..ingest import CV_N_COLUMN, TOTAL_ERRORS_COLUMN, Predictions
from ..options import DEFAULT_BINS, DEFAULT_FDR, DEFAULT_TOP_SHARE
from ..values import Rendered, json_number
from ._cohorts import MAX_CATEGORIES, cohort_codes  # cohort tables and this comparison cut a column alike
from ._errors import error_mask

PSI_BINS = 10    # score PSI over the deciles of cv
PSI_EPS = 1e-4   # an empty bin's share, so that log(0) never happens
MATERIAL = 0.1   # PSI and Cramér's V below this are no material shift
CHI2 = "chi-square test of homogeneity"
KS = "two-sample Kolmogorov-Smirnov"
CMH = "Cochran-Mantel-Haenszel"
WITHIN_EFFECT = "test error - expected test error at cv's within-cell rates"


def _pct(share: float) -> str:
    return f"{100 * share:.3g}%"


@dataclass(frozen=True)
class ShiftTest:
    """One test of cv against test: its statistic, p-value (and BH q-value for slice
    columns), an effect size, whether it flags a shift (or a change of errors), and a detail.

    >>> t = ShiftTest("scores", KS, 0.12, 1e-9, 0.12, "KS D", "median 0.31 in cv, 0.42 in test", psi=0.3,
    ...               flagged=True)
    >>> t.to_dict()["psi"], t.to_dict()["q_value"], t.flagged
    (0.3, None, True)
    """

    name: str
    test: str
    statistic: float
    p_value: float
    effect: float
    effect_name: str
    detail: str = ""
    psi: float | None = None
    q_value: float | None = None
    flagged: bool = False

    def to_dict(self) -> dict:
        return {k: json_number(v) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Decomposition:
    """The error gap on the matched rows split into the part due to the mix of cells and the
    part within cells; ``expected_test_error`` is test's mix at cv's within-cell error rates.

    >>> d = Decomposition(cv_error=0.15, test_error=0.22, expected_test_error=0.21, cells=32)
    >>> round(d.gap, 2), round(d.mix, 2), round(d.within, 2)
    (0.07, 0.06, 0.01)
    """

    cv_error: float
    test_error: float
    expected_test_error: float
    cells: int
    cells_set_aside: int = 0
    cv_rows_set_aside: int = 0
    test_rows_set_aside: int = 0

    @property
    def gap(self) -> float:
        return self.test_error - self.cv_error

    @property
    def mix(self) -> float:
        return self.expected_test_error - self.cv_error

    @property
    def within(self) -> float:
        return self.test_error - self.expected_test_error

    def to_dict(self) -> dict:
        out = {k: json_number(v) if isinstance(v, float) else v for k, v in asdict(self).items()}
        return {**out, "gap": json_number(self.gap), "mix": json_number(self.mix), "within": json_number(self.within)}


@dataclass(frozen=True)
class ShiftExplanation(Rendered):
    """Why test's error differs from cv's: the tests of the labels, the scores (``None``
    without scores), each slice column (most shifted first) and the errors within matched
    cells of ``strata``, the decomposition of the gap, and a one-sentence ``conclusion``.

    >>> e = explain_shift(Predictions("binary", np.array([0, 1] * 50), y_score=np.full(100, 0.4)),
    ...                   Predictions("binary", np.array([0, 1] * 50), y_score=np.full(100, 0.4)))
    >>> e.cv_error, e.test_error, e.strata
    (0.5, 0.5, ())
    >>> print(e.conclusion.replace("; ", ";\\n"))
    no shift found in the labels, scores or slice columns;
    errors are unchanged: the gap (+0.0 points) is within chance
    """

    task: str
    cv_n: int
    test_n: int
    cv_error: float
    test_error: float
    labels: ShiftTest
    scores: ShiftTest | None
    slices: tuple[ShiftTest, ...]
    within: ShiftTest
    decomposition: Decomposition
    strata: tuple[str, ...]
    conclusion: str
    fdr: float
    bins: int
    cut: float | None = None
    warnings: tuple[str, ...] = ()

    @property
    def shifted_slices(self) -> tuple[ShiftTest, ...]:
        return tuple(s for s in self.slices if s.flagged)

    def to_dict(self) -> dict:
        return {"task": self.task, "n": {"cv": self.cv_n, "test": self.test_n},
                "error": {"cv": json_number(self.cv_error), "test": json_number(self.test_error)},
                "cut": json_number(self.cut), "fdr": self.fdr, "bins": self.bins,
                "labels": self.labels.to_dict(), "scores": None if self.scores is None else self.scores.to_dict(),
                "slices": [s.to_dict() for s in self.slices], "within": self.within.to_dict(),
                "decomposition": self.decomposition.to_dict(), "strata": list(self.strata),
                "conclusion": self.conclusion, "warnings": list(self.warnings)}


def _chi2(n_cv: np.ndarray, n_test: np.ndarray) -> tuple[float, float, float]:
    """Pearson's chi-square of homogeneity of two count vectors, its p-value and Cramér's V."""
    from scipy.stats import chi2_contingency

    table = np.vstack([n_cv, n_test])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or min(n_cv.sum(), n_test.sum()) == 0:
        return 0.0, 1.0, 0.0
    stat, p, _, _ = chi2_contingency(table, correction=False)
    return float(stat), float(p), math.sqrt(stat / table.sum())  # min(rows, columns) - 1 = 1


def _psi(n_cv: np.ndarray, n_test: np.ndarray) -> float:
    c = np.maximum(n_cv / max(n_cv.sum(), 1), PSI_EPS)
    t = np.maximum(n_test / max(n_test.sum(), 1), PSI_EPS)
    return float(np.sum((t - c) * np.log(t / c)))


def _moves(prefix: str, values, n_cv: np.ndarray, n_test: np.ndarray, k: int = 2) -> tuple[str, str]:
    """The ``k`` values whose share moved most, and the one whose share grew most."""
    c, t = n_cv / max(n_cv.sum(), 1), n_test / max(n_test.sum(), 1)
    moved = np.argsort(-np.abs(t - c), kind="stable")[:k]
    g = int(np.argmax(t - c))
    return ("; ".join(f"{prefix}{values[i]}: {_pct(c[i])} of cv, {_pct(t[i])} of test" for i in moved),
            f"{prefix}{values[g]} ({_pct(c[g])} of cv, {_pct(t[g])} of test)")


def _continuous(name: str, x_cv: np.ndarray, x_test: np.ndarray, what: str, fdr: float) -> ShiftTest:
    """Kolmogorov-Smirnov and the PSI over cv's quantile bins."""
    from scipy.stats import ks_2samp

    res = ks_2samp(x_cv, x_test)
    edges = np.unique(np.quantile(x_cv, np.linspace(0, 1, PSI_BINS + 1))[1:-1])
    n_cv, n_test = (np.bincount(np.searchsorted(edges, x, side="right"), minlength=len(edges) + 1)
                    for x in (x_cv, x_test))
    d, p, psi = float(res.statistic), float(res.pvalue), _psi(n_cv, n_test)
    detail = f"{what}: median {np.median(x_cv):.4g} in cv, {np.median(x_test):.4g} in test"
    return ShiftTest(name, KS, d, p, d, "KS D", detail, psi=psi, flagged=p <= fdr and psi >= MATERIAL)


def _class_names(pred: Predictions) -> np.ndarray:
    return np.asarray(pred.classes, dtype=object)[pred.y_true] if pred.classes else pred.y_true.astype(str)


def _label_test(cv: Predictions, test: Predictions, fdr: float) -> ShiftTest:
    if not cv.kind.classification:
        return _continuous("labels", cv.y_true, test.y_true, "y_true", fdr)
    if cv.kind.multi_output:  # one 2x2 table per label (a loop over labels, not rows)
        pos_cv, pos_test = cv.y_true.sum(axis=0), test.y_true.sum(axis=0)
        tests = [_chi2(np.array([cv.n - a, a]), np.array([test.n - b, b])) for a, b in zip(pos_cv, pos_test)]
        j = int(np.argmax([v for _, _, v in tests]))
        p = min(1.0, len(tests) * min(p for _, p, _ in tests))
        detail = f"label {cv.classes[j]}: {_pct(pos_cv[j] / cv.n)} of cv rows, {_pct(pos_test[j] / test.n)} of test"
        return ShiftTest("labels", CHI2 + " per label, Bonferroni", tests[j][0], p, tests[j][2], "Cramér's V",
                         detail, flagged=p <= fdr and tests[j][2] >= MATERIAL)
    values, code = np.unique(np.concatenate([_class_names(cv), _class_names(test)]).astype(str), return_inverse=True)
    n_cv, n_test = (np.bincount(c, minlength=len(values)) for c in (code[:cv.n], code[cv.n:]))
    stat, p, v = _chi2(n_cv, n_test)
    return ShiftTest("labels", CHI2, stat, p, v, "Cramér's V", _moves("y_true=", values, n_cv, n_test)[0],
                     psi=_psi(n_cv, n_test), flagged=p <= fdr and v >= MATERIAL)


def _score(pred: Predictions) -> tuple[np.ndarray, str] | None:
    s = pred.y_score
    return ((np.asarray(pred.y_pred, dtype=np.float64), "y_pred") if not pred.kind.classification else
            None if s is None else (s, "positive-class score") if s.ndim == 1 else
            (s.mean(axis=1), "mean label score") if pred.kind.multi_output else (s.max(axis=1), "max probability"))


def _ratio(x: float, y: float) -> float:
    return float(x / y) if y > 0 else math.nan


def _matched(cell_cv, err_cv, cell_test, err_test, fdr: float) -> tuple[ShiftTest, Decomposition]:
    """The CMH test and the decomposition over the cells that hold rows of both splits."""
    from scipy.stats import chi2

    k = int(max(cell_cv.max(initial=-1), cell_test.max(initial=-1))) + 1
    n1_all, n2_all = np.bincount(cell_test, minlength=k), np.bincount(cell_cv, minlength=k)
    both = (n1_all > 0) & (n2_all > 0)
    n1, n2 = n1_all[both].astype(float), n2_all[both].astype(float)
    a = np.bincount(cell_test, weights=err_test, minlength=k)[both]  # test errors per cell
    c = np.bincount(cell_cv, weights=err_cv, minlength=k)[both]      # cv errors per cell
    n, m1 = n1 + n2, a + c
    # a_k is hypergeometric given the cell's margins when split and error are independent in it
    var = (n1 * n2 * m1 * (n - m1) / (n ** 2 * (n - 1))).sum()
    stat = float((a - n1 * m1 / n).sum() ** 2 / var) if var > 0 else 0.0
    odds_num, odds_den = (a * (n2 - c) / n).sum(), ((n1 - a) * c / n).sum()
    odds = odds_num / odds_den if odds_den > 0 else math.nan  # Mantel-Haenszel common odds ratio
    dec = Decomposition(cv_error=_ratio(c.sum(), n2.sum()), test_error=_ratio(a.sum(), n1.sum()),
                        expected_test_error=_ratio((n1 * c / n2).sum(), n1.sum()),
                        cells=int(both.sum()), cells_set_aside=int(((n1_all + n2_all > 0) & ~both).sum()),
                        cv_rows_set_aside=int(n2_all[~both].sum()), test_rows_set_aside=int(n1_all[~both].sum()))
    p = float(chi2.sf(stat, 1))
    detail = (f"{_pct(dec.expected_test_error)} expected at cv's within-cell rates and test's mix, "
              f"{_pct(dec.test_error)} observed; Mantel-Haenszel odds ratio {odds:.3g} over {dec.cells} cells")
    return ShiftTest("errors within slices", CMH, stat, p, dec.within, WITHIN_EFFECT, detail, flagged=p <= fdr), dec


def _conclusion(labels: ShiftTest, scores: ShiftTest | None, grew: list[str], within: ShiftTest,
                dec: Decomposition, stratified: bool) -> str:
    others = [t.name for t in (labels, scores) if t is not None and t.flagged]
    clauses = [f"test has more {' and more '.join(grew)}"] if grew else []
    if others:
        clauses.append(f"the {' and the '.join(others)} shifted")
    if not grew and not others and not within.flagged:
        clauses.append("no shift found in the labels, scores or slice columns")
    elif not grew and stratified:
        clauses.append("the mix is unchanged")
    errors = "errors within slices" if stratified else "errors"
    if within.flagged:
        way = "rose" if dec.within > 0 else "fell"
        clauses.append(f"{errors} {way} from {_pct(dec.expected_test_error)} to {_pct(dec.test_error)}")
    else:
        clauses.append(f"{errors} are unchanged")
    gap = f"the gap ({100 * dec.gap:+.1f} points)"
    if grew and within.flagged:
        verdict = (f"{gap} is part mix shift ({100 * dec.mix:+.1f} points), "
                   f"part within slices ({100 * dec.within:+.1f} points)")
    elif grew:
        verdict = f"{gap} is a mix shift"
    elif within.flagged:
        verdict = (f"the model does {'worse' if dec.within > 0 else 'better'} "
                   f"{'on the same kinds of rows' if stratified else 'on test (no slice columns to match rows on)'}")
    else:
        verdict = f"{gap} is within chance" if not others else "the slice columns do not explain it"
    return "; ".join(clauses) + ": " + verdict


def _cells(codes: list[np.ndarray]) -> np.ndarray:
    """A number per combination of the columns' codes: one flat key per row when the
    combinations fit in int64 (a 1-D unique is fast), else unique rows."""
    sizes = [int(c.max()) + 1 for c in codes]
    if math.prod(sizes) < 2 ** 62:
        key = np.ravel_multi_index(tuple(codes), sizes)
        return np.unique(key, return_inverse=True)[1].reshape(-1)
    return np.unique(np.column_stack(codes), axis=0, return_inverse=True)[1].reshape(-1)


def explain_shift(cv: Predictions, test: Predictions, *, cut: float | None = None,
                  top_share: float = DEFAULT_TOP_SHARE, bins: int = DEFAULT_BINS,
                  fdr: float = DEFAULT_FDR) -> ShiftExplanation:
    """Why the test split's error differs from cv's (see the module's docstring for the tests).

    >>> import pandas as pd
    >>> from diagnose.ingest import load_predictions
    >>> def split(north, south):  # rows of each region: (errors, correct)
    ...     region = ["north"] * sum(north) + ["south"] * sum(south)
    ...     wrong = [1] * north[0] + [0] * north[1] + [1] * south[0] + [0] * south[1]
    ...     return load_predictions(pd.DataFrame({"y_true": [0, 1] * (len(region) // 2), "region": region,
    ...                                           "y_score": [0.3 + 0.4 * (w ^ (i % 2)) for i, w in enumerate(wrong)]}))
    >>> e = explain_shift(split((30, 70), (30, 270)), split((90, 210), (10, 90)))
    >>> e.slices[0].detail
    'region=north: 25% of cv, 75% of test; region=south: 75% of cv, 25% of test'
    >>> print(e.conclusion.replace("; ", ";\\n"))
    test has more region=north (25% of cv, 75% of test);
    errors within slices are unchanged: the gap (+10.0 points) is a mix shift
    """
    import pandas as pd
    from scipy.stats import false_discovery_control

    if cv.task != test.task:
        raise UsageError(f"cv is {cv.task} but test is {test.task}: their predictions cannot be compared")
    if cv.kind.multi_output and cv.classes != test.classes:
        raise UsageError("cv and test have different labels: their predictions cannot be compared")
    if not 0 < fdr < 1:
        raise UsageError(f"fdr {fdr} must lie strictly between 0 and 1")
    err_cv, cut = error_mask(cv, cut=cut, top_share=top_share)
    err_test, _ = error_mask(test, cut=cut)  # regression: the cut found on cv
    warnings: list[str] = []
    labels = _label_test(cv, test, fdr)
    score_cv, score_test = _score(cv), _score(test)
    scores = None if score_cv is None or score_test is None else _continuous(
        "scores", score_cv[0], score_test[0], score_cv[1], fdr)
    if scores is None:
        warnings.append("no scores in cv or test: the score distribution is not compared")

    skip = (TOTAL_ERRORS_COLUMN, CV_N_COLUMN)
    common = [c for c in cv.slice_columns if c in test.slice_columns and c not in skip]
    one_side = sorted((set(cv.slice_columns) ^ set(test.slice_columns)) - set(skip))
    if one_side:
        warnings.append(f"slice column(s) {', '.join(one_side)} in only one split; left out")
    frame_cv, frame_test = cv.slices(), test.slices()
    slices, codes, grew = [], [], {}
    for name in common:  # one binning of both splits, so that they share the bins
        coded = cohort_codes(pd.concat([frame_cv[name], frame_test[name]], ignore_index=True), bins)
        if coded is None:
            warnings.append(f"slice column '{name}' has more than {MAX_CATEGORIES} values; left out")
            continue
        code_cv, code_test, values = coded[0][:cv.n], coded[0][cv.n:], coded[1]
        n_cv, n_test = (np.bincount(c, minlength=len(values)) for c in (code_cv, code_test))
        stat, p, v = _chi2(n_cv, n_test)
        detail, grew[name] = _moves(f"{name}=", values, n_cv, n_test)
        slices.append(ShiftTest(name, CHI2, stat, p, v, "Cramér's V", detail, psi=_psi(n_cv, n_test)))
        codes.append(np.concatenate([code_cv, code_test]))
    if slices:
        q = false_discovery_control([s.p_value for s in slices], method="bh")
        slices = sorted((replace(s, q_value=float(qi), flagged=bool(qi <= fdr and (s.psi or 0.0) >= MATERIAL))
                         for s, qi in zip(slices, q)), key=lambda s: -(s.psi or 0.0))
    else:
        warnings.append("no slice columns in both splits: the gap cannot be split into mix and within slices")

    # the cells: one per combination of the binned slice columns present in the data
    cell = _cells(codes) if codes else np.zeros(cv.n + test.n, dtype=np.int64)
    within, dec = _matched(cell[:cv.n], err_cv, cell[cv.n:], err_test, fdr)
    if dec.cells_set_aside:
        warnings.append(f"{dec.cells_set_aside} cells with rows in one split only set aside: "
                        f"{dec.cv_rows_set_aside} cv rows, {dec.test_rows_set_aside} test rows")
    if not dec.cells:
        warnings.append("no cell holds rows of both splits: errors within slices cannot be compared")
    conclusion = _conclusion(labels, scores, [grew[s.name] for s in slices if s.flagged][:2], within, dec,
                             bool(codes))
    return ShiftExplanation(task=cv.task, cv_n=cv.n, test_n=test.n, cv_error=float(err_cv.mean()),
                            test_error=float(err_test.mean()), labels=labels, scores=scores, slices=tuple(slices),
                            within=within, decomposition=dec, strata=tuple(s.name for s in slices),
                            conclusion=conclusion, fdr=fdr, bins=bins, cut=cut, warnings=tuple(warnings))
