"""``diagnose calibrate``: can the scores be trusted as probabilities, and which recalibration
(fitted on cv, judged on test) to ship."""
from __future__ import annotations

import click

from ..options import CALIBRATION_METHODS, CALIBRATION_STRATEGIES, DEFAULT_CALIBRATION_BINS, DEFAULT_SEED, ReadOptions
from ._options import PLOT, collect, emit, format_option, note, options, write_plot

FILE = click.Path(dir_okay=False)


@click.command()
@click.option("--cv", "cv", required=True, type=FILE,
              help="Cv predictions with probabilities (CSV or Parquet); the recalibration is fitted here.")
@click.option("--test", "test", type=FILE,
              help="Test predictions: the recalibration is judged here (a cv file with a 'split' column may "
              "hold them).")
@click.option("--method", type=click.Choice([*CALIBRATION_METHODS, "all"]), default="all", show_default=True,
              help="Recalibration to fit: platt, isotonic, temperature (softmax), or all (the one whose test "
              "log-loss gain is significant and largest is chosen).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the test rows with recalibrated scores to this CSV.")
@click.option("--save-mapping", type=click.Path(dir_okay=False, writable=True), metavar="MAPPING.json",
              help="Write the chosen mapping's fitted parameters (Platt a, b; temperature T; isotonic knots).")
@click.option("--bins", type=click.IntRange(min=2), default=DEFAULT_CALIBRATION_BINS, show_default=True,
              help="Calibration bins.")
@click.option("--strategy", type=click.Choice(CALIBRATION_STRATEGIES), default="uniform", show_default=True,
              help="Bins of equal width on [0, 1] (uniform) or with equal numbers of rows (quantile).")
@click.option("--reps", type=click.IntRange(min=0), default=200, show_default=True,
              help="Bootstrap resamples for the ECE interval.")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Seed of the bootstrap.")
@PLOT
@options(ReadOptions)
@format_option
def calibrate(cv, test, method, output, save_mapping, bins, strategy, reps, seed, plot, fmt, **values):
    """Calibration of cv and test (ECE with its interval, MCE, Brier decomposition, a tested
    verdict) and recalibration fitted on cv, judged on test."""
    import json

    from ..present import render
    from ..service import calibrate as run

    advice = run(cv, test, method=method, bins=bins, strategy=strategy, reps=reps, seed=seed,
                 options=collect(ReadOptions, values))
    if fmt == "json":
        emit(advice, fmt)
    else:
        click.echo(render(advice.calibration, fmt) + "\n" + render(advice.recalibration, fmt), nl=False)
    if output or save_mapping:
        frame = advice.recalibrated()  # says why when no mapping was chosen
        chosen = advice.chosen
        assert chosen is not None
        try:
            if output:
                frame.to_csv(output, index=False)
                note(f"wrote {len(frame)} recalibrated test rows ({chosen.method}) to {output}")
            if save_mapping:
                with open(save_mapping, "w", encoding="utf-8") as f:
                    json.dump(chosen.to_dict(), f, indent=2)
                note(f"wrote the {chosen.method} mapping to {save_mapping}")
        except OSError as exc:
            raise click.FileError(exc.filename or output or save_mapping, hint=exc.strerror or str(exc)) from None
    if plot:
        write_plot(advice.calibration, plot)
