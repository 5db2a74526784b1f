"""``surveytk plot``: coefficient/AME forest plots and predicted probabilities."""

from __future__ import annotations

from pathlib import Path

import click

from surveytk.cli.options import (
    column_labels_option,
    labels_option,
    load_results,
    schema_option,
    title_option,
)


@click.command(name="plot")
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path),
    help="Output figure: .png, .svg or .pdf.",
)
@click.option(
    "--kind",
    type=click.Choice(("coef", "ame", "predicted")),
    default="coef",
    show_default=True,
    help="Coefficients, average marginal effects, or predicted "
    "probabilities stored in the results.",
)
@click.option(
    "--terms",
    default=None,
    metavar="T1,T2",
    help="Terms or variables to show (comma-separated; default all but intercepts).",
)
@click.option("--exp", is_flag=True, help="Odds ratios on a log axis (--kind coef).")
@click.option(
    "--x",
    "x_var",
    default=None,
    metavar="VAR",
    help="Variable on the x axis for --kind predicted (default: the first stored).",
)
@labels_option("Labels from the common schema, or raw names.")
@schema_option()
@column_labels_option("Legend label per results file, in order.")
@title_option("Figure title (default from the content).")
@click.option(
    "--scale",
    "scale",
    multiple=True,
    metavar="VAR=FACTOR [UNIT]",
    help="Effects of numeric VAR per FACTOR units, e.g. --scale 'age=10 years'.",
)
def command(
    results: tuple[Path, ...],
    out: Path,
    kind: str,
    terms: str | None,
    exp: bool,
    x_var: str | None,
    labels: bool,
    schema: Path | None,
    column_labels: tuple[str, ...],
    title: str | None,
    scale: tuple[str, ...],
) -> None:
    """Draw RESULTS JSON files (from `surveytk fit --out`) as a figure.

    Coefficient and AME plots give each result (source) its own panel with its
    own scale; outcome levels add rows of panels.

    Example: surveytk plot soep.json wodc.json --kind ame -o ame.png
    """
    from surveytk.errors import OutputError
    from surveytk.io.atomic import check_not_input
    from surveytk.report.plots import figure_format, write_plot
    from surveytk.report.table_model import parse_scale
    from surveytk.report.term_labels import Labeller

    try:
        scaled = parse_scale(scale)
    except ValueError as exc:
        raise OutputError(f"--scale: {exc}") from exc

    check_not_input(out, results)
    figure_format(out)
    loaded, heads = load_results(results, column_labels)
    wanted = tuple(t.strip() for t in terms.split(",") if t.strip()) if terms else ()
    written = write_plot(
        loaded,
        out,
        kind=kind,
        labels=heads,
        exp=exp,
        terms=wanted,
        x_var=x_var,
        title=title,
        labeller=Labeller.from_schema(schema, enabled=labels),
        scale=scaled,
    )
    click.echo(f"wrote {written}")
