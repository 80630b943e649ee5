"""Regenerate the sample prediction files in ``sample_data/``.

Every file is made by training a real scikit-learn model on a dataset that ships with
scikit-learn (``load_breast_cancer``, ``load_digits``, ``load_diabetes``), so nothing is
downloaded.  Every random choice uses a fixed seed, BLAS/OpenMP run single-threaded and
the logistic regressions are solved to a tight tolerance, so two runs on the same machine
write byte-identical files.  (A different CPU or BLAS build may still move the 6th decimal
of a few probabilities; no prediction changed when we tried 2 threads instead of 1.)

Usage (from any directory)::

    python sample_data/make_samples.py
    python sample_data/make_samples.py --readme-only   # only the README summary, from the files as stored

The files are written next to this script.  At the end the script prints a summary table
and rewrites the block between the ``<!-- summary:start -->`` / ``<!-- summary:end -->``
markers of ``README.md`` with the same numbers.

The error measures used for the summary follow the top-level README.md: classification J = fraction
misclassified (binary: score >= 0.5, multiclass: argmax, multi-label: every label decision
at 0.5), regression J = sum((y_pred - y)^2) / (2m).  The verdict uses the rule:

    bias gap     = J_train - reference
    variance gap = J_cv - J_train
    a gap counts when it is > 10% of max(reference, J_train) AND its 95% normal-approx
    interval excludes 0 (difference of proportions; for regression the per-sample
    half-squared errors are treated as means).
"""

from __future__ import annotations

import os

# Single-threaded BLAS: the last bits of a float can otherwise depend on the thread count
# (main() also wraps everything in threadpool_limits(1) in case the variables come too late).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import re  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.multiclass import OneVsRestClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import PolynomialFeatures, StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402  (a scikit-learn dependency)

HERE = Path(__file__).resolve().parent
SEED = 0
DECIMALS = 6
Z95 = 1.959964
Z95_ONE = 1.644854  # the one-sided 95% bound
SPLITS = ("train", "cv", "test")

LEARNING_SIZES = [50, 100, 200, 400, 800, 1078]  # 1078 = the whole digits training split
LAMBDA_GRID = [0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0]
DEGREE_GRID = [1, 2, 3, 4, 5, 6]
DEGREE_ALPHA = 1.0  # the small fixed Ridge alpha of validation_degree.csv (and diabetes_poly)

HUMAN_DIGITS = 0.01
HUMAN_BREAST_CANCER = 0.02
HUMAN_MULTILABEL = 0.01


# ----------------------------------------------------------------------------- helpers


def split_indices(n: int, stratify: np.ndarray | None = None):
    """Fixed 60/20/20 train/cv/test split of ``range(n)`` (stratified if given labels).

    The train indices keep the shuffled order, so "the first m training rows" is a random
    (stratified-ish) subset of size m; the learning curves use exactly these prefixes.
    """
    idx = np.arange(n)
    train, rest = train_test_split(idx, test_size=0.4, random_state=SEED, stratify=stratify)
    cv, test = train_test_split(
        rest,
        test_size=0.5,
        random_state=SEED,
        stratify=None if stratify is None else stratify[rest],
    )
    return {"train": train, "cv": cv, "test": test}


def rnd(x) -> np.ndarray:
    out = np.round(np.asarray(x, dtype=float), DECIMALS)
    out[out == 0] = 0.0  # no "-0.0" in the files
    return out


def round_probs(p: np.ndarray) -> np.ndarray:
    """Round softmax rows to 6 decimals and keep every row summing to 1.

    The residual of the rounding is put on the largest column of each row.
    """
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    p = p / p.sum(axis=1, keepdims=True)
    p = np.round(p, DECIMALS)
    rows = np.arange(len(p))
    top = p.argmax(axis=1)
    p[rows, top] += 1.0 - p.sum(axis=1)
    p = rnd(p)
    assert np.all(np.abs(p.sum(axis=1) - 1.0) < 1e-9)
    assert p.min() >= 0.0 and p.max() <= 1.0
    return p


