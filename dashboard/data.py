"""Every cache of the dashboard, in one place.

Each cached function takes the database URL, so two databases never share entries
(tests open a new one per test). A run's data is keyed by its creation time too: a run
deleted and stored again under the same name is a new entry. Small values (lists,
reports) go through ``st.cache_data``; large arrays and the results built from them go
through ``st.cache_resource``, which hands back the same object instead of a copy; they
are never modified.
"""
from __future__ import annotations

from contextlib import contextmanager

import streamlit as st

from diagnose import settings

LIST_TTL = 10  # seconds a project's run list may lag another user's upload


def url() -> str:
    return settings.database_url()


def shown_url() -> str:
    """The database URL for people: a password in it is masked."""
    return settings.shown_url(url())


@st.cache_resource(show_spinner=False)
def _engine(database_url: str, create: bool):
    from diagnose.store import make_engine

    return make_engine(database_url, create=create)


def engine():
    """The engine on the configured database; a read-only dashboard never creates the store."""
    return _engine(url(), not settings.get("dashboard_read_only"))


@contextmanager
def session():
    """A read session on the configured database; database trouble becomes a DiagnoseError."""
    from sqlalchemy.orm import Session

    from diagnose.store import database_errors

    with database_errors(), Session(engine()) as s:
        yield s


def writable_engine():
    """The engine, for a write; a read-only dashboard refuses (its pages hide their writes, this
    makes sure)."""
    if settings.get("dashboard_read_only"):
        from diagnose.exceptions import UsageError

        raise UsageError("this dashboard is read-only (DIAGNOSE_DASHBOARD_READ_ONLY): nothing was stored")
    return engine()


@contextmanager
def transaction():
    """A write session: everything inside is one transaction (a failure stores nothing)."""
    from sqlalchemy.orm import Session

    from diagnose.store import database_errors

    with database_errors(), Session(writable_engine()) as s, s.begin():
        yield s


# ----------------------------------------------------------------------------- listings


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def _projects(database_url: str) -> list[str]:
    from diagnose.store import list_projects

    with session() as s:
        return list_projects(s)


def projects() -> list[str]:
    return _projects(url())


@st.cache_data(ttl=LIST_TTL, show_spinner=False)
def _overview(database_url: str, project: str):
    from diagnose.service import run_overview

    with session() as s:
        return run_overview(s, project)


def overview(project: str):
    """The project's runs, oldest first: verdict, errors, gaps, date (see ``diagnose.service.run_overview``)."""
    return _overview(url(), project)


def forget_lists() -> None:
    """After a write: the next listing reads the database again."""
    _projects.clear()
    _overview.clear()


def version(project: str, run: str) -> str:
    """The run's creation time, which keys everything cached about it."""
    runs = overview(project)
    match = runs.loc[runs["run"] == run, "created_at"]
    if match.empty:  # stored by someone else since the list was read
        forget_lists()
        runs = overview(project)
        match = runs.loc[runs["run"] == run, "created_at"]
    return "" if match.empty else match.iloc[0].isoformat()


# ----------------------------------------------------------------------------- one run


@st.cache_data(max_entries=64, show_spinner=False)
def _stored_run(database_url: str, project: str, run: str, created: str):
    from diagnose.store import get_run

    with session() as s:
        return get_run(s, project, run)


def stored_run(project: str, run: str):
    """The run's stored report (JSON as at submission, text, baselines, submissions)."""
    return _stored_run(url(), project, run, version(project, run))


@st.cache_resource(max_entries=3, show_spinner="Reading the run's predictions...")
def _splits(database_url: str, project: str, run: str, created: str):
    from diagnose.store import load_run_splits

    with session() as s:
        return load_run_splits(s, project, run)


def splits(project: str, run: str):
    """The run's stored predictions, validated back into :class:`diagnose.ingest.Splits`."""
    return _splits(url(), project, run, version(project, run))


def cv_rows(project: str, run: str) -> int:
    """The run's stored cv rows (from the stored submissions: no row is read)."""
    return sum(sub.n_rows for sub in stored_run(project, run).submissions if sub.split == "cv")


def big_run(project: str, run: str) -> bool:
    """Whether the run's cv split is above ``dashboard_big_run_rows``: the pages that read rows
    then read them only when asked."""
    return cv_rows(project, run) > int(settings.get("dashboard_big_run_rows"))


@st.cache_resource(max_entries=8, show_spinner=False)
def _stored_statistics(database_url: str, project: str, run: str, created: str):
    from diagnose.service import run_statistics

    with session() as s:
        return run_statistics(s, project, run)


