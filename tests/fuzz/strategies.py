"""Hypothesis strategies: valid and corrupted SPSS/Stata/CSV files and YAML codebooks.

A *case* is built in two steps: a valid file (a small generated frame written by
pyreadstat or pandas), then zero or more corruptions of its bytes (truncation,
flipped bytes, a foreign encoding, zero-filled tails, garbage). The oracle
:func:`outcome` runs the reader and classifies what happened: a result, or one
clear :class:`~surveytk.errors.SurveytkError`; anything else is a finding.
"""

from __future__ import annotations

import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from surveytk.errors import SurveytkError

FORMATS = ("sav", "zsav", "dta", "csv")
#: encodings that a delivered text file may really be in
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "cp1251", "utf-16")
#: texts that stress encodings: umlauts, Cyrillic, a formula trigger, quotes
LABEL_TEXTS = (
    "Ja", "Nee", "Weet niet", "Größe", "Харківська область", "=1+1", "@SUM(A1)",
    '"quoted", comma', "-", "", "a" * 120,
)
#: seconds one case may take before it counts as a hang
HANG_SECONDS = 20.0


# --------------------------------------------------------------------------- frames


_first = st.sampled_from(string.ascii_lowercase)
_rest = st.text(alphabet=string.ascii_lowercase + string.digits + "_", max_size=10)
names = st.builds(lambda a, b: a + b, _first, _rest)


@st.composite
def frames(draw: st.DrawFn, max_rows: int = 30, max_cols: int = 6) -> pd.DataFrame:
    """A small frame of numeric codes, floats with NaN and short texts (0 rows allowed)."""
    cols = draw(st.lists(names, min_size=1, max_size=max_cols, unique=True))
    n = draw(st.integers(0, max_rows))
    data: dict[str, Any] = {}
    for name in cols:
        kind = draw(st.sampled_from(("code", "float", "text")))
        if kind == "code":
            data[name] = draw(st.lists(st.sampled_from((1, 2, 3, 98, 99, -1)), min_size=n,
                                       max_size=n))
        elif kind == "float":
            data[name] = draw(st.lists(
                st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)), min_size=n,
                max_size=n))
        else:
            data[name] = draw(st.lists(st.sampled_from(LABEL_TEXTS), min_size=n, max_size=n))
    df = pd.DataFrame({k: pd.Series(v, dtype=_dtype(v)) for k, v in data.items()})
    return df


def _dtype(values: list[Any]) -> str:
    if any(isinstance(v, str) for v in values):
        return "object"
    return "float64"


@st.composite
def value_labels(draw: st.DrawFn, df: pd.DataFrame, huge: bool = False) -> dict[str, Any]:
    """Value labels for some numeric columns; ``huge`` gives thousands of labels."""
    out: dict[str, Any] = {}
    for name in df.columns:
        if df[name].dtype == object or not draw(st.booleans()):
            continue
        n = draw(st.integers(2000, 5000)) if huge else draw(st.integers(1, 6))
        texts = st.sampled_from(LABEL_TEXTS[:-1])
        out[name] = {float(i): draw(texts) or f"code {i}" for i in range(1, n + 1)}
    return out


# --------------------------------------------------------------------------- writing


def write_valid(df: pd.DataFrame, fmt: str, path: Path, *, labels: dict[str, Any] | None = None,
                encoding: str = "utf-8", missing: bool = False) -> Path:
    """Write ``df`` as ``fmt`` (sav, zsav, dta, csv) to ``path``; return the path."""
    import pyreadstat

    labels = labels or {}
    if fmt in ("sav", "zsav"):
        user_missing = {n: [98.0, 99.0] for n in labels} if missing else None
        pyreadstat.write_sav(df, str(path), variable_value_labels=labels or None,
                             compress=fmt == "zsav", missing_ranges=user_missing)
    elif fmt == "dta":
        dta = df.copy()
        for name in dta.columns:
            if dta[name].dtype == object:
                dta[name] = dta[name].astype(str).str.encode("utf-8", "ignore").str[:200] \
                    .str.decode("utf-8", "ignore")
        pyreadstat.write_dta(dta, str(path), variable_value_labels=_int_labels(labels) or None)
    else:
        text = df.to_csv(index=False, lineterminator="\n")
        path.write_bytes(text.encode(encoding, errors="replace"))
    return path


def _int_labels(labels: dict[str, Any]) -> dict[str, Any]:
    # Stata value labels need integer codes
    return {k: {int(c): t for c, t in v.items()} for k, v in labels.items()}


# --------------------------------------------------------------------------- corruption