def full_proba(model, X: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """predict_proba with one column per class in ``classes`` (0 for unseen classes)."""
    raw = model.predict_proba(X)
    out = np.zeros((len(X), len(classes)))
    pos = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(model.classes_):
        out[:, pos[c]] = raw[:, j]
    return out


def tertile_bins(values: np.ndarray, labels: tuple[str, str, str]) -> np.ndarray:
    q1, q2 = np.quantile(values, [1 / 3, 2 / 3])
    return np.where(values <= q1, labels[0], np.where(values <= q2, labels[1], labels[2]))


READ_ONLY = "--readme-only" in sys.argv  # recompute the README's summary from the files as they are


def write_csv(df: pd.DataFrame, relpath: str) -> pd.DataFrame:
    path = HERE / relpath
    if READ_ONLY:  # the stored file, not the freshly computed one (another BLAS may move a 6th decimal)
        return pd.read_csv(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, lineterminator="\n")
    return df


def prob_cols(classes) -> list[str]:
    return [f"y_prob_{c}" for c in classes]


# ----------------------------------------------------------------- error measures


def err_binary(df: pd.DataFrame) -> float:
    return float(np.mean((df["y_score"].to_numpy() >= 0.5).astype(int) != df["y_true"].to_numpy()))


def argmax_pred(df: pd.DataFrame, classes) -> np.ndarray:
    p = df[prob_cols(classes)].to_numpy()
    top = p.max(axis=1, keepdims=True)
    ties = int(np.sum((p == top).sum(axis=1) > 1))
    if ties:
        print(f"  note: {ties} rows with a tied argmax (first class wins)", file=sys.stderr)
    return np.asarray(classes)[p.argmax(axis=1)]


def err_multiclass(df: pd.DataFrame, classes) -> float:
    return float(np.mean(argmax_pred(df, classes) != df["y_true"].to_numpy()))


def err_multilabel(df: pd.DataFrame, labels) -> float:
    t = df[[f"y_true_{lab}" for lab in labels]].to_numpy()
    s = df[[f"y_score_{lab}" for lab in labels]].to_numpy()
    return float(np.mean((s >= 0.5).astype(int) != t))


def half_sq(df: pd.DataFrame) -> np.ndarray:
    return (df["y_pred"].to_numpy() - df["y_true"].to_numpy()) ** 2 / 2.0


def err_regression(df: pd.DataFrame) -> float:
    return float(np.mean(half_sq(df)))


def verdict(j_train, j_cv, n_train, n_cv, reference, var_train=None, var_cv=None):
    """The verdict rule, written out here as a check on diagnose's own.  var_* are per-sample
    variances (regression); else Bernoulli.  ``reference`` None: no baseline, bias not judged.

    A gap counts when it is above the tolerance and its 95% lower bound is above 0; it is ruled
    out when its one-sided 95% upper bound is below the tolerance; else it is inconclusive.
    good_fit needs both gaps ruled out; with no gap counting and one undecided: inconclusive."""
    if var_train is None:
        var_train = j_train * (1 - j_train)
        var_cv = j_cv * (1 - j_cv)
    judged = reference is not None
    tol = 0.1 * max(reference if judged else 0.0, j_train)
    bias_gap = j_train - reference if judged else float("nan")
    bias_se = np.sqrt(var_train / n_train)
    var_gap = j_cv - j_train
    var_se = np.sqrt(var_train / n_train + var_cv / n_cv)

    def status(gap, se):
        if gap != gap:
            return "no_reference"
        if gap > tol and gap - Z95 * se > 0:
            return "counts"
        return "ruled_out" if gap + Z95_ONE * se < tol else "inconclusive"

    bias, variance = status(bias_gap, bias_se), status(var_gap, var_se)
    if "counts" in (bias, variance):
        word = {(True, False): "high_bias", (False, True): "high_variance",
                (True, True): "high_bias_high_variance"}[(bias == "counts", variance == "counts")]
    else:
        word = "good_fit" if bias == variance == "ruled_out" else "inconclusive"
    return {
        "reference": reference,
        "bias_gap": bias_gap,
        "bias_lo": bias_gap - Z95 * bias_se,
        "bias_hi": bias_gap + Z95_ONE * bias_se,
        "bias_status": bias,
        "var_gap": var_gap,
        "var_lo": var_gap - Z95 * var_se,
        "var_hi": var_gap + Z95_ONE * var_se,
        "var_status": variance,
        "tol": tol,
        "verdict": word,
    }


def best_f1(y: np.ndarray, s: np.ndarray):
    """Exact best F1 over every distinct threshold (predict positive when score >= t)."""
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    tp = np.cumsum(y_sorted)
    k = np.arange(1, len(s) + 1)
    last = np.r_[s_sorted[1:] != s_sorted[:-1], True]  # last row of each distinct score
    f1 = 2 * tp[last] / (k[last] + y.sum())
    i = int(np.argmax(f1))
    return float(s_sorted[last][i]), float(f1[i])


def f1_at(y: np.ndarray, s: np.ndarray, t: float) -> float:
    pred = s >= t
    tp = int(np.sum(pred & (y == 1)))
    return 2 * tp / (int(pred.sum()) + int(y.sum()))


# ------------------------------------------------------------------------ the cases

SUMMARY: list[dict] = []
EXTRA: dict[str, object] = {}


def record(case, frames, errfn, reference, ref_note, regression=False):
    j = {s: errfn(frames[s]) for s in SPLITS}
    n = {s: len(frames[s]) for s in SPLITS}
    if regression:
        v = verdict(
            j["train"], j["cv"], n["train"], n["cv"], reference,
            var_train=np.var(half_sq(frames["train"]), ddof=1),
            var_cv=np.var(half_sq(frames["cv"]), ddof=1),
        )
    else:
        v = verdict(j["train"], j["cv"], n["train"], n["cv"], reference)
    SUMMARY.append({"case": case, "n": n, "j": j, "ref_note": ref_note, **v})


def case_breast_cancer():
    data = load_breast_cancer()
    X = data.data
    y = 1 - data.target  # sklearn: 0 = malignant; here positive (1) = malignant
    sp = split_indices(len(y), stratify=y)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.3, max_iter=10000, tol=1e-10))
    model.fit(X[sp["train"]], y[sp["train"]])
    radius = X[:, list(data.feature_names).index("mean radius")]
    size = tertile_bins(radius, ("small", "medium", "large"))
    frames = {}
    for s, idx in sp.items():
        frames[s] = write_csv(
            pd.DataFrame(
                {
                    "id": idx,
                    "y_true": y[idx],
                    "y_score": rnd(model.predict_proba(X[idx])[:, 1]),
                    "size": size[idx],
                    "mean_radius": rnd(radius[idx]),
                }
            ),
            f"breast_cancer/{s}.csv",
        )
    for s in SPLITS:
        assert not np.any(frames[s]["y_score"] == 0.5)
    record("breast_cancer", frames, err_binary, HUMAN_BREAST_CANCER, "human=0.02")


