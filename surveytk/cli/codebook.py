"""``surveytk codebook``: list crosswalks, check one against a delivery, draft one, write docs."""

from __future__ import annotations

import sys

import click

from surveytk.cli.codebook_dirs import codebook_dir_option


@click.group("codebook")
def command() -> None:
    """Work with crosswalk codebooks: the built-in ones and those in your own folders
    (--codebook-dir DIR, SURVEYTK_CODEBOOK_PATH; docs/codebooks.md)."""


@command.command("list")
@codebook_dir_option
def list_codebooks() -> None:
    """Every codebook on the search path, where it came from, and the schema in use."""
    from surveytk.codebook.search import ENV_VAR, search_path

    search = search_path()
    click.echo("codebook folders, in search order:")
    for folder in search.folders:
        click.echo(f"  {folder.path}  ({folder.origin})")
    click.echo("codebooks:")
    entries = search.entries()
    width = max((len(e.name) for e in entries), default=0)
    for e in entries:
        shadow = f"; not used: shadowed by {e.shadowed_by}" if e.shadowed_by else ""
        click.echo(f"  {e.name:<{width}}  {e.path}  ({e.folder.origin}{shadow})")
    merged = search.merged_schema()
    click.echo(f"schema: {merged.schema.schema_name} {merged.schema.version}")
    for ext in merged.extensions:
        click.echo(f"  extension {ext}")
    if not any(f.origin == ENV_VAR for f in search.folders):
        click.echo(f"({ENV_VAR} is not set)")


@command.command("check")
@click.option("--codebook", "codebook", required=True, metavar="NAME|PATH",
              help="Crosswalk name (see `surveytk codebook list`) or YAML path.")
@click.option("--input-dir", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Folder with the delivered files.")
@codebook_dir_option
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
@click.option("--source", required=True,
              help="Source name (a level of `source` in the schema or your extension).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Write the draft here (in a folder of your own) instead of printing it.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
@codebook_dir_option
def new(source: str, out: str | None, files: tuple[str, ...]) -> None:
    """Draft a crosswalk from the FILES' metadata, with TODO markers for the statistician."""
    from surveytk.codebook.draft import draft_crosswalk
    from surveytk.io.atomic import write_text_atomic
    from surveytk.paths import refuse_builtin_target

    if out is not None:
        refuse_builtin_target(out, what="a draft crosswalk")
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
              help="Crosswalks to document (repeatable); default every one on the search path.")
@click.option("--data", multiple=True, type=click.Path(dir_okay=False, path_type=str),
              help="Harmonised Parquet files for frequencies (cells < 10 suppressed).")
@codebook_dir_option
def docs(out: str, codebooks: tuple[str, ...], data: tuple[str, ...]) -> None:
    """Write documentation pages: definitions, per-source questions and maps, frequencies."""
    from surveytk.codebook.docs import write_docs

    written = write_docs(out, codebooks=list(codebooks) or None, data=list(data))
    click.echo(f"wrote {len(written)} pages to {out}")
