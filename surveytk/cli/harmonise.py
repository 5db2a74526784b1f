"""``surveytk harmonise``: apply a crosswalk to a delivery and write the common-schema table."""

from __future__ import annotations

import click

from surveytk.cli.codebook_dirs import codebook_dir_option


@click.command("harmonise")
@click.option("--codebook", "codebook", required=True, metavar="NAME|PATH",
              help="Crosswalk name (found in the --codebook-dir folders, "
                   "SURVEYTK_CODEBOOK_PATH, then the built-in ones; `surveytk codebook list`) "
                   "or a YAML file.")
@click.option("--input-dir", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Folder holding the delivered files named in the crosswalk.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="Harmonised table to write.")
@click.option("--audit", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Audit JSON (row and value accounting); default <out>.audit.json.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "dta", "sav", "csv"]),
              default=None,
              help="Output format; default from the --out suffix (.parquet, .dta, .sav, .csv).")
@click.option("--strict", is_flag=True,
              help="Values outside a variable's plausible range are errors (default: missing "
              "with reason implausible, counted in the audit and warned).")
@codebook_dir_option
def command(codebook: str, input_dir: str, out: str, audit: str | None, fmt: str | None,
            strict: bool) -> None:
    """Harmonise one delivery to the common schema (built-in, plus schema.yaml extensions
    of the codebook folders searched).

    Every source value must map to a common value or a named missing reason;
    otherwise nothing is written and every problem is listed.
    """
    from surveytk.harmonise.run import harmonise_to_file

    summary, result = harmonise_to_file(codebook, input_dir, out, audit=audit, fmt=fmt,
                                        strict=strict)
    for line in result.warnings:
        click.echo(f"warning: {line}", err=True)
    click.echo(
        f"harmonised {summary.rows} respondents with {summary.codebook} "
        f"v{summary.codebook_version} -> {summary.out} (audit: {summary.audit})"
    )
