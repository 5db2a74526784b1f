"""``surveytk inspect FILE``: a file's metadata and missing-value counts, never its rows."""

from __future__ import annotations

import click

from surveytk.cli.options import sheet_option


@click.command(name="inspect")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--encoding",
    "encoding",
    default=None,
    metavar="ENC",
    help="Text encoding of the file (e.g. latin1) when it is not the declared one.",
)
@click.option(
    "--format",
    "fmt",
    default=None,
    metavar="FMT",
    help="Read as this format (sav, zsav, por, dta, sas7bdat, xpt, csv, tsv, xls, xlsx, "
    "parquet) instead of guessing from the extension.",
)
@click.option(
    "--delimiter",
    default=None,
    metavar="CHAR",
    help="CSV/TSV field delimiter (default: sniffed among , ; tab |).",
)
@sheet_option()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def command(
    file: str,
    encoding: str | None,
    fmt: str | None,
    delimiter: str | None,
    sheet: str | None,
    as_json: bool,
) -> None:
    """Show FILE's format, version, encoding, hash, and per variable its label,
    value labels, declared missing values and missing/unlabelled counts.

    No row-level data is shown. Example: `surveytk inspect pl.dta --json`.
    """
    import json
    import sys

    from surveytk.io.inspect import inspect_frame, render_rich, render_text
    from surveytk.io.readers import read_file

    if delimiter == "\\t":
        delimiter = "\t"
    lf = read_file(file, encoding=encoding, format=fmt, delimiter=delimiter, sheet=sheet)
    report = inspect_frame(lf)
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    elif sys.stdout.isatty():
        from rich.console import Console

        render_rich(report, Console())
    else:
        click.echo(render_text(report), nl=False)