def digits_data():
    X, y = load_digits(return_X_y=True)
    ink_total = X.sum(axis=1).astype(int)
    ink = tertile_bins(ink_total, ("light", "medium", "heavy"))
    return X, y, ink, ink_total


def write_multiclass(relpath, model, X, y, idx, classes, extra: dict):
    p = round_probs(full_proba(model, X[idx], classes))
    df = pd.DataFrame({"id": idx, "y_true": y[idx]})
    for j, c in enumerate(classes):
        df[f"y_prob_{c}"] = p[:, j]
    for k, v in extra.items():
        df[k] = v[idx]
    return write_csv(df, relpath)


def case_digits():
    X, y, ink, ink_total = digits_data()
    classes = np.arange(10)
    sp = split_indices(len(y), stratify=y)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=10000, tol=1e-10))
    model.fit(X[sp["train"]], y[sp["train"]])
    frames = {
        s: write_multiclass(
            f"digits/{s}.csv", model, X, y, idx, classes, {"ink": ink, "ink_total": ink_total}
        )
        for s, idx in sp.items()
    }
    record("digits", frames, lambda d: err_multiclass(d, classes), HUMAN_DIGITS, "human=0.01")
    return frames


def case_error_analysis(digits_frames):
    cv = digits_frames["cv"]
    classes = np.arange(10)
    pred = argmax_pred(cv, classes)
    wrong = pred != cv["y_true"].to_numpy()
    sub = cv.loc[wrong, ["id", "y_true"]].copy()
    sub["y_pred"] = pred[wrong]
    sub["y_score"] = rnd(cv.loc[wrong, prob_cols(classes)].to_numpy().max(axis=1))
    # Confusion groups: the usual suspects, plus every (unordered) true/pred pair that
    # occurs at least twice among these cv errors.
    groups = [(1, 7), (4, 9), (3, 5, 8)]
    pairs = pd.Series([tuple(sorted(tp)) for tp in zip(sub["y_true"], sub["y_pred"])])
    for pair, count in sorted(pairs.value_counts().items()):
        if count >= 2 and not any(set(pair) <= set(g) for g in groups):
            groups.append(pair)
    tags = []
    for t, p, score in zip(sub["y_true"], sub["y_pred"], sub["y_score"]):
        row = [
            "confused_" + "_".join(map(str, g)) for g in groups if t in g and p in g
        ] or ["other"]
        if score < 0.5:
            row.append("low_confidence")
        tags.append(";".join(row))
    sub["tags"] = tags
    # the columns `diagnose errors sample` writes: slice columns, then the totals the
    # tally scales up with (this sample holds every cv error)
    for col in ("ink", "ink_total"):
        sub.insert(sub.columns.get_loc("tags"), col, cv.loc[wrong, col].to_numpy())
    sub["total_errors"] = int(wrong.sum())
    sub["cv_n"] = len(cv)
    sub = sub.sort_values("id").reset_index(drop=True)
    # Two rows stay unreviewed (empty tags), picked with a fixed seed.
    unreviewed = np.random.RandomState(SEED).choice(len(sub), size=2, replace=False)
    sub.loc[unreviewed, "tags"] = ""
    write_csv(sub, "error_analysis/cv_reviewed.csv")
    EXTRA["error_analysis"] = sub


