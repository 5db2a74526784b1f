"""``surveytk codebook``: list crosswalks, check one against a delivery, draft one, write docs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from surveytk.cli.codebook_dirs import codebook_dir_option
from surveytk.cli.repeated import CheckedGroup


@click.group("codebook", cls=CheckedGroup)
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
@click.option("--fail-on-unread", is_flag=True,
              help="Delivered columns that no variable reads are errors (default: a note).")
@codebook_dir_option
def check(codebook: str, input_dir: str, fail_on_unread: bool) -> None:
    """Review a crosswalk: draft leftovers, and everything in a delivery that does not fit
    it (exit 1 if anything); delivered columns no variable reads are listed."""
    from surveytk.harmonise.delivery_check import check_delivery

    report = check_delivery(codebook, input_dir, fail_on_unread=fail_on_unread)
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
@click.option("--codebook-dir", "folders", multiple=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=str),
              help="Your codebook folder (created if absent): the source is registered in its "
                   "schema.yaml extension and, without --out, the draft is written there as "
                   "NAME.yaml. Repeatable: the first gets the draft, all are searched.")
@click.option("--name", default=None, help="Crosswalk name with --codebook-dir (default SOURCE), "
                                           "e.g. ces_2024.")
@click.option("--label", default=None, help="The source's label in tables, with --codebook-dir.")
@click.option("--vars", "chosen", multiple=True, metavar="COL[,COL...]",
              help="Draft only these source columns (repeatable or comma-separated).")
@click.option("--add-variables", is_flag=True,
              help="With --codebook-dir: columns no common variable takes become new "
                   "variables of the folder's schema.yaml (for surveys outside the schema's "
                   "topic, e.g. the ESS); use with --vars.")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
def new(source: str, out: str | None, folders: tuple[str, ...], name: str | None,
        label: str | None, chosen: tuple[str, ...], add_variables: bool,
        files: tuple[str, ...]) -> None:
    """Draft a crosswalk from the FILES' metadata, with TODO markers for the statistician.

    Common variables that a column plausibly measures get a commented proposal
    (from, question from the variable label, map from the value labels)."""
    from surveytk.codebook.draft import draft_crosswalk
    from surveytk.errors import OutputError
    from surveytk.io.atomic import check_not_input, write_text_atomic
    from surveytk.paths import refuse_builtin_target

    names = [c.strip() for item in chosen for c in item.split(",") if c.strip()] or None
    delivered = [Path(f) for f in files]
    deliveries = {p.parent for p in delivered}
    for target in [*([Path(out)] if out is not None else []), *map(Path, folders[:1])]:
        check_not_input(target, delivered, deliveries)
    if folders:
        from surveytk.codebook.author import new_source

        Path(folders[0]).mkdir(parents=True, exist_ok=True)
        made = new_source(folders[0], source, list(files), name=name, label=label,
                          variables=names, out=out, search=folders,
                          add_variables=add_variables)
        added = (f"registered source {source!r} in {made.extension}" if made.registered
                 else f"source {source!r} is already in {made.extension}")
        if made.new_variables:
            added += f" with {len(made.new_variables)} new variables"
        click.echo(f"wrote draft crosswalk {made.draft}; {added}; fill in the TODO markers, "
                   f"then run `surveytk codebook check --codebook {made.draft} --input-dir DIR`")
        return
    if add_variables:
        raise OutputError("--add-variables needs --codebook-dir DIR (the new variables go "
                          "into DIR/schema.yaml)")
    if out is not None:
        refuse_builtin_target(out, what="a draft crosswalk")
    text = draft_crosswalk(source, list(files), variables=names)
    if out is None:
        click.echo(text, nl=False)
    else:
        write_text_atomic(out, text)
        click.echo(f"wrote draft crosswalk {out}; fill in the TODO markers, then run "
                   f"`surveytk codebook check --codebook {out} --input-dir DIR`")


@command.command("docs")
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=str),
              help="Folder for the documentation (index.html and a page per variable).")
@click.option("--codebook", "codebooks", multiple=True, metavar="NAME|PATH",
              help="Crosswalks to document (repeatable); default every one on the search path.")
@click.option("--data", multiple=True, type=click.Path(dir_okay=False, path_type=str),
              help="Harmonised Parquet files for frequencies and summaries (disclosure-"
                   "controlled).")
@click.option("--format", "formats", multiple=True, default=("html", "markdown"),
              show_default=True, type=click.Choice(["html", "markdown", "ddi"]),
              help="html: a styled static site that works offline; markdown; ddi: "
                   "DDI-Codebook 2.5 XML (codebook.ddi.xml). Repeatable.")
@click.option("--threshold", type=int, default=None, metavar="N",
              help="Disclosure threshold for frequencies and summaries (default 10).")
@codebook_dir_option
def docs(out: str, codebooks: tuple[str, ...], data: tuple[str, ...], formats: tuple[str, ...],
         threshold: int | None) -> None:
    """Write documentation: an index of all variables and a page per variable (definition,
    harmonised categories, every source's question and value map, frequencies in code order
    and numeric summaries), or DDI-Codebook 2.5 XML."""
    from surveytk.codebook.docs import write_docs
    from surveytk.codebook.docs_site import DISCLOSURE_THRESHOLD

    written = write_docs(out, codebooks=list(codebooks) or None, data=list(data),
                         formats=formats, threshold=threshold or DISCLOSURE_THRESHOLD)
    index = next((p for p in written if p.name in ("index.html", "codebook.ddi.xml")), None)
    click.echo(f"wrote {len(written)} files to {out}" + (f"; open {index}" if index else ""))
