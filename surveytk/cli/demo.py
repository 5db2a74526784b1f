"""``surveytk demo``: synthesise the four sources and run the default analysis on them."""

from __future__ import annotations

import click


@click.command("demo")
@click.option("--out", "out_dir", default="surveytk-demo", show_default=True,
              type=click.Path(file_okay=False, path_type=str), help="Output folder.")
@click.option("--seed", default=20240601, show_default=True, type=int,
              help="Seed of the synthetic data.")
@click.option("--scale", default=1.0, show_default=True, type=float,
              help="Sample size relative to the real surveys.")
@click.option("--formats", default="", metavar="LIST",
              help="Table formats instead of the spec's, comma-separated: "
                   "md, latex, html, docx, xlsx, csv.")
@click.option("--progress/--no-progress", default=None,
              help="Show progress on stderr (default: when stderr is a terminal).")
def command(out_dir: str, seed: int, scale: float, formats: str,
            progress: bool | None) -> None:
    """Write synthetic files of all four sources, harmonise, pool, fit the default
    analysis (analyses/return_intentions.yaml) and write its tables and figures."""
    from pathlib import Path

    from surveytk.analysis.runner import check_table_formats, run_analysis
    from surveytk.analysis.story import describe_ames
    from surveytk.cli.progress import split_list, step_printer
    from surveytk.codebook.search import use_codebook_dirs
    from surveytk.paths import find_analysis
    from surveytk.synth import write_synthetic_sources

    table_formats = check_table_formats(split_list(formats))  # before writing anything
    out = Path(out_dir)
    step = step_printer(progress)
    data_dir = out / "data"
    step(f"writing synthetic source files (seed {seed}, scale {scale:g}) into {data_dir}")
    write_synthetic_sources(data_dir, seed=seed, scale=scale)
    with use_codebook_dirs((), use_env=False):  # the built-in codebooks only
        summary = run_analysis(find_analysis("return_intentions"), data_dir=data_dir,
                               out_dir=out, step=step, table_formats=table_formats)
    echo = click.echo
    echo(f"surveytk demo: synthetic raw files of the four sources in {data_dir}/")
    echo(f"  harmonised data: {', '.join(str(p) for p in summary.harmonised.values())}")
    echo(f"  tables:  {', '.join(str(p) for p in summary.tables)}")
    echo(f"  figures: {', '.join(str(p) for p in summary.figures)}")
    if summary.tabulations:
        echo(f"  tabulations: {', '.join(str(p) for p in summary.tabulations)}")
    if summary.reports:
        echo(f"  report (every table and figure in one file): "
             f"{', '.join(str(p) for p in summary.reports)}")
    echo(f"  manifest: {summary.manifest}")
    pooled = summary.results.get("pooled")
    if pooled is not None:
        echo(f"What the pooled logit shows (n = {pooled.design.n_obs}; average marginal "
             "effects on the probability of intending to return in percentage points, "
             "95% CI; numeric variables per unit: one year of age, 1,000 km):")
        for line in describe_ames(pooled):
            echo(f"  {line}")
    echo("The data are synthetic: effects follow the generator's known process "
         "(docs/synthetic.md), not real respondents.")
