"""What ``codebook docs`` documents, before it is written in any format.

For every common variable: its definition, its harmonised categories, each
crosswalk's question, origin and value map (codes in code order) and — from
harmonised tables, if given — frequencies by source in the order of the
categories and numeric summaries, all disclosure-controlled
(:mod:`surveytk.disclosure`). :func:`build_site` collects it as a :class:`Site`;
the renderers (:mod:`surveytk.codebook.docs_html`, :mod:`surveytk.codebook.docs_markdown`,
:mod:`surveytk.codebook.ddi`) share the texts defined here, and
:func:`surveytk.codebook.docs.write_docs` writes the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from surveytk.codebook.book import Codebook
from surveytk.codebook.loader import load_codebook, load_schema
from surveytk.codebook.model import Schema, SchemaVariable
from surveytk.codebook.search import search_path
from surveytk.disclosure import (
    DEFAULT_THRESHOLD,
    SUPPRESSED_MARKER,
    check_threshold,
    suppress_table,
)
from surveytk.io.inspect import summarise_column

DISCLOSURE_THRESHOLD = DEFAULT_THRESHOLD


def suppress(count: int, threshold: int = DISCLOSURE_THRESHOLD) -> str:
    """A frequency cell for publication: counts below ``threshold`` become ``<threshold``."""
    return f"<{threshold}" if 0 < count < threshold else str(count)


# --------------------------------------------------------------------------- content


@dataclass(frozen=True)
class SourceEntry:
    """How one crosswalk makes one common variable."""

    codebook: str
    version: str
    source: str
    #: ("column", "pl.plj0085") | ("derive", "lookup(...)") | ("constant", "NLD") |
    #: ("missing", "not_asked") | ("schema", "lookup") — kind and text
    origin: tuple[str, str]
    question: str = ""
    note: str = ""
    #: (source code, source label, common value or "missing: reason"), in code order
    rows: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class NumericSummary:
    """Disclosure-safe summary of a numeric common variable in one source."""

    source: str
    n: str
    share_missing: str
    mean: str
    median: str
    minimum: str
    maximum: str


@dataclass(frozen=True)
class VariablePage:
    """Everything documented about one common variable."""

    name: str
    var: SchemaVariable
    entries: tuple[SourceEntry, ...]
    #: published frequency cells: rows in category order, one column per source
    freq: pd.DataFrame | None = None
    numeric: tuple[NumericSummary, ...] = ()


@dataclass(frozen=True)
class Site:
    """The documented schema and crosswalks."""

    schema: Schema
    books: tuple[Codebook, ...]
    pages: tuple[VariablePage, ...]
    threshold: int = DISCLOSURE_THRESHOLD
    notes: list[str] = field(default_factory=list)

    def source_label(self, source: str) -> str:
        levels = {lv.value: lv.label for lv in self.schema.variables["source"].levels}
        return levels.get(source, source)


def _code_sort_key(code: object) -> tuple[int, float, str]:
    """Numbers first in numeric order, then text codes alphabetically."""
    if isinstance(code, bool):
        return (1, 0.0, str(code))
    if isinstance(code, int | float):
        return (0, float(code), "")
    try:
        return (0, float(str(code)), "")
    except ValueError:
        return (1, 0.0, str(code))


def _code_text(code: object) -> str:
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code)


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _code_text(value)


def derive_text(function: str, args: dict[str, object]) -> str:
    shown = ", ".join(f"{k}: {v}" for k, v in args.items() if k not in ("rules", "map",
                                                                            "midpoints"))
    return f"{function}({shown})"


def source_entry(book: Codebook, name: str) -> SourceEntry:
    """How ``book`` makes common variable ``name``."""
    cw = book.crosswalk
    spec = cw.variables.get(name)
    if spec is None:
        derive = book.schema.variables[name].derive
        return SourceEntry(book.name, book.version, cw.source,
                           origin=("schema", derive.function if derive else ""))
    if spec.from_ is not None:
        origin = ("column", spec.from_)
    elif spec.derive is not None:
        origin = ("derive", derive_text(spec.derive.function, dict(spec.derive.args)))
    elif spec.missing_reason is not None:
        origin = ("missing", spec.missing_reason)
    else:
        origin = ("constant", _value_text(spec.constant))
    rows = []
    for code in sorted(spec.map or {}, key=_code_sort_key):
        entry = (spec.map or {})[code]
        target = _value_text(entry.to) if entry.to is not None else f"missing: {entry.missing}"
        rows.append((_code_text(code), entry.label or "", target))
    if spec.derive is not None and isinstance(spec.derive.args.get("midpoints"), dict):
        bands = spec.derive.args["midpoints"]
        labels = {} if not spec.map else {k: e.label or "" for k, e in spec.map.items()}
        rows += [(_code_text(code), labels.get(code, ""), f"midpoint {_value_text(bands[code])}")
                 for code in sorted(bands, key=_code_sort_key)]
    for code in sorted(spec.missing, key=_code_sort_key):
        rows.append((_code_text(code), "", f"missing: {spec.missing[code]}"))
    return SourceEntry(book.name, book.version, cw.source, origin=origin,
                       question=" ".join((spec.question or "").split()),
                       note=" ".join((spec.note or "").split()), rows=tuple(rows))


def category_order(var: SchemaVariable, schema: Schema) -> list[str]:
    """Frequency rows in code order: the categories as in the schema (false before true
    for booleans), then the missing reasons as in the schema, then plain ``missing``."""
    values = ["false", "true"] if var.type == "boolean" else [str(v) for v in var.level_values]
    return values + [f"missing: {r.value}" for r in schema.missing_reasons] + ["missing"]


def delivery_label(table: pd.DataFrame) -> pd.Series:
    """Per row, ``"<source> <wave>"`` (two rounds of one source stay apart)."""
    label = table["source"].astype(str)
    if "wave" in table:
        label = label + " " + table["wave"].astype(str)
    return label


def frequencies(tables: Sequence[pd.DataFrame], name: str,
                threshold: int = DISCLOSURE_THRESHOLD,
                order: Sequence[str] | None = None) -> pd.DataFrame | None:
    """Counts of a categorical or boolean variable (and its missing reasons) by source,
    rows in ``order`` (default: as first seen), cells disclosure-controlled."""
    if not tables:
        return None
    parts = []
    for t in tables:
        if name not in t:
            continue
        cols = [name, *([f"{name}_missing"] if f"{name}_missing" in t else [])]
        part = t[list(dict.fromkeys(cols))].copy()
        part["source"] = delivery_label(t)
        parts.append(part)
    if not parts:
        return None
    data = pd.concat(parts, ignore_index=True)
    values = data[name].astype(object).where(data[name].notna(), None)
    values = values.map(lambda v: v if v is None else _value_text(v))
    if f"{name}_missing" in data:
        reasons = data[f"{name}_missing"].astype(object)
        values = values.where(values.notna(), "missing: " + reasons.astype(str))
    values = values.fillna("missing")
    if values.nunique() > 30:
        return None
    tab = pd.crosstab(values.astype(str), data["source"].astype(str))
    if order is not None:
        known = [v for v in order if v in tab.index]
        tab = tab.loc[known + [v for v in tab.index if v not in known]]
    return suppressed_cells(tab, threshold)


def suppressed_cells(tab: pd.DataFrame, threshold: int = DISCLOSURE_THRESHOLD) -> pd.DataFrame:
    """Counts as publishable text: primary and complementary suppression of the table.

    Counts under ``threshold`` show as ``<threshold``; cells suppressed only so that
    the (public) totals per source and per value cannot reveal them show as
    :data:`surveytk.disclosure.SUPPRESSED_MARKER` (:func:`surveytk.disclosure.suppress_table`).
    """
    counts = tab.to_numpy(dtype=float)
    sup = suppress_table(counts, threshold)
    text = [[(f"<{threshold}" if sup.primary_cells[i, j] else SUPPRESSED_MARKER)
             if sup.cells[i, j] else str(int(counts[i, j]))
             for j in range(counts.shape[1])] for i in range(counts.shape[0])]
    return pd.DataFrame(text, index=tab.index, columns=tab.columns)


def _fmt(value: float | None) -> str:
    if value is None or not np.isfinite(value):
        return ""
    return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.3e}"


def numeric_summaries(tables: Sequence[pd.DataFrame], name: str,
                      threshold: int = DISCLOSURE_THRESHOLD) -> tuple[NumericSummary, ...]:
    """Per source: valid n, share missing, mean, median and a disclosure-safe range
    (:func:`surveytk.io.inspect.summarise_column`); statistics need ``threshold`` valid
    values, and an n under the threshold shows as ``<threshold``."""
    out = []
    for t in tables:
        if name not in t:
            continue
        for source, part in t.groupby(delivery_label(t), sort=True, observed=True):
            col = pd.to_numeric(part[name], errors="coerce").astype("float64")
            missing = col.isna()
            n_valid = int((~missing).sum())
            share = f"{100 * missing.mean():.1f}%" if len(col) >= threshold else ""
            if n_valid < threshold:
                out.append(NumericSummary(str(source), suppress(n_valid, threshold), share,
                                          "", "", "", ""))
                continue
            s = summarise_column(col, missing, threshold)
            assert s is not None
            low = ("≤" if s.minimum_is_bound else "") + _fmt(s.minimum)
            high = ("≥" if s.maximum_is_bound else "") + _fmt(s.maximum)
            valid = col[~missing]
            out.append(NumericSummary(str(source), str(n_valid), share, _fmt(valid.mean()),
                                      _fmt(float(valid.median())), low, high))
    return tuple(out)


def build_site(codebooks: Sequence[str] | None = None, data: Sequence[str | Path] = (),
               threshold: int = DISCLOSURE_THRESHOLD) -> Site:
    """Collect the documentation of the schema and the crosswalks (default: every
    crosswalk on the codebook search path that is not shadowed)."""
    threshold = check_threshold(threshold)
    schema = load_schema()
    if codebooks:
        books = [load_codebook(n) for n in codebooks]
    else:  # every crosswalk on the search path (not the ones shadowed)
        books = [load_codebook(e.path) for e in search_path().entries() if e.shadowed_by is None]
    tables = [pd.read_parquet(p) for p in data]
    pages = []
    for name, var in schema.variables.items():
        entries = tuple(source_entry(b, name) for b in books) if name != "source" else ()
        freq = None
        numeric: tuple[NumericSummary, ...] = ()
        if var.type in ("category", "ordered", "boolean"):
            freq = frequencies(tables, name, threshold, category_order(var, schema))
        elif var.type in ("integer", "float"):
            numeric = numeric_summaries(tables, name, threshold)
        pages.append(VariablePage(name, var, entries, freq, numeric))
    return Site(schema=schema, books=tuple(books), pages=tuple(pages), threshold=threshold)


# --------------------------------------------------------------------------- shared texts


NUMERIC_HEADER = ("source", "n", "missing", "mean", "median", "min", "max")


def numeric_row(s: NumericSummary) -> tuple[str, ...]:
    return (s.source, s.n, s.share_missing, s.mean, s.median, s.minimum, s.maximum)


def origin_text(e: SourceEntry) -> str:
    kind, text = e.origin
    return {"column": f"column {text}", "derive": f"derivation {text}",
            "missing": f"not in the source ({text})", "constant": f"constant {text}",
            "schema": f"derived in the schema ({text})"}[kind]


def suppression_text(site: Site) -> str:
    return (f"Cells under {site.threshold} are suppressed (<{site.threshold}), and so are "
            f"cells that the totals would reveal ({SUPPRESSED_MARKER}).")


def numeric_text(site: Site) -> str:
    return (f"Statistics need at least {site.threshold} valid values. An extreme held by "
            f"fewer than {site.threshold} respondents shows as a bound (≤, ≥) that at least "
            f"{site.threshold} reach.")
