"""``diagnose errors sample|tally|cohorts|slices|suspects|shift``: error analysis on the cv split."""
from __future__ import annotations

import click

from ..exceptions import UsageError
from ..options import (
    DEFAULT_BINS,
    DEFAULT_FDR,
    DEFAULT_MAX_CONDITIONS,
    DEFAULT_MIN_LIFT,
    DEFAULT_SEED,
    DEFAULT_TOP,
    DEFAULT_TOP_SHARE,
    ReadOptions,
)
from . import _remote
from ._options import collect, emit, emit_with_warnings, format_option, note, options, stdout_is_terminal

CUT_HELP = "Regression: rows with |error| above this count as errors (default: the top share)."
TOP_SHARE_HELP = "Regression without --cut: the largest share of |error| that counts as errors."


BINS = click.option("--bins", type=click.IntRange(min=2), default=DEFAULT_BINS, show_default=True,
                    help="Quantile bins for numeric slice columns.")


def fdr_option(what: str):
    """The --fdr option of a command that controls false discoveries ``what`` (Benjamini-Hochberg)."""
    return click.option("--fdr", type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
                        default=DEFAULT_FDR, show_default=True,
                        help=f"False-discovery rate {what} (Benjamini-Hochberg).")


@click.group()
def errors() -> None:
    """Error analysis: sample cv errors to review, tally their tags, find failing cohorts."""


@errors.command()
@click.option("--cv", "cv", required=True, type=click.Path(dir_okay=False),
              help="Cv predictions (CSV or Parquet); a file with a 'split' column gives its cv rows.")
@click.option("--n", "n", required=True, type=click.IntRange(min=1), help="How many errors to sample.")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Random seed (same seed, same sample).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the sample to this CSV (default: stdout).")
@click.option("--cut", type=float, help=CUT_HELP)
@click.option("--top-share", type=float, default=DEFAULT_TOP_SHARE, show_default=True, help=TOP_SHARE_HELP)
@click.option("--slice", "within", metavar="SLICE",
              help="Sample only the errors inside this slice, written as 'errors slices' prints it, "
              "e.g. \"region=north & device=mobile\".")
@click.option("--prefer", type=click.Choice(["suspects"]),
              help="suspects: put the sampled rows whose label looks wrong (confident learning) first, "
              "marked in a 'label_suspect' column.")
@options(ReadOptions)
def sample(cv, n, seed, output, cut, top_share, within, prefer, **values):
    """Draw a reproducible random sample of misclassified cv rows to tag.

    The CSV has id, y_true, y_pred, the score, the slice columns, an empty 'tags' column
    to fill in (categories separated by ';'), and constant columns 'total_errors' and
    'cv_n' that let the tally scale the counts up to every cv error.
    """
    from ..error_analysis import sample_errors
    from ..ingest import load_predictions

    if output:
        _check_output_dir(output)  # before reading cv: a large file need not be read in vain
    pred = load_predictions(cv, options=collect(ReadOptions, values))
    result = sample_errors(pred, n=n, seed=seed, cut=cut, top_share=top_share, within=within, prefer=prefer)
    for warning in result.warnings:
        note(f"warning: {warning}")
    if output:
        from ..present import sheet_frame

        try:  # a cell a spreadsheet would run as a formula (=, +, -, @) is written as text
            sheet_frame(result.frame).to_csv(output, index=False)
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror or exc}") from None
        note(f"{result.summary()}; wrote {output}")
    else:
        from ..present import terminal_text

        text = result.to_text()  # the CSV a file gets: piped, it reads back (errors tally) as written
        if stdout_is_terminal():  # a terminal shows escapes, never obeys them
            click.echo(terminal_text(text), nl=False)
        else:  # color=True: click would strip escape sequences (ANSI) from the ids otherwise
            click.echo(text, nl=False, color=True)
        note(result.summary())


def _check_output_dir(output: str) -> None:
    """Refuse an output path whose directory does not exist (pandas' OSError names no fix)."""
    from pathlib import Path

    parent = Path(output).expanduser().parent
    if not parent.is_dir():
        raise UsageError(f"cannot write {output}: the directory '{parent}' does not exist. "
                         "Create it first, or give another -o path")


