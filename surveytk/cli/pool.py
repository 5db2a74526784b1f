"""``surveytk pool``: stack harmonised sources into one analysis table."""

from __future__ import annotations

import click

from surveytk.cli.codebook_dirs import codebook_dir_option


@click.command("pool")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="Pooled table to write (Parquet unless the suffix says dta/sav/csv).")
@click.option("--weights", type=click.Choice(["sample", "equal", "none"]), default="sample",
              show_default=True,
              help="Scale weights per source: sum to the source's n, the same total for "
                   "every source, or as delivered.")
@codebook_dir_option
def command(files: tuple[str, ...], out: str, weights: str) -> None:
    """Stack harmonised FILES; PSU/stratum ids unique, weights scaled per source."""
    from pathlib import Path

    from surveytk.codebook.loader import load_schema
    from surveytk.harmonise.output import write_data
    from surveytk.harmonise.pool import pool_tables
    from surveytk.io.atomic import check_not_input

    check_not_input(Path(out), [Path(f) for f in files])
    result = pool_tables(list(files), weights=weights)
    write_data(result.table, out, provenance=result.provenance, schema=load_schema())
    counts = result.table["source"].value_counts(sort=False)
    parts = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    click.echo(f"pooled {len(result.table)} respondents ({parts}) with weights={weights} "
               f"-> {out}")
