"""``surveytk plot``: coefficient/AME forest plots and predicted probabilities."""

from __future__ import annotations

from pathlib import Path

import click


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
@click.option(
    "--labels/--raw-names",
    default=True,
    show_default=True,
    help="Labels from the common schema, or raw names.",
)
@click.option(
    "--schema",
    type=click.Path(path_type=Path),
    default=None,
    help="Schema file for labels (default codebooks/schema.yaml).",
)
@click.option(
    "--label", "column_labels", multiple=True, help="Legend label per results file, in order."
)
@click.option("--title", default=None, help="Figure title.")
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
) -> None:
    """Draw RESULTS JSON files (from `surveytk fit --out`) as a figure.

    Several results share one axis (distinct colours and markers).

    Example: surveytk plot soep.json wodc.json --kind ame -o ame.png
    """
    from surveytk.errors import OutputError
    from surveytk.io.atomic import check_not_input
    from surveytk.models.results import FitResult
    from surveytk.report.labels import Labeller
    from surveytk.report.plots import figure_format, write_plot

    check_not_input(out, results)
    figure_format(out)
    if column_labels and len(column_labels) != len(results):
        raise OutputError(
            f"--label given {len(column_labels)} times for {len(results)} results files; "
            "give one per file or none"
        )
    loaded = [FitResult.load(p) for p in results]
    heads = list(column_labels) or [r.label or p.stem for r, p in zip(loaded, results, strict=True)]
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
    )
    click.echo(f"wrote {written}")
