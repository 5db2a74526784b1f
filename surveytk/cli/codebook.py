"""``surveytk codebook``: check a crosswalk against a delivery, draft one, write docs."""

from __future__ import annotations

import sys

import click


@click.group("codebook")
def command() -> None:
    """Work with crosswalk codebooks (codebooks/sources/*.yaml)."""


@command.command("check")
@click.option("--codebook", "codebook", required=True, metavar="NAME|PATH",
              help="Crosswalk name or YAML path.")
@click.option("--input-dir", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Folder with the delivered files.")
@click.option("--fail-on-unread", is_flag=True,
              help="Delivered columns that no variable reads are errors (default: a note).")
def check(codebook: str, input_dir: str, fail_on_unread: bool) -> None:
    """Review a crosswalk: draft leftovers, and everything in a delivery that does not fit
    it (exit 1 if anything); delivered columns no variable reads are listed."""
    from surveytk.codebook.check import check_delivery

    report = check_delivery(codebook, input_dir, fail_on_unread=fail_on_unread)
    if report.ok:
        click.echo(report.summary())
        return
    click.echo(report.summary(), err=True)
    sys.exit(1)


@command.command("new")
@click.option("--source", required=True, help="Source name (a level of `source` in schema.yaml).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Write the draft here instead of printing it.")
@click.option("--vars", "chosen", multiple=True, metavar="COL[,COL...]",
              help="Draft only these source columns (repeatable or comma-separated).")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
def new(source: str, out: str | None, chosen: tuple[str, ...], files: tuple[str, ...]) -> None:
    """Draft a crosswalk from the FILES' metadata, with TODO markers for the statistician.

    Common variables that a column plausibly measures get a commented proposal
    (from, question from the variable label, map from the value labels)."""
    from surveytk.codebook.draft import draft_crosswalk
    from surveytk.io.atomic import write_text_atomic

    names = [c.strip() for item in chosen for c in item.split(",") if c.strip()]
    text = draft_crosswalk(source, list(files), variables=names or None)
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