@errors.command()
@_remote.remote(_remote.tally)
@click.argument("tagged", required=False, type=click.Path(dir_okay=False))
@click.option("--total-errors", type=click.IntRange(min=0),
              help="How many cv errors the sample was drawn from (overrides the file's column).")
@click.option("--cv-n", type=click.IntRange(min=1), help="How many cv rows there are (for max_error_reduction).")
@click.option("--cv", "cv", type=click.Path(dir_okay=False),
              help="The cv predictions: checks the ids and gives the totals when the file lacks them.")
@click.option("--cut", type=float, help=CUT_HELP)
@click.option("--top-share", type=float, default=DEFAULT_TOP_SHARE, show_default=True, help=TOP_SHARE_HELP)
@click.option("--project", help="A stored run's project: its cv split checks TAGGED, or without TAGGED "
              "the tags reviewers stored (dashboard) are tallied.")
@click.option("--run", "run_name", help="The stored run (with --project).")
@click.option("--save", is_flag=True, help="With TAGGED and --project/--run: also store the file's tags "
              "in the database (replacing earlier tags of the same ids), for the dashboard and later tallies.")
@click.option("--reviewer", help="Who reviewed the sample (stored with --save).")
@options(ReadOptions)
@format_option
def tally(tagged, total_errors, cv_n, cv, cut, top_share, project, run_name, save, reviewer, fmt, **values):
    """Count the tagged error categories of a reviewed sample, ranked, with estimates.

    TAGGED is a reviewed sample file; or give --project P --run R to tally stored tags."""
    from ..service import tally as run

    if bool(project) != bool(run_name):
        raise click.UsageError("--project and --run go together")
    if project and cv:
        raise click.UsageError("give --cv or --project/--run, not both")
    if (save or reviewer) and not (tagged and project):
        raise click.UsageError("--save and --reviewer need a TAGGED file and --project P --run R")
    opts = collect(ReadOptions, values)
    if project:
        from ..service import session, tally_from_store
        from ..store import load_run_splits

        with session(create=False) as s:  # reading: a mistyped store is an error, never created
            if not tagged:
                emit(tally_from_store(s, project, run_name, total_errors=total_errors), fmt)
                return
            cv = load_run_splits(s, project, run_name).cv
    elif not tagged:
        raise click.UsageError("give a TAGGED file, or --project P --run R for the tags stored there")
    if save:  # read and checked against the stored cv split here, so that its tags can be kept
        from ..ingest import load_tagged

        tagged = load_tagged(tagged, cv=cv, columns=opts.column_map, encoding=opts.encoding)
    result = run(tagged, cv=cv, total_errors=total_errors, cv_n=cv_n, cut=cut, top_share=top_share, options=opts)
    if save:  # only after the tally succeeded: a bad file stores nothing
        import numpy as np

        from ..service import session
        from ..store import save_tags

        reviewed = np.array([t is not None for t in tagged.tags], dtype=bool)  # None: a row not reviewed yet
        with session() as s, s.begin():
            saved = save_tags(s, project=project, run=run_name,
                              tags=dict(zip(tagged.ids[reviewed], tagged.tags[reviewed])), reviewer=reviewer)
        note(f"saved the tags of {saved} reviewed rows to run '{run_name}' of project '{project}'")
    emit_with_warnings(result, fmt)


@errors.command()
@click.option("--cv", "cv", required=True, type=click.Path(dir_okay=False),
              help="Cv predictions (CSV or Parquet); a file with a 'split' column gives its cv rows.")
@BINS
@fdr_option("for flagging cohorts")
@click.option("--cut", type=float, help=CUT_HELP)
@click.option("--top-share", type=float, default=DEFAULT_TOP_SHARE, show_default=True, help=TOP_SHARE_HELP)
@options(ReadOptions)
@format_option
def cohorts(cv, bins, fdr, cut, top_share, fmt, **values):
    """Error rate per value of each slice column; flag cohorts significantly above overall."""
    from ..service import cohort_table

    result = cohort_table(cv, bins=bins, fdr=fdr, cut=cut, top_share=top_share, options=collect(ReadOptions, values))
    emit_with_warnings(result, fmt)


@errors.command()
@click.option("--cv", "cv", required=True, type=click.Path(dir_okay=False),
              help="Cv predictions with slice columns (CSV or Parquet); a file with a 'split' column gives its "
              "cv rows (and its test rows, without --test).")