MULTILABELS = {
    "even": lambda d: d % 2 == 0,
    "prime": lambda d: np.isin(d, [2, 3, 5, 7]),
    "large": lambda d: d >= 5,
    "loop": lambda d: np.isin(d, [0, 6, 8, 9]),
}


def case_multilabel():
    X, digit, ink, _ = digits_data()
    labels = list(MULTILABELS)
    Y = np.column_stack([MULTILABELS[lab](digit).astype(int) for lab in labels])
    sp = split_indices(len(digit), stratify=digit)
    model = make_pipeline(
        StandardScaler(), OneVsRestClassifier(LogisticRegression(C=0.03, max_iter=10000, tol=1e-10))
    )
    model.fit(X[sp["train"]], Y[sp["train"]])
    frames = {}
    for s, idx in sp.items():
        scores = rnd(model.predict_proba(X[idx]))
        df = pd.DataFrame({"id": idx})
        for j, lab in enumerate(labels):
            df[f"y_true_{lab}"] = Y[idx, j]
            df[f"y_score_{lab}"] = scores[:, j]
        df["ink"] = ink[idx]
        assert not np.any(scores == 0.5)
        frames[s] = write_csv(df, f"multilabel/{s}.csv")
    record(
        "multilabel",
        frames,
        lambda d: err_multilabel(d, labels),
        HUMAN_MULTILABEL,
        "human=0.01 (guess)",
    )


def diabetes_data():
    data = load_diabetes(scaled=False)  # raw units: age in years, sex coded 1/2, bmi ...
    X, y = data.data, data.target
    assert np.all(y == np.round(y))
    names = list(data.feature_names)
    age = X[:, names.index("age")]
    slices = {
        "sex": np.where(X[:, names.index("sex")] == 1, "sex_1", "sex_2"),
        "age_group": np.where(age < 40, "under_40", np.where(age < 60, "40_to_59", "60_plus")),
        "bmi": X[:, names.index("bmi")],
    }
    return X, y.astype(int), slices


def poly_ridge(degree, alpha):
    return make_pipeline(
        StandardScaler(), PolynomialFeatures(degree), StandardScaler(), Ridge(alpha=alpha)
    )


def write_regression(relpath, model, X, y, sp, slices):
    frames = {}
    for s, idx in sp.items():
        df = pd.DataFrame({"id": idx, "y_true": y[idx], "y_pred": rnd(model.predict(X[idx]))})
        for k, v in slices.items():
            df[k] = v[idx]
        frames[s] = write_csv(df, relpath.format(split=s))
    return frames


