"""``surveytk table``: render results side by side as md, LaTeX, HTML, DOCX, XLSX or CSV."""

from __future__ import annotations

from pathlib import Path

import click

from surveytk.cli.options import (
    column_labels_option,
    digits_option,
    format_option,
    labels_option,
    load_results,
    schema_option,
    title_option,
)


@click.command(name="table")
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path),
    help="Output file; its suffix gives the format unless --format is given.",
)
@format_option("Table format (default: from the --out suffix).")
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
@labels_option()
@schema_option()
@column_labels_option(
    "Column heading per results file, in order (default: result label or file name)."
)
@title_option("Table title (default from the content).")
@click.option("--notes", multiple=True, help="Extra note below the table (repeatable).")
@digits_option(most=10, default=3, help="Decimals of every number.")
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
    from surveytk.report.labels import Labeller
    from surveytk.report.style import parse_star_levels
    from surveytk.report.table_model import TableOptions
    from surveytk.report.tables import write_table

    check_not_input(out, results)
    loaded, heads = load_results(results, column_labels)
    try:
        star_levels = parse_star_levels(stars)
    except ValueError as exc:
        raise OutputError(f"--stars: {exc}") from exc
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