@click.option("--test", "test", type=click.Path(dir_okay=False),
              help="Test predictions: each slice's figures there too.")
@BINS
@click.option("--fdr", type=click.FloatRange(min=0, max=1, min_open=True, max_open=True), default=DEFAULT_FDR,
              show_default=True, help="False-discovery rate (Benjamini-Hochberg over every tested slice).")
@click.option("--min-size", type=click.IntRange(min=1),
              help="Fewest rows a slice may have in the search half (default: 1% of it, at least 30).")
@click.option("--min-lift", type=click.FloatRange(min=1), default=DEFAULT_MIN_LIFT, show_default=True,
              help="How many times the overall error a slice's error must be to count as material.")
@click.option("--max-conditions", type=click.IntRange(1, 3), default=DEFAULT_MAX_CONDITIONS, show_default=True,
              help="Most conditions in a slice.")
@click.option("--top", type=click.IntRange(min=1), default=DEFAULT_TOP, show_default=True,
              help="Most slices to list.")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="Seed of the hash that halves cv into search and held-out rows.")
@options(ReadOptions)
@format_option
def slices(cv, test, bins, fdr, min_size, min_lift, max_conditions, top, seed, fmt, **values):
    """Find the slices (up to 3 conditions on the slice columns) where cv errors concentrate.

    A slice is listed when its error is significantly above the rest (false-discovery rate
    controlled), at least --min-lift times the overall error, and the same holds on a held-out
    half of cv. Sample its errors for review with: errors sample --slice "SLICE".
    """
    from ..service import slices as run

    result = run(cv, test=test, bins=bins, fdr=fdr, min_size=min_size, min_lift=min_lift,
                 max_conditions=max_conditions, top=top, seed=seed, options=collect(ReadOptions, values))
    emit_with_warnings(result, fmt)


@errors.command()
@click.option("--cv", "cv", type=click.Path(dir_okay=False),
              help="Cv predictions with probabilities (CSV or Parquet).")
@click.option("--train", "train", type=click.Path(dir_okay=False),
              help="Train predictions instead of cv: only if they are out-of-fold (say so with --out-of-fold).")
@click.option("--out-of-fold", is_flag=True,
              help="The train predictions are out-of-fold (e.g. cross_val_predict), not the model's own fit.")
@click.option("--top", type=click.IntRange(min=1), default=DEFAULT_TOP, show_default=True,
              help="Most suspects to list.")
@click.option("--reps", type=click.IntRange(min=0), default=200, show_default=True,
              help="Bootstrap resamples for the interval of the estimated count (0: none).")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Seed of the bootstrap.")
@options(ReadOptions)
@format_option
def suspects(cv, train, out_of_fold, top, reps, seed, fmt, **values):
    """Rank the rows whose given label looks wrong (confident learning), and estimate how many
    labels are wrong. Needs out-of-sample probabilities: cv, or out-of-fold train predictions."""
    from ..service import suspects as run

    if bool(cv) == bool(train):
        raise click.UsageError("give --cv F, or --train F with --out-of-fold")
    result = run(cv or train, split="cv" if cv else "train", out_of_fold=out_of_fold, top=top, reps=reps,
                 seed=seed, options=collect(ReadOptions, values))
    emit_with_warnings(result, fmt)


@errors.command()
@click.option("--cv", "cv", required=True, type=click.Path(dir_okay=False),
              help="Cv predictions (CSV or Parquet); a file with a 'split' column gives its cv and test rows.")
@click.option("--test", "test", type=click.Path(dir_okay=False), help="Test predictions.")
@BINS
@fdr_option("over the slice columns")
@click.option("--cut", type=float, help=CUT_HELP)
@click.option("--top-share", type=float, default=DEFAULT_TOP_SHARE, show_default=True, help=TOP_SHARE_HELP)
@options(ReadOptions)
@format_option
def shift(cv, test, bins, fdr, cut, top_share, fmt, **values):
    """Why test differs from cv: what moved (labels, scores, slice columns) and whether errors
    within matched slices changed. The report adds this when the test gap counts."""
    from ..service import shift as run

    result = run(cv, test, bins=bins, fdr=fdr, cut=cut, top_share=top_share, options=collect(ReadOptions, values))
    emit_with_warnings(result, fmt)
