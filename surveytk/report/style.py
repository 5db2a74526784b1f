"""House style shared by every table renderer and plot: numbers, stars, colours, dates.

Numbers are formatted in one place so that every format shows the same digits:
estimates with ``digits`` decimals, standard errors and test statistics in
parentheses, confidence intervals in brackets, a true minus sign where the
format allows it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Literal, get_args

StatKind = Literal["se", "ci", "t", "p"]
STAT_KINDS: tuple[str, ...] = get_args(StatKind)

#: Unicode minus sign (U+2212) used in text formats; CSV keeps ASCII '-'.
UNICODE_MINUS = "\u2212"
ASCII_MINUS = "-"

#: Fixed creation/modification time written into DOCX/XLSX/ZIP members so that
#: reruns are byte-identical.
FIXED_DATETIME = dt.datetime(2000, 1, 1, 0, 0, 0)
FIXED_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

#: Okabe & Ito (2008) colour-blind-safe palette, black last.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
MARKERS: tuple[str, ...] = ("o", "s", "D", "^", "v", "P", "X", "h")

DEFAULT_STARS: tuple[float, ...] = (0.1, 0.05, 0.01)


def format_number(x: float | None, digits: int, *, minus: str = UNICODE_MINUS) -> str:
    """``x`` with ``digits`` decimals; empty for missing, ``−0.000`` shown as ``0.000``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if math.isinf(x):
        return "∞" if x > 0 else f"{minus}∞"
    text = f"{x:.{digits}f}"
    if text.startswith("-"):
        body = text[1:]
        if float(body) == 0.0:
            return body
        return minus + body
    return text


def format_count(x: float | None, *, minus: str = UNICODE_MINUS) -> str:
    """An integer count with thousands separators (``11,225``)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    text = f"{round(x):,d}"
    return text.replace("-", minus)


def format_df(x: float | None, digits: int, *, minus: str = UNICODE_MINUS) -> str:
    """Degrees of freedom: whole numbers without decimals, else ``digits`` decimals."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if float(x).is_integer():
        return format_count(x, minus=minus)
    return format_number(x, digits, minus=minus)


def parse_star_levels(text: str | Sequence[float] | None) -> tuple[float, ...]:
    """``"0.1,0.05,0.01"`` → ``(0.1, 0.05, 0.01)`` sorted from largest to smallest.

    Raises
    ------
    ValueError
        If a level is not a number strictly between 0 and 1.
    """
    if text is None:
        return ()
    items: Sequence[float | str] = text.split(",") if isinstance(text, str) else text
    levels: list[float] = []
    for item in items:
        value = float(item)
        if not 0.0 < value < 1.0:
            raise ValueError(f"star levels must lie strictly between 0 and 1; got {item}")
        levels.append(value)
    return tuple(sorted(set(levels), reverse=True))


def stars_for(p: float | None, levels: Sequence[float]) -> str:
    """One star per level (largest first) that ``p`` is below."""
    if p is None or math.isnan(p):
        return ""
    return "*" * sum(1 for level in levels if p < level)


def stars_note(levels: Sequence[float]) -> str:
    """``* p < 0.1, ** p < 0.05, *** p < 0.01.``"""
    parts = [f"{'*' * (i + 1)} p < {level:g}" for i, level in enumerate(levels)]
    return ", ".join(parts) + "."


def stat_note(stat: StatKind, level: float = 0.95) -> str:
    """The note explaining the line beneath each estimate."""
    return {
        "se": "Standard errors in parentheses.",
        "ci": f"{level:.0%} confidence intervals in brackets.",
        "t": "t statistics in parentheses.",
        "p": "p-values in parentheses.",
    }[stat]