@dataclass(frozen=True)
class Corruption:
    """One byte-level damage: what, where (fraction of the file), how much."""

    kind: str
    where: float = 0.5
    amount: int = 1

    def apply(self, data: bytes) -> bytes:
        n = len(data)
        at = min(n, int(self.where * n))
        if self.kind == "truncate":
            return data[:at]
        if self.kind == "flip":
            buf = bytearray(data)
            for i in range(self.amount):
                if buf:
                    j = (at + i * 7919) % len(buf)
                    buf[j] ^= 0xFF if i % 2 == 0 else 0x5A
            return bytes(buf)
        if self.kind == "zero_tail":
            return data[:at] + b"\x00" * (n - at)
        if self.kind == "garbage":
            rng = np.random.default_rng(self.amount)
            return data[:at] + rng.integers(0, 256, self.amount * 16, dtype=np.uint8).tobytes()
        if self.kind == "drop_header":
            return data[min(n, self.amount * 4):]
        if self.kind == "empty":
            return b""
        raise ValueError(self.kind)


corruptions = st.builds(
    Corruption,
    kind=st.sampled_from(("truncate", "flip", "zero_tail", "garbage", "drop_header", "empty")),
    where=st.floats(0.0, 1.0),
    amount=st.integers(1, 64),
)


# --------------------------------------------------------------------------- codebooks


@dataclass(frozen=True)
class TextEdit:
    """One edit of a YAML codebook's text."""

    kind: str
    where: float
    payload: str = ""

    def apply(self, text: str) -> str:
        lines = text.splitlines(keepends=True)
        i = min(len(lines) - 1, int(self.where * len(lines))) if lines else 0
        if self.kind == "delete_line" and lines:
            del lines[i]
        elif self.kind == "insert_line":
            indent = len(lines[i]) - len(lines[i].lstrip()) if lines else 0
            lines.insert(i, " " * indent + self.payload + "\n")
        elif self.kind == "duplicate_line" and lines:
            lines.insert(i, lines[i])
        elif self.kind == "truncate":
            return text[: int(self.where * len(text))]
        elif self.kind == "replace_value" and lines and ":" in lines[i]:
            key = lines[i].split(":", 1)[0]
            lines[i] = f"{key}: {self.payload}\n"
        elif self.kind == "indent" and lines:
            lines[i] = "   " + lines[i]
        return "".join(lines)


#: YAML fragments that must never execute or construct Python objects
YAML_INJECTIONS = (
    "!!python/object/apply:os.system ['echo pwned > /tmp/surveytk_pwned']",
    "!!python/name:os.system",
    "!!python/object/new:subprocess.Popen [['true']]",
    "!!python/module:os",
    "!!binary aGVsbG8=",
    "&a [*a]",
    "{function: __import__, args: {name: os}}",
    "'{{ 7*7 }}'",
    "[" * 50,
)

YAML_VALUES = (
    *YAML_INJECTIONS, "~", "null", "[]", "{}", "-1", "1e309", "yes", "'\\x00'", "\"\\ud800\"",
    "2024-13-45", "*undefined_alias", "\t", "|", ">",
)

text_edits = st.builds(
    TextEdit,
    kind=st.sampled_from(("delete_line", "insert_line", "duplicate_line", "truncate",
                          "replace_value", "indent")),
    where=st.floats(0.0, 1.0),
    payload=st.one_of(st.sampled_from(YAML_VALUES), st.sampled_from(YAML_VALUES).map(
        lambda v: f"extra_key: {v}")),
)


def huge_value_map(n: int) -> str:
    """A codebook fragment mapping ``n`` codes of one variable (huge label counts)."""
    lines = ["  gender:", "    from: locov.geslacht", "    map:"]
    lines += [f"      {i}: {{to: male, label: 'code {i}'}}" for i in range(1, n + 1)]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- oracle


@dataclass(frozen=True)
class Outcome:
    """What one case did: ``ok``, ``error`` (a SurveytkError) or ``finding``."""

    kind: str
    detail: str
    seconds: float


def outcome(run: Callable[[], object]) -> Outcome:
    """Run a case and classify it; a non-SurveytkError, a multi-line surprise or a hang is a
    finding."""
    t0 = time.perf_counter()
    try:
        run()
    except SurveytkError as exc:
        dt = time.perf_counter() - t0
        if dt > HANG_SECONDS:
            return Outcome("finding", f"{type(exc).__name__} after {dt:.1f} s", dt)
        if not str(exc).strip():
            return Outcome("finding", f"empty {type(exc).__name__} message", dt)
        return Outcome("error", f"{type(exc).__name__}: {getattr(exc, 'reason', None)}", dt)
    except Exception as exc:  # any other exception is a finding
        return Outcome("finding", f"{type(exc).__name__}: {str(exc)[:200]}",
                       time.perf_counter() - t0)
    dt = time.perf_counter() - t0
    if dt > HANG_SECONDS:
        return Outcome("finding", f"took {dt:.1f} s", dt)
    return Outcome("ok", "", dt)
