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
@digits_option(
    most=10,
    default=3,
    help="Decimals of every number (more in a row whose numbers would print as zero, "
    "unless --fixed-digits).",
)
@click.option(
    "--fixed-digits",
    is_flag=True,
    help="Exactly --digits decimals everywhere, even where a number prints as 0.000.",
)
@click.option(
    "--scale",
    "scale",
    multiple=True,
    metavar="VAR=FACTOR [UNIT]",
    help="Effects of numeric VAR per FACTOR units, e.g. --scale 'age=10 years' "
    "(repeatable, one per variable).",
)
@click.option(
    "--show-small-cells",
    is_flag=True,
    help="Show coefficients of categories held by fewer respondents than the disclosure "
    "threshold (left out with a note by default).",
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
    fixed_digits: bool,
    scale: tuple[str, ...],
    show_small_cells: bool,
) -> None:
    """Render one or more RESULTS JSON files (from `surveytk fit --out`) as a table.

    One column per results file (one per outcome level for multinomial and
    ordinal AMEs), rows in formula order, thresholds, fit statistics and a note
    naming the variance estimator.

    Categorical levels sit under their variable with its reference level
    ("Gender (ref.: Female)"); the notes name the domain and the design. CSV and
    Parquet outputs hold the tidy numbers; md, LaTeX, HTML, DOCX and XLSX the
    formatted table.

    Example: surveytk table soep.json wodc.json --stat ci --scale 'age=10 years' -o table.docx
    """
    from surveytk.errors import OutputError
    from surveytk.io.atomic import check_not_input
    from surveytk.report.style import parse_star_levels
    from surveytk.report.table_model import TableOptions, parse_scale
    from surveytk.report.tables import write_table
    from surveytk.report.term_labels import Labeller

    check_not_input(out, results)
    loaded, heads = load_results(results, column_labels)
    try:
        star_levels = parse_star_levels(stars)
    except ValueError as exc:
        raise OutputError(f"--stars: {exc}") from exc
    try:
        scaled = parse_scale(scale)
    except ValueError as exc:
        raise OutputError(f"--scale: {exc}") from exc
    repeated = sorted({v for v, _, _ in scaled if [w for w, _, _ in scaled].count(v) > 1})
    if repeated:
        raise OutputError(f"--scale: {', '.join(repeated)} given more than once; give one factor")
    options = TableOptions(
        stat=stat,  # type: ignore[arg-type]
        stars=star_levels,
        exp=exp,
        ame=ame,
        digits=digits,
        title=title,
        notes=notes,
        scale=scaled,
        auto_digits=not fixed_digits,
        show_small_cells=show_small_cells,
    )
    labeller = Labeller.from_schema(schema, enabled=labels)
    written = write_table(loaded, out, fmt=fmt, labels=heads, labeller=labeller, options=options)
    click.echo(f"wrote {written}")