def case_diabetes():
    X, y, slices = diabetes_data()
    sp = split_indices(len(y))
    linear = LinearRegression().fit(X[sp["train"]], y[sp["train"]])
    lin_frames = write_regression("diabetes_linear/{split}.csv", linear, X, y, sp, slices)
    benchmark = float(round(err_regression(lin_frames["cv"])))
    EXTRA["diabetes_benchmark"] = benchmark

    poly = poly_ridge(3, DEGREE_ALPHA).fit(X[sp["train"]], y[sp["train"]])
    frames = write_regression("diabetes_poly/{split}.csv", poly, X, y, sp, slices)
    record(
        "diabetes_poly",
        frames,
        err_regression,
        benchmark,
        f"competitor={benchmark:.0f} (linear, J_cv)",
        regression=True,
    )
    record(
        "diabetes_linear",
        lin_frames,
        err_regression,
        None,
        "none (bias not judged)",
        regression=True,
    )


def high_bias_model():
    return make_pipeline(
        PCA(n_components=2, svd_solver="full", random_state=SEED),
        LogisticRegression(max_iter=10000, tol=1e-10),
    )


def high_variance_model():
    return DecisionTreeClassifier(random_state=SEED)


def case_high_bias_variance():
    X, y, ink, _ = digits_data()
    classes = np.arange(10)
    sp = split_indices(len(y), stratify=y)
    for name, factory in (("high_bias", high_bias_model), ("high_variance", high_variance_model)):
        model = factory().fit(X[sp["train"]], y[sp["train"]])
        frames = {
            s: write_multiclass(f"{name}/{s}.csv", model, X, y, idx, classes, {"ink": ink})
            for s, idx in sp.items()
        }
        record(name, frames, lambda d: err_multiclass(d, classes), HUMAN_DIGITS, "human=0.01")


def case_skewed():
    X_all, digit, ink_all, _ = digits_data()
    rng = np.random.RandomState(SEED)
    pos = np.flatnonzero(digit == 8)
    neg = np.flatnonzero(digit != 8)
    keep = np.sort(np.concatenate([neg, rng.choice(pos, size=50, replace=False)]))
    X, y, ink = X_all[keep], (digit[keep] == 8).astype(int), ink_all[keep]
    sp = split_indices(len(y), stratify=y)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=10000, tol=1e-10))
    model.fit(X[sp["train"]], y[sp["train"]])
    frames = {}
    for s, idx in sp.items():
        frames[s] = write_csv(
            pd.DataFrame(
                {
                    "id": keep[idx],  # the row number in load_digits
                    "y_true": y[idx],
                    "y_score": rnd(model.predict_proba(X[idx])[:, 1]),
                    "ink": ink[idx],
                }
            ),
            f"skewed/{s}.csv",
        )
        assert not np.any(frames[s]["y_score"] == 0.5)
    record("skewed", frames, err_binary, HUMAN_DIGITS, "human=0.01")
    t, f1_cv = best_f1(frames["cv"]["y_true"].to_numpy(), frames["cv"]["y_score"].to_numpy())
    info = {"threshold": t, "f1_cv_best": f1_cv}
    for s in SPLITS:
        yt, sc = frames[s]["y_true"].to_numpy(), frames[s]["y_score"].to_numpy()
        info[s] = {
            "n": len(yt),
            "positives": int(yt.sum()),
            "prevalence": float(yt.mean()),
            "accuracy_0.5": 1 - err_binary(frames[s]),
            "trivial_accuracy": float(1 - yt.mean()),
            "f1_0.5": f1_at(yt, sc, 0.5),
            "f1_t": f1_at(yt, sc, t),
        }
    EXTRA["skewed"] = info


