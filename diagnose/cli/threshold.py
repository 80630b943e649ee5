"""``diagnose threshold``: choose a decision threshold on cv, report it on test."""
from __future__ import annotations

import click

from . import main
from .common import emit, format_option, input_options, parse_pairs

RULE_HELP = ("f1 (default), fbeta:B, precision>=P (best recall with precision at least P) or "
             "recall>=R (best precision with recall at least R).")


@main.command()
@click.option("--cv", required=True, type=click.Path(dir_okay=False),
              help="cv-split predictions: the threshold is chosen here. A file with a 'split' "
              "column gives its cv rows (and its test rows, without --test).")
@click.option("--test", type=click.Path(dir_okay=False),
              help="Test-split predictions: reported at the cv threshold, never chosen on.")
@click.option("--rule", default="f1", show_default=True, metavar="RULE", help=RULE_HELP)
@click.option("--bootstrap", type=click.IntRange(min=0), default=None,
              help="Bootstrap resamples of cv for the interval of the threshold (0: none). "
              "Default: 200, fewer for cv sets over 50,000 rows, none over 500,000.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
@click.option("--curve-points", type=click.IntRange(min=2), default=1000, show_default=True,
              help="At most this many points of the precision/recall curve in JSON.")
@input_options
@format_option
def threshold(cv, test, rule, bootstrap, seed, curve_points, task, column_map, positive_label, encoding, fmt):
    """Pick the decision threshold on cv by a rule; show cv and test metrics beside 0.5."""
    from ..exceptions import UsageError
    from ..ingest import load_cv_test
    from ..options import ReadOptions
    from ..thresholds import ThresholdRule, choose_threshold

    rule = ThresholdRule.parse(rule)  # a bad rule fails before any file is read
    if task == "regression":
        raise UsageError("thresholds apply to binary and multi-label classification, not regression")
    options = ReadOptions.of(task=task, columns=parse_pairs(column_map, what="--column"),
                             positive_label=positive_label, encoding=encoding)
    # a file of several splits: the threshold is chosen on its cv rows only (its train and
    # test rows must not move it); its test rows report it unless --test is given
    cv_pred, test_pred = load_cv_test(cv, test, options=options)
    result = choose_threshold(cv_pred, test_pred, rule=rule, bootstrap="auto" if bootstrap is None else bootstrap,
                              seed=seed, max_points=curve_points)
    emit(result, fmt)
