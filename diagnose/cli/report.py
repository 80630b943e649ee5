"""``diagnose report``: the bias/variance diagnosis of one run."""
from __future__ import annotations

import click

from . import main
from .common import baseline_options, emit, format_option, input_options, parse_pairs


@main.command()
@click.option("--train", type=click.Path(dir_okay=False), help="Train-split predictions (CSV or Parquet).")
@click.option("--cv", type=click.Path(dir_okay=False), help="Cross-validation-split predictions.")
@click.option("--test", type=click.Path(dir_okay=False), help="Test-split predictions (optional).")
@click.option("--data", type=click.Path(dir_okay=False),
              help="One file with a 'split' column holding train, cv and test.")
@baseline_options
@click.option("--metric", help="error_rate (default), log_loss, brier; regression: half_mse "
              "(default), mse, rmse, mae.")
@click.option("--tolerance", type=float, default=0.10, show_default=True,
              help="A gap is material above this share of max(reference, J_train).")
@click.option("--tolerance-abs", type=float, default=0.0, show_default=True,
              help="...or above this absolute amount, whichever is larger.")
@click.option("--threshold-rule", default="f1", show_default=True, metavar="RULE",
              help="How the threshold is chosen on cv: f1, fbeta:B, precision>=P or recall>=R.")
@click.option("--skew-threshold", type=float, default=0.10, show_default=True,
              help="Classes count as skewed when the minority share of train is below this.")
@input_options
@format_option
def report(train, cv, test, data, baseline, baseline_file, metric, tolerance, tolerance_abs,
           threshold_rule, skew_threshold, task, column_map, positive_label, encoding, fmt):
    """Diagnose bias vs variance from train, cv and (optional) test predictions."""
    from ..options import Tolerance
    from ..service import report as build

    if not any([train, cv, data]):
        raise click.UsageError("give --train and --cv (and --test), or --data with a split column")
    result = build(
        train=train, cv=cv, test=test, data=data,
        baselines=parse_pairs(baseline, what="--baseline", number=True),
        baseline_files=parse_pairs(baseline_file, what="--baseline-file"),
        task=task, metric=metric, columns=parse_pairs(column_map, what="--column"),
        positive_label=positive_label, tolerance=Tolerance(relative=tolerance, absolute=tolerance_abs),
        encoding=encoding, threshold_rule=threshold_rule, skew_threshold=skew_threshold,
    )
    emit(result, fmt)