def case_learning_curves():
    X, y, _, _ = digits_data()
    classes = np.arange(10)
    sp = split_indices(len(y), stratify=y)
    assert LEARNING_SIZES[-1] == len(sp["train"])
    cv = sp["cv"]
    points = {}
    for name, factory in (("high_bias", high_bias_model), ("high_variance", high_variance_model)):
        parts = []
        for m in LEARNING_SIZES:
            tr = sp["train"][:m]
            assert set(y[tr]) == set(classes), f"first {m} training rows miss a class"
            model = factory().fit(X[tr], y[tr])
            for split, idx in (("train", tr), ("cv", cv)):
                p = round_probs(full_proba(model, X[idx], classes))
                df = pd.DataFrame({"split": split, "train_size": m, "id": idx, "y_true": y[idx]})
                for j, c in enumerate(classes):
                    df[f"y_prob_{c}"] = p[:, j]
                parts.append(df)
        full = write_csv(pd.concat(parts, ignore_index=True), f"curves/learning_{name}.csv")
        rows = []
        for m in LEARNING_SIZES:
            run = full[full["train_size"] == m]
            tr_df, cv_df = run[run["split"] == "train"], run[run["split"] == "cv"]
            rows.append(
                {
                    "train_size": m,
                    "train_error": rnd([err_multiclass(tr_df, classes)])[0],
                    "cv_error": rnd([err_multiclass(cv_df, classes)])[0],
                    "n_train": len(tr_df),
                    "n_cv": len(cv_df),
                }
            )
        points[name] = pd.DataFrame(rows)
    write_csv(points["high_variance"], "curves/learning_summary.csv")
    EXTRA["learning"] = points


def case_validation_curves():
    X, y, _ = diabetes_data()
    sp = split_indices(len(y))
    grids = {
        "lambda": [(a, poly_ridge(3, a)) for a in LAMBDA_GRID],
        "degree": [(d, poly_ridge(d, DEGREE_ALPHA)) for d in DEGREE_GRID],
    }
    tables = {}
    for param, runs in grids.items():
        parts, rows = [], []
        for value, model in runs:
            model.fit(X[sp["train"]], y[sp["train"]])
            row = {param: value}
            for split, idx in sp.items():
                df = pd.DataFrame(
                    {
                        "split": split,
                        f"param_{param}": value,
                        "id": idx,
                        "y_true": y[idx],
                        "y_pred": rnd(model.predict(X[idx])),
                    }
                )
                parts.append(df)
                row[split] = err_regression(df)
            rows.append(row)
        write_csv(pd.concat(parts, ignore_index=True), f"curves/validation_{param}.csv")
        tables[param] = pd.DataFrame(rows)
    EXTRA["validation"] = tables


# ------------------------------------------------------------------------- reporting


def fmt(x: float) -> str:
    return f"{x:.4f}" if abs(x) < 10 else f"{x:.0f}"


def gap(r: dict, name: str) -> str:
    """A gap's cell: its value, its 95% range (two-sided low, one-sided high) and its status."""
    if r[f"{name}_status"] == "no_reference":
        return "not judged (no baseline)"
    return (f"{fmt(r[name + '_gap'])} [{fmt(r[name + '_lo'])}, {fmt(r[name + '_hi'])}] "
            f"{r[name + '_status'].replace('_', ' ')}")


