"""``surveytk synth``: write the synthetic raw files of every source."""

from __future__ import annotations

from pathlib import Path

import click

SOURCE_CHOICES = ("soep_ukr", "unhcr_ris", "wodc", "fi_moi")


def _rows(path: Path) -> int:
    """Rows in a written file (read back from the file's own header or lines)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("rb") as fh:
            return max(0, sum(1 for _ in fh) - 1)
    import pyreadstat

    reader = pyreadstat.read_dta if suffix == ".dta" else pyreadstat.read_sav
    _, meta = reader(str(path), metadataonly=True)
    return int(meta.number_rows or 0)


@click.command("synth")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder that receives soep_ukr/, unhcr_ris/, wodc/ and fi_moi/.",
)
@click.option("--seed", type=int, default=20240601, show_default=True, help="Random seed.")
@click.option(
    "--scale",
    type=float,
    default=1.0,
    show_default=True,
    help="Multiplies every sample size (1 ≈ the real sizes).",
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Choice(SOURCE_CHOICES),
    help="Write only this source (repeatable); all by default.",
)
def command(out_dir: Path, seed: int, scale: float, sources: tuple[str, ...]) -> None:
    """Write synthetic raw files in each source's native layout, with a known
    data-generating process (see docs/synthetic.md)."""
    from surveytk.synth import write_synthetic_sources

    written = write_synthetic_sources(
        out_dir, seed=seed, scale=scale, sources=list(sources) or None
    )
    total = 0
    for source, paths in written.items():
        for path in paths:
            n = _rows(path)
            total += 1
            click.echo(f"{source:10s} {path}  {n:,} rows")
    click.echo(f"{total} files written to {out_dir} (seed {seed}, scale {scale:g})")
