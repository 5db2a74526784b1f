"""Synthetic raw files for every source, from a documented data-generating process.

:func:`write_synthetic_sources` writes the four deliveries in their native layouts
(SOURCES.md): ``soep_ukr/`` six Stata files, ``unhcr_ris/`` four CSV files,
``wodc/locov_w1.sav``, ``fi_moi/fi_moi_2025.sav``. :func:`generate_truth` returns, per
respondent and wave, the common-schema values a correct harmonisation of those files
must give back. :data:`TRUE_EFFECTS` holds the known coefficients of the return
intention (see :mod:`surveytk.synth.dgp` and ``docs/synthetic.md``).

Each source draws from its own child stream of ``numpy.random.SeedSequence(seed)``
(spawned in the fixed order of :data:`SOURCE_NAMES`), so a source's files do not
depend on which other sources are written, and the same seed and scale always give
byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from surveytk.errors import OutputError, SurveytkError
from surveytk.synth import fimoi, soep, unhcr, wodc
from surveytk.synth.dgp import TRUE_EFFECTS, TrueEffects

__all__ = [
    "DEFAULT_SEED",
    "SOURCE_NAMES",
    "TRUE_EFFECTS",
    "TrueEffects",
    "generate_truth",
    "write_synthetic_sources",
]

DEFAULT_SEED = 20240601
#: Sources in the order their random streams are spawned (never reorder; append only).
SOURCE_NAMES = ("soep_ukr", "unhcr_ris", "wodc", "fi_moi")
MAX_SCALE = 1000.0
#: left in every folder synthetic files were written to: later runs may replace its files
MARKER = ".surveytk-synthetic"


def _module(source: str) -> Any:
    return {"soep_ukr": soep, "unhcr_ris": unhcr, "wodc": wodc, "fi_moi": fimoi}[source]


def _check(sources: Iterable[str] | None, scale: float) -> list[str]:
    if not (0 < scale <= MAX_SCALE) or not np.isfinite(scale):
        raise SurveytkError(
            f"scale must be in (0, {MAX_SCALE:g}]; got {scale}; e.g. --scale 0.1",
            value=scale,
            reason="bad_argument",
        )
    chosen = list(SOURCE_NAMES if sources is None else sources)
    unknown = [s for s in chosen if s not in SOURCE_NAMES]
    if unknown:
        raise SurveytkError(
            f"unknown source {unknown[0]!r}; expecting one of {{{', '.join(SOURCE_NAMES)}}}",
            value=unknown[0],
            reason="bad_argument",
        )
    return [s for s in SOURCE_NAMES if s in chosen]


def _claim(out: Path, chosen: Iterable[str]) -> None:
    """Mark ``out`` as a folder of synthetic files, refusing one whose source folders
    hold files synth did not write (a real delivery would be replaced)."""
    if (out / MARKER).exists():
        return
    for source in chosen:
        folder = out / source
        if folder.is_dir() and any(folder.iterdir()):
            raise OutputError(
                f"{folder}: holds files surveytk synth did not write (no {MARKER} in "
                f"{out}); synthetic files would replace them. Choose an empty or new folder"
            )
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text(
        "Synthetic files written by surveytk synth; a later run may replace them.\n",
        encoding="utf-8",
    )


def _rng(seed: int, source: str) -> np.random.Generator:
    children = np.random.SeedSequence(seed).spawn(len(SOURCE_NAMES))
    return np.random.default_rng(children[SOURCE_NAMES.index(source)])


def _simulate(seed: int, scale: float, source: str, with_truth: bool) -> Any:
    return _module(source).simulate(_rng(seed, source), scale, with_truth=with_truth)


def write_synthetic_sources(
    out_dir: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    sources: Iterable[str] | None = None,
    progress: Callable[[str, list[Path]], None] | None = None,
) -> dict[str, list[Path]]:
    """Write every file of the chosen synthetic sources under ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder that receives ``soep_ukr/``, ``unhcr_ris/``, ``wodc/``, ``fi_moi/``.
    seed
        Seed of the whole draw; same seed and scale → byte-identical files.
    scale
        Multiplies every sample size (1.0 ≈ the real sizes; 0.05 for fast tests).
    sources
        Subset of :data:`SOURCE_NAMES`; all by default.
    progress
        Called with the source name and its paths after each source is written.

    Returns
    -------
    dict
        Source name → paths written, in the layout of SOURCES.md.
    """
    chosen = _check(sources, scale)
    out = Path(out_dir)
    _claim(out, chosen)
    written: dict[str, list[Path]] = {}
    for source in chosen:
        draw = _simulate(seed, scale, source, with_truth=False)
        written[source] = _module(source).write(out, draw)
        del draw  # bounded memory: one source in memory at a time
        if progress is not None:
            progress(source, written[source])
    return written


def generate_truth(
    seed: int = DEFAULT_SEED, scale: float = 1.0, source: str = "wodc"
) -> pd.DataFrame:
    """The common-schema values behind the files of ``source`` (one row per respondent-wave).

    Parameters
    ----------
    seed, scale
        As given to :func:`write_synthetic_sources` for the files to compare with.
    source
        One of :data:`SOURCE_NAMES`.

    Returns
    -------
    pandas.DataFrame
        Columns of the common schema (``respondent_id`` = ``<source>:<wave>:<raw id>``,
        ``wave``, ``age``, ``gender``, …, ``weight``, ``psu``, ``stratum``) plus a
        ``<var>_missing`` reason column per nullable variable; missing exactly where
        the file records a missing code, with the reason the mapping rules give.
    """
    _check([source], scale)
    truth: pd.DataFrame = _simulate(seed, scale, source, with_truth=True).truth
    return truth
