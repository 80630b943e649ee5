"""``diagnose threshold``: choose a decision threshold on cv, report it on test."""
from __future__ import annotations

import click

from ..options import ReportOptions
from ._options import collect, emit, format_option, options

THRESHOLD_FIELDS = ("task", "columns", "positive_label", "encoding", "threshold_rule", "bootstrap", "seed",
                    "curve_points")


@click.command()
@click.option("--cv", required=True, type=click.Path(dir_okay=False),
              help="cv-split predictions: the threshold is chosen here. A file with a 'split' "
              "column gives its cv rows (and its test rows, without --test).")
@click.option("--test", type=click.Path(dir_okay=False),
              help="Test-split predictions: reported at the cv threshold, never chosen on.")
@options(ReportOptions, only=THRESHOLD_FIELDS, aliases={"threshold_rule": ("--rule",)})
@format_option
def threshold(cv, test, fmt, **values):
    """Pick the decision threshold on cv by a rule; show cv and test metrics beside 0.5."""
    from ..exceptions import UsageError
    from ..ingest import load_cv_test, task_type
    from ..thresholds import ThresholdRule, choose_threshold

    opts = collect(ReportOptions, values)
    rule = ThresholdRule.parse(opts.threshold_rule)  # a bad rule fails before any file is read
    if opts.task is not None and not task_type(opts.task).classification:
        raise UsageError(f"thresholds apply to binary and multi-label classification, not {opts.task}")
    # a file of several splits: the threshold is chosen on its cv rows only (its train and
    # test rows must not move it); its test rows report it unless --test is given
    cv_pred, test_pred = load_cv_test(cv, test, options=opts)
    emit(choose_threshold(cv_pred, test_pred, rule=rule, bootstrap=opts.bootstrap, seed=opts.seed,
                          max_points=opts.curve_points), fmt)
