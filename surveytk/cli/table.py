"""``surveytk table``: render results side by side as md, LaTeX, HTML, DOCX, XLSX or CSV."""

from __future__ import annotations

from pathlib import Path

import click

FORMATS = ("md", "latex", "html", "docx", "xlsx", "csv")


@click.command(name="table")
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path),
    help="Output file; its suffix gives the format unless --format is given.",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="Table format (default: from the --out suffix).",
)
@click.option(
    "--stat",
    type=click.Choice(("se", "ci", "t", "p")),
    default="se",
    show_default=True,
    help="What to show beneath each estimate.",
)
@click.option(
    "--stars",
    is_flag=False,
    flag_value="0.1,0.05,0.01",
    default=None,
    metavar="LEVELS",
    help="Significance stars; optional comma-separated levels (default 0.1,0.05,0.01).",
)
@click.option(
    "--exp",
    is_flag=True,
    help="Odds ratios / relative-risk ratios (logit family); thresholds stay as is.",
)
@click.option("--ame", is_flag=True, help="Average marginal effects instead of coefficients.")
@click.option(
    "--labels/--raw-names",
    default=True,
    show_default=True,
    help="Variable and level labels from the common schema, or raw names.",
)
@click.option(
    "--schema",
    type=click.Path(path_type=Path),
    default=None,
    help="Schema file for labels (default codebooks/schema.yaml).",
)
@click.option(
    "--label",
    "column_labels",
    multiple=True,
    help="Column heading per results file, in order (default: result label or file name).",
)
@click.option("--title", default=None, help="Table title (default from the content).")
@click.option("--notes", multiple=True, help="Extra note below the table (repeatable).")
@click.option(
    "--digits",
    type=click.IntRange(0, 10),
    default=3,
    show_default=True,
    help="Decimals of every number.",
)
def command(
    results: tuple[Path, ...],
    out: Path,
    fmt: str | None,
    stat: str,
    stars: str | None,
    exp: bool,
    ame: bool,
    labels: bool,
    schema: Path | None,
    column_labels: tuple[str, ...],
    title: str | None,
    notes: tuple[str, ...],
    digits: int,
) -> None:
    """Render one or more RESULTS JSON files (from `surveytk fit --out`) as a table.

    One column per results file (one per outcome level for multinomial and
    ordinal AMEs), rows in formula order, thresholds, fit statistics and a note
    naming the variance estimator.

    Example: surveytk table soep.json wodc.json --stars --exp -o table.docx
    """
    from surveytk.errors import OutputError
    from surveytk.io.atomic import check_not_input
    from surveytk.models.results import FitResult
    from surveytk.report.labels import Labeller
    from surveytk.report.style import parse_star_levels
    from surveytk.report.table_model import TableOptions
    from surveytk.report.tables import write_table

    check_not_input(out, results)
    if column_labels and len(column_labels) != len(results):
        raise OutputError(
            f"--label given {len(column_labels)} times for {len(results)} results files; "
            "give one per file or none"
        )
    try:
        star_levels = parse_star_levels(stars)
    except ValueError as exc:
        raise OutputError(f"--stars: {exc}") from exc
    loaded = [FitResult.load(p) for p in results]
    heads = list(column_labels) or [r.label or p.stem for r, p in zip(loaded, results, strict=True)]
    options = TableOptions(
        stat=stat,  # type: ignore[arg-type]
        stars=star_levels,
        exp=exp,
        ame=ame,
        digits=digits,
        title=title,
        notes=notes,
    )
    labeller = Labeller.from_schema(schema, enabled=labels)
    written = write_table(loaded, out, fmt=fmt, labels=heads, labeller=labeller, options=options)
    click.echo(f"wrote {written}")
