"""``surveytk codebook``: check a crosswalk against a delivery, draft one, write docs."""

from __future__ import annotations

import sys

import click

from surveytk.cli.repeated import CheckedGroup


@click.group("codebook", cls=CheckedGroup)
def command() -> None:
    """Work with crosswalk codebooks (codebooks/sources/*.yaml)."""


@command.command("check")
@click.option("--codebook", "codebook", required=True, metavar="NAME|PATH",
              help="Crosswalk name or YAML path.")
@click.option("--input-dir", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Folder with the delivered files.")
def check(codebook: str, input_dir: str) -> None:
    """List everything in a delivery that does not fit its crosswalk (exit 1 if anything)."""
    from surveytk.codebook.check import check_delivery

    report = check_delivery(codebook, input_dir)
    if report.ok:
        click.echo(report.summary())
        return
    click.echo(report.summary(), err=True)
    sys.exit(1)


@command.command("new")
@click.option("--source", required=True, help="Source name (a level of `source` in schema.yaml).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Write the draft here instead of printing it.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
def new(source: str, out: str | None, files: tuple[str, ...]) -> None:
    """Draft a crosswalk from the FILES' metadata, with TODO markers for the statistician."""
    from surveytk.codebook.draft import draft_crosswalk
    from surveytk.io.atomic import write_text_atomic

    text = draft_crosswalk(source, list(files))
    if out is None:
        click.echo(text, nl=False)
    else:
        write_text_atomic(out, text)
        click.echo(f"wrote draft crosswalk {out}; fill in the TODO markers, then run "
                   f"`surveytk codebook check --codebook {out} --input-dir DIR`")


@command.command("docs")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Folder for the pages (one .md and .html per common variable).")
@click.option("--codebook", "codebooks", multiple=True, metavar="NAME|PATH",
              help="Crosswalks to document (repeatable); default all shipped ones.")
@click.option("--data", multiple=True, type=click.Path(dir_okay=False, path_type=str),
              help="Harmonised Parquet files for frequencies (cells < 10 suppressed).")
def docs(out: str, codebooks: tuple[str, ...], data: tuple[str, ...]) -> None:
    """Write documentation pages: definitions, per-source questions and maps, frequencies."""
    from surveytk.codebook.docs import write_docs

    written = write_docs(out, codebooks=list(codebooks) or None, data=list(data))
    click.echo(f"wrote {len(written)} pages to {out}")
