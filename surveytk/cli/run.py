"""``surveytk run SPEC``: raw files to every table and figure of an analysis spec."""

from __future__ import annotations

import click

from surveytk.cli.codebook_dirs import codebook_dir_option


@click.command("run")
@click.argument("spec", metavar="SPEC")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=str),
              help="Folder that replaces {data_dir} in the spec's inputs.")
@click.option("--out", "out_dir", default="surveytk-out", show_default=True,
              type=click.Path(file_okay=False, path_type=str), help="Output folder.")
@click.option("--formats", default="", metavar="LIST",
              help="Table formats instead of the spec's, comma-separated: "
                   "md, latex, html, docx, xlsx, csv.")
@click.option("--progress/--no-progress", default=None,
              help="Show progress on stderr (default: when stderr is a terminal).")
@codebook_dir_option
def command(spec: str, data_dir: str | None, out_dir: str, formats: str,
            progress: bool | None) -> None:
    """Harmonise, pool, fit, and write the tables, figures and manifest of SPEC.

    SPEC is an analysis spec (YAML file) or the name of a built-in one
    (return_intentions). Codebooks it names are searched like `harmonise --codebook`.
    """
    from surveytk.analysis.runner import run_analysis
    from surveytk.cli.progress import split_list, step_printer
    from surveytk.paths import find_analysis

    summary = run_analysis(find_analysis(spec), data_dir=data_dir, out_dir=out_dir,
                           step=step_printer(progress), table_formats=split_list(formats))
    click.echo(f"wrote {len(summary.results)} model results, {len(summary.tables)} tables, "
               f"{len(summary.figures)} figures into {summary.out_dir} "
               f"(manifest: {summary.manifest})")
    if summary.reports:
        click.echo(f"report: {', '.join(str(p) for p in summary.reports)}")