def stored_statistics(project: str, run: str):
    """The statistics stored with the run, by split (``Found``: ``.stats``, ``.scores``), or
    ``None`` for a run stored before diagnose kept them."""
    return _stored_statistics(url(), project, run, version(project, run))


@st.cache_resource(max_entries=3, show_spinner="Computing the run's statistics from its rows...")
def _computed_statistics(database_url: str, project: str, run: str, created: str):
    from diagnose.service import statistics_of

    metric = _stored_run(database_url, project, run, created).report.get("metric")
    return statistics_of(_splits(database_url, project, run, created), metric=metric)


def statistics(project: str, run: str) -> tuple[dict, bool]:
    """The run's statistics by split and whether they were stored: a run stored before
    diagnose kept them gets them computed from its decoded rows (the engines' kernel)."""
    found = stored_statistics(project, run)
    if found is not None:
        return found, True
    return _computed_statistics(url(), project, run, version(project, run)), False


@st.cache_resource(max_entries=16, show_spinner=False)
def _edge_counts(database_url: str, project: str, run: str, created: str, split: str):
    from dashboard.scoregrid import EdgeCounts

    found = (_stored_statistics(database_url, project, run, created) or {}).get(split)
    return None if found is None or found.scores is None else EdgeCounts.of(found.scores)


def edge_counts(project: str, run: str, split: str):
    """Counts by threshold at the score grid's edges, from the split's stored histogram
    (:class:`dashboard.scoregrid.EdgeCounts`); ``None`` when the run stored none for it."""
    return _edge_counts(url(), project, run, version(project, run), split)


@st.cache_resource(max_entries=16, show_spinner="Sweeping every threshold...")
def _sweep(database_url: str, project: str, run: str, created: str, split: str, label: int | None):
    from diagnose.thresholds import sweep

    pred = getattr(_splits(database_url, project, run, created), split)
    y, score = pred.y_true, pred.y_score
    if label is not None:
        y, score = y[:, label], score[:, label]
    return sweep(y, score, sample_weight=pred.weight)


def threshold_sweep(project: str, run: str, split: str, label: int | None = None):
    """Counts at every distinct score of a split (one label's, for multi-label)."""
    return _sweep(url(), project, run, version(project, run), split, label)


@st.cache_resource(max_entries=8, show_spinner="Drawing the sample...")
def _error_sample(database_url: str, project: str, run: str, created: str, n: int, seed: int, within: str | None):
    from diagnose.error_analysis import sample_errors

    return sample_errors(_splits(database_url, project, run, created).cv, n=n, seed=seed, within=within)


@st.cache_resource(max_entries=8, show_spinner="Drawing the sample (a pass over the cv rows in batches)...")
def _streamed_sample(database_url: str, project: str, run: str, created: str, n: int, seed: int,
                     within: str | None):
    from diagnose.service import error_sample_from_store

    with session() as s:
        return error_sample_from_store(s, project, run, n=n, seed=seed, within=within)


def error_sample(project: str, run: str, *, n: int, seed: int, within: str | None = None):
    """A sample of the cv errors; ``within``: only those inside a slice (as ``errors slices`` writes it).
    A big run's (:func:`big_run`) is drawn by a pass over its stored cv rows in batches, which
    picks the same rows without holding them all."""
    if big_run(project, run):
        return _streamed_sample(url(), project, run, version(project, run), n, seed, within)
    return _error_sample(url(), project, run, version(project, run), n, seed, within)


@st.cache_resource(max_entries=8, show_spinner="Searching the slices where errors concentrate...")
def _slices(database_url: str, project: str, run: str, created: str):
    from diagnose.error_analysis import find_slices

    splits = _splits(database_url, project, run, created)
    return find_slices(splits.cv, splits.test)


def slices(project: str, run: str):
    return _slices(url(), project, run, version(project, run))


@st.cache_resource(max_entries=8, show_spinner="Computing cohort error rates...")
def _cohorts(database_url: str, project: str, run: str, created: str):
    from diagnose.error_analysis import cohort_table

    return cohort_table(_splits(database_url, project, run, created).cv)


def cohorts(project: str, run: str):
    return _cohorts(url(), project, run, version(project, run))


def tags(project: str, run: str):
    """Reviewers' stored tags of the run's cv split (read fresh: colleagues tag at the same time)."""
    from diagnose.store import get_tags

    with session() as s:
        return get_tags(s, project=project, run=run)


