"""``surveytk tabulate``: weighted shares with design-based SEs, after disclosure control."""

from __future__ import annotations

from pathlib import Path

import click

from surveytk.cli.options import (
    analysis_data_options,
    design_options,
    digits_option,
    format_option,
    labels_option,
    sheet_option,
    title_option,
)

BINARY_FORMATS = ("docx", "xlsx", "parquet")
DEFAULT_WEIGHT_COLUMN = "weight"


@click.command(name="tabulate")
@click.argument("file", type=click.Path(path_type=Path))
@sheet_option()
@click.option(
    "--by",
    "by",
    multiple=True,
    metavar="VAR",
    help="Variable whose shares are shown; a second --by VAR2 gives shares of VAR2 within "
    "each level of the first. With --reference origin, default origin_area.",
)
@click.option(
    "--weighted/--unweighted",
    default=True,
    show_default=True,
    help="Weight respondents (by --weights) or count each once.",
)
@click.option(
    "--weights",
    default=None,
    metavar="COL",
    help=f"Weight column (default {DEFAULT_WEIGHT_COLUMN!r} if the file has it).",
)
@design_options()
@click.option(
    "--dropna",
    is_flag=True,
    help="Leave out respondents with a missing by-variable (reported in the notes) "
    "instead of showing them as '(missing)'.",
)
@click.option(
    "--subpop",
    metavar="EXPR",
    default=None,
    help='Shares within a domain, e.g. "age >= 18" (the full design kept for the variance).',
)
@analysis_data_options()
@click.option(
    "--reference",
    type=click.Choice(("origin",)),
    default=None,
    help="origin: add pre-war population shares of origin areas and the ratio "
    "share / pre-war share.",
)
@click.option(
    "--threshold",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Disclosure threshold: cells with fewer respondents are suppressed "
    "(with complementary suppression).",
)
@click.option(
    "--chisq",
    is_flag=True,
    help="With two --by variables: add the Rao-Scott F test of independence to the notes "
    "(as R svychisq).",
)
@format_option("Table format (default: from the --out suffix, else md).")
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="Output file (default: print to stdout; docx and xlsx need --out).",
)
@digits_option(most=6, default=1, help="Decimals of percentages.")
@labels_option()
@title_option("Table title (default from the content).")
def command(
    file: Path,
    sheet: str | None,
    by: tuple[str, ...],
    weighted: bool,
    weights: str | None,
    strata: tuple[str, ...],
    psu: tuple[str, ...],
    fpc: tuple[str, ...],
    lonely_psu: str,
    adjust_domain_lonely: bool,
    calibrate: str | None,
    calibration: str,
    calibration_bounds: tuple[float, float] | None,
    trim: tuple[float, float] | None,
    nonresponse: str | None,
    respondent: str | None,
    dropna: bool,
    subpop: str | None,
    define: tuple[str, ...],
    keep_user_missing: bool,
    value_labels: bool,
    reference: str | None,
    threshold: int,
    chisq: bool,
    fmt: str | None,
    out: Path | None,
    digits: int,
    labels: bool,
    title: str | None,
) -> None:
    """Shares of respondents by one or two variables of FILE, with design-based SEs.

    FILE is anything `surveytk inspect` reads (a harmonised parquet file,
    typically). Each cell shows the unweighted n, the weighted share, its
    linearised standard error and a 95% interval; cells with fewer than
    --threshold respondents are suppressed, and so are cells a total would
    give away.

    Example: surveytk tabulate wodc.parquet --by origin_area --reference origin --strata stratum
    --psu psu --lonely-psu adjust
    """
    from surveytk.analysis_frame import load_analysis_frame
    from surveytk.codebook.origin_areas import ORIGIN_VARIABLE
    from surveytk.errors import DesignError, OutputError
    from surveytk.io.atomic import check_not_input, write_bytes_atomic
    from surveytk.io.readers import read_file
    from surveytk.language.expr import parse_definitions
    from surveytk.report.render_tabulation import file_labeller, render_tabulation
    from surveytk.tabulate import tabulate

    fmt = fmt or _format_for(out)
    if out is None and fmt in BINARY_FORMATS:
        raise OutputError(f"--format {fmt} writes a binary file; give --out FILE.{fmt}")
    if out is not None:
        check_not_input(out, [file])
    if not by:
        if reference != "origin":
            raise OutputError("give --by VAR (one or two times)")
        by = (ORIGIN_VARIABLE,)
    loaded = load_analysis_frame(
        read_file(file, sheet=sheet) if sheet is not None else file,
        keep_user_missing=keep_user_missing,
        definitions=parse_definitions(define),
        labels=labels and value_labels,
    )
    if weighted and weights is None:
        if DEFAULT_WEIGHT_COLUMN not in loaded.data.columns:
            raise DesignError(
                f"{file}: no column {DEFAULT_WEIGHT_COLUMN!r}; name the weight column with "
                "--weights COL, or use --unweighted",
                file=str(file),
                variable=DEFAULT_WEIGHT_COLUMN,
            )
        weights = DEFAULT_WEIGHT_COLUMN
    tab = tabulate(
        loaded,
        list(by),
        weights=weights,
        strata=strata,
        psu=psu,
        fpc=fpc,
        lonely_psu=lonely_psu,
        design_options={
            "adjust_domain_lonely": adjust_domain_lonely,
            "calibrate": calibrate,
            "calibration": calibration,
            "calibration_bounds": calibration_bounds,
            "trim": trim,
            "nonresponse": nonresponse,
            "respondent": respondent,
        },
        weighted=weighted,
        threshold=threshold,
        dropna=dropna,
        reference=reference,
        subpop=subpop,
        chisq=chisq,
    )
    labeller = file_labeller(loaded, enabled=labels)
    data = render_tabulation(tab, fmt, labeller=labeller, digits=digits, title=title)
    if out is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    write_bytes_atomic(out, data)
    click.echo(f"wrote {out}")


def _format_for(out: Path | None) -> str:
    if out is None:
        return "md"
    from surveytk.io.formats import format_from_path
    from surveytk.report.tables import SUFFIX_FORMATS

    return format_from_path(out, SUFFIX_FORMATS)