def summary_markdown() -> str:
    out = [
        "| case | n train/cv/test | J_train | J_cv | J_test | reference | bias gap | "
        "variance gap | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in SUMMARY:
        n = "/".join(str(r["n"][s]) for s in SPLITS)
        out.append(
            f"| `{r['case']}` | {n} | {fmt(r['j']['train'])} | {fmt(r['j']['cv'])} | "
            f"{fmt(r['j']['test'])} | {r['ref_note']} | "
            f"{gap(r, 'bias')} | {gap(r, 'var')} | **{r['verdict']}** |"
        )
    out.append("")
    out.append(
        "A gap counts when it is > the tolerance 10% × max(reference, J_train) and its 95% lower "
        "bound is > 0; it is ruled out when its one-sided 95% upper bound is below the tolerance; "
        "otherwise it is inconclusive. Good fit needs both gaps ruled out. In brackets: the 95% lower "
        "bound and the one-sided 95% upper bound. Tolerances: "
        + ", ".join(f"`{r['case']}` {fmt(r['tol'])}" for r in SUMMARY)
        + "."
    )

    sk = EXTRA["skewed"]
    out += [
        "",
        "Skewed case (`skewed/`), positive = digit 8, score >= threshold means positive:",
        "",
        "| split | n | positives | prevalence | accuracy@0.5 | trivial accuracy | F1@0.5 | "
        f"F1@{sk['threshold']:g} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in SPLITS:
        i = sk[s]
        out.append(
            f"| {s} | {i['n']} | {i['positives']} | {i['prevalence']:.4f} | "
            f"{i['accuracy_0.5']:.4f} | {i['trivial_accuracy']:.4f} | {i['f1_0.5']:.4f} | "
            f"{i['f1_t']:.4f} |"
        )
    out.append("")
    out.append(
        f"The F1-optimal threshold on cv is {sk['threshold']:g} (cv F1 {sk['f1_cv_best']:.4f}); "
        "the test column reports that cv-chosen threshold on test."
    )

    for name, table in EXTRA["learning"].items():
        out += [
            "",
            f"Learning curve `curves/learning_{name}.csv` (fraction misclassified by argmax):",
            "",
            "| train_size | J_train | J_cv | n_train | n_cv |",
            "|---|---|---|---|---|",
        ]
        for r in table.to_dict("records"):
            out.append(
                f"| {r['train_size']} | {r['train_error']:.4f} | {r['cv_error']:.4f} | "
                f"{r['n_train']} | {r['n_cv']} |"
            )

    for param, table in EXTRA["validation"].items():
        best = table.loc[table["cv"].idxmin()]
        out += [
            "",
            f"Validation curve `curves/validation_{param}.csv` (J = sum of squared errors / 2m):",
            "",
            f"| param_{param} | J_train | J_cv | J_test |",
            "|---|---|---|---|",
        ]
        for r in table.to_dict("records"):
            out.append(
                f"| {r[param]:g} | {r['train']:.0f} | {r['cv']:.0f} | {r['test']:.0f} |"
            )
        out.append("")
        out.append(
            f"Lowest J_cv at param_{param} = {best[param]:g} "
            f"(J_cv {best['cv']:.0f}, its J_test {best['test']:.0f})."
        )

    ea = EXTRA["error_analysis"]
    reviewed = ea[ea["tags"] != ""]
    counts: dict[str, int] = {}
    for t in reviewed["tags"]:
        for tag in t.split(";"):
            counts[tag] = counts.get(tag, 0) + 1
    out += [
        "",
        f"Error analysis (`error_analysis/cv_reviewed.csv`): {len(ea)} misclassified cv rows, "
        f"{len(reviewed)} tagged, {len(ea) - len(reviewed)} left unreviewed. Tag counts: "
        + ", ".join(f"`{k}` {v}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        + ".",
    ]
    return "\n".join(out)


def print_summary() -> None:
    header = f"{'case':<16}{'n train/cv/test':>17}{'J_train':>10}{'J_cv':>10}{'J_test':>10}  verdict"
    print(header)
    print("-" * len(header))
    for r in SUMMARY:
        n = "/".join(str(r["n"][s]) for s in SPLITS)
        print(
            f"{r['case']:<16}{n:>17}{fmt(r['j']['train']):>10}{fmt(r['j']['cv']):>10}"
            f"{fmt(r['j']['test']):>10}  {r['verdict']} (reference {r['ref_note']})"
        )


def update_readme(block: str) -> None:
    readme = HERE / "README.md"
    if not readme.exists():
        print("README.md not found; summary not written there", file=sys.stderr)
        return
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(r"(<!-- summary:start -->\n).*?(<!-- summary:end -->)", re.S)
    if not pattern.search(text):
        print("README.md has no summary markers; summary not written there", file=sys.stderr)
        return
    new = pattern.sub(lambda m: m.group(1) + block + "\n" + m.group(2), text)
    if new != text:
        readme.write_text(new, encoding="utf-8")


def main() -> None:
    with threadpool_limits(limits=1):
        make_all()


def make_all() -> None:
    case_breast_cancer()
    digits_frames = case_digits()
    case_multilabel()
    case_diabetes()
    case_high_bias_variance()
    case_skewed()
    case_error_analysis(digits_frames)
    case_learning_curves()
    case_validation_curves()
    print_summary()
    update_readme(summary_markdown())


if __name__ == "__main__":
    main()