def tally(project: str, run: str, sample=None):
    """The ranked tally of the stored tags (the cached cv predictions give the error count; for a
    big run, ``sample``'s counts of errors and cv rows, with no row read)."""
    from diagnose.service import tally_from_store

    with session() as s:
        if sample is not None and big_run(project, run):
            return tally_from_store(s, project, run, total_errors=sample.total_errors, cv_n=sample.cv_n)
        return tally_from_store(s, project, run, predictions=splits(project, run).cv)


def save_tag_changes(project: str, run: str, changes, reviewer: str | None) -> tuple[int, int]:
    """Write a :class:`~dashboard.tagging.TagChanges` in one transaction: (saved, cleared)."""
    from diagnose.store import delete_tags, save_tags

    with transaction() as s:
        saved = save_tags(s, project=project, run=run, tags=changes.save, reviewer=reviewer)
        cleared = delete_tags(s, project=project, run=run, sample_ids=changes.clear)
    return saved, cleared


# ----------------------------------------------------------------------------- a project


def _signature(project: str) -> tuple:
    runs = overview(project)
    return tuple(zip(runs["run"], (t.isoformat() for t in runs["created_at"])))


@st.cache_resource(max_entries=8, show_spinner="Building the learning curve...")
def _learning_curve(database_url: str, project: str, signature: tuple):
    from diagnose.service import learning_curve_from_store

    with session() as s:
        return learning_curve_from_store(s, project)


def learning_curve(project: str):
    return _learning_curve(url(), project, _signature(project))


@st.cache_resource(max_entries=8, show_spinner="Building the validation curve...")
def _validation_curve(database_url: str, project: str, signature: tuple, param: str):
    from diagnose.service import validation_curve_from_store

    with session() as s:
        return validation_curve_from_store(s, project, param=param)


def validation_curve(project: str, param: str):
    return _validation_curve(url(), project, _signature(project), param)


@st.cache_resource(max_entries=8, show_spinner="Looking for labels that look wrong...")
def _suspects(database_url: str, project: str, run: str, created: str):
    from diagnose.error_analysis import find_suspects

    cv = _splits(database_url, project, run, created).cv
    return None if cv.y_score is None else find_suspects(cv, top=50)


def suspects(project: str, run: str):
    """The cv rows whose label looks wrong (``None`` without probabilities)."""
    return _suspects(url(), project, run, version(project, run))


@st.cache_resource(max_entries=4, show_spinner="Comparing the two runs row by row...")
def _paired(database_url: str, project: str, a: str, b: str, created_a: str, created_b: str):
    from diagnose.exceptions import DiagnoseError
    from diagnose.paired import compare_splits, disagreements

    sa, sb = _splits(database_url, project, a, created_a), _splits(database_url, project, b, created_b)
    pick = {name: p for name, p in (("cv", sa.cv), ("test", sa.test)) if p is not None}
    other = {name: p for name, p in (("cv", sb.cv), ("test", sb.test)) if p is not None}
    try:
        metric = _stored_run(database_url, project, a, created_a).report.get("metric")
        return compare_splits(pick, other, metric=metric, reps=200), disagreements(sa.cv, sb.cv, n=50), None
    except DiagnoseError as exc:  # the runs do not share their rows: nothing to pair
        return None, None, str(exc)


def paired(project: str, a: str, b: str):
    """The paired comparison of two stored runs, a sample of the cv rows exactly one gets right
    (with their count), or why they cannot be paired."""
    return _paired(url(), project, a, b, version(project, a), version(project, b))


# ----------------------------------------------------------------------------- drawings


@st.cache_resource(max_entries=64, show_spinner=False)
def _drawing(database_url: str, key: tuple, _build):
    return _build()


# the drawings that follow a slider (one per position): a cache of their own, so that moving a
# slider does not push every other run's drawings out
@st.cache_resource(max_entries=16, show_spinner=False)
def _moving_drawing(database_url: str, key: tuple, _build):
    return _build()


def run_drawing(project: str, run: str, name: tuple, build, *, moving: bool = False):
    """What ``build()`` returns (charts as :func:`dashboard.charts.vega_spec`, and what goes with
    them), built once per stored run and ``name``, which must hold everything else the drawing
    depends on (the slider's threshold, the label): a new session's page then sends the same
    charts without building and validating them again. ``moving``: the drawing follows a
    slider (kept in a smaller cache of its own)."""
    cache = _moving_drawing if moving else _drawing
    return cache(url(), ("run", project, run, version(project, run), *name), build)


def project_drawing(project: str, name: tuple, build):
    """:func:`run_drawing` for a drawing of the project's runs (a curve): built again when a run
    of the project is stored or deleted."""
    return _drawing(url(), ("project", project, _signature(project), *name), build)
