"""The implementations of the named derivations a crosswalk may call.

A crosswalk never contains Python: it names a derivation and gives plain
arguments. Names and arguments are defined in
:mod:`surveytk.codebook.derivation_signatures` (what a codebook is checked
against); this module computes them. Arguments listed in a derivation's
``inputs`` are references, ``<file>.<variable>`` or ``$<common variable>``; the
engine resolves them to :class:`~surveytk.harmonise.column.Col` objects. Every
function is vectorised (no loops over rows) and returns a ``Col``: values plus
a missing reason per row, the reason of the first missing input propagating.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from surveytk.codebook.derivation_signatures import SIGNATURES, DerivationSignature, is_reference
from surveytk.codebook.template import fill_template
from surveytk.disclosure import DEFAULT_THRESHOLD, count_text
from surveytk.errors import ProblemList
from surveytk.harmonise.column import (
    REASON_CODE,
    VALID,
    Col,
    code_key,
    code_text,
    constant_col,
    first_reason,
    format_id_part,
    map_uniques,
    normalise_text,
    numeric,
    shown_text_values,
)
from surveytk.harmonise.label_check import compare_label


class RosterView(Protocol):
    """A one-to-many file joined to the base table (a household roster)."""

    frame: pd.DataFrame
    #: base-table row of each roster row, -1 where the roster row has no base row
    parent: np.ndarray
    alias: str


class DeriveContext(Protocol):
    """What a derivation may ask of the engine."""

    n: int
    problems: ProblemList
    #: the crosswalk's file aliases (what a ``<file>.<column>`` reference may start with)
    aliases: tuple[str, ...]

    def col(self, ref: str) -> Col: ...

    def roster(self, alias: str) -> RosterView: ...

    def lookup_table(self, name: str) -> pd.DataFrame: ...

    def where(self, target: str) -> str: ...


DeriveFunc = Callable[[DeriveContext, Mapping[str, Any], str], Col]


@dataclass(frozen=True)
class Derivation:
    """A derivation's signature (what a crosswalk may pass) and the function computing it."""

    signature: DerivationSignature
    func: DeriveFunc

    @property
    def name(self) -> str:
        return self.signature.name


#: The implementation of every derivation that
#: :data:`~surveytk.codebook.derivation_signatures.SIGNATURES` names, by name.
REGISTRY: dict[str, Derivation] = {}


def implements(name: str) -> Callable[[DeriveFunc], DeriveFunc]:
    """Register ``func`` as the implementation of the derivation ``name`` (whose signature
    :data:`~surveytk.codebook.derivation_signatures.SIGNATURES` holds)."""

    def deco(func: DeriveFunc) -> DeriveFunc:
        REGISTRY[name] = Derivation(signature=SIGNATURES[name], func=func)
        return func

    return deco


def _series(values: Any, n: int) -> pd.Series:
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    return pd.Series(values) if not np.isscalar(values) else pd.Series([values] * n)


def _int_series(arr: np.ndarray, ok: np.ndarray) -> pd.Series:
    out = pd.array(np.where(ok, arr, 0).astype(np.int64), dtype="Int64")
    out[~ok] = pd.NA
    return pd.Series(out)


# --------------------------------------------------------------------------- simple


@implements("constant")
def constant(ctx: DeriveContext, args: Mapping[str, Any], target: str) -> Col:
    """The same value on every row."""
    col = constant_col(ctx.n, args["value"])
    col.origin = "derive:constant"
    return col


@implements("make_id")
def make_id(ctx: DeriveContext, args: Mapping[str, Any], target: str) -> Col:
    """Join constants and columns with ``sep`` (default ":"); numbers lose a ``.0`` part.

    Missing where any referenced column is missing.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    sep = str(args.get("sep", ":"))
    pieces: list[Any] = []
    cols: list[Col] = []
    for part in args["parts"]:
        if is_reference(part, ctx.aliases):
            c = ctx.col(part)
            cols.append(c)
            pieces.append(pa.array(format_id_part(c.values), type=pa.string()))
        else:
            pieces.append(pa.scalar(str(part)))
    reason = first_reason(*cols) if cols else np.zeros(ctx.n, dtype=np.int8)
    if not any(isinstance(p, pa.Array) for p in pieces):
        pieces.append(pa.array([""] * ctx.n, type=pa.string()))
        pieces = [pc.binary_join_element_wise(*pieces[:-1], "", sep)] if len(pieces) > 2 else [
            pa.array([pieces[0].as_py()] * ctx.n, type=pa.string())]
    joined = pc.binary_join_element_wise(*pieces, sep) if len(pieces) > 1 else pieces[0]
    out = pd.Series(pd.array(joined, dtype="string")).mask(reason != VALID)
    return Col(values=out, reason=reason, origin="derive:make_id")


# --------------------------------------------------------------------------- numbers


@implements("age_from_birth")
def age_from_birth(ctx: DeriveContext, args: Mapping[str, Any], target: str) -> Col:
    """Age in completed years at a reference date.

    ``ref_year - birth_year``, minus 1 where ``ref_month < birth_month`` (both
    known); where a month is missing the year difference stands. The reference
    is ``ref_year``/``ref_month`` or the year and month of ``ref_date``.
    """
    by = ctx.col(args["birth_year"])
    used = [by]
    if "ref_date" in args:
        rd = ctx.col(args["ref_date"])
        used.append(rd)
        ry, rm = _year_month(rd)
    elif "ref_year" in args:
        ryc = ctx.col(args["ref_year"])
        used.append(ryc)
        ry = numeric(ryc)
        rm = numeric(ctx.col(args["ref_month"])) if "ref_month" in args else np.full(ctx.n, np.nan)
    else:
        ctx.problems.add(f"{ctx.where(target)}: age_from_birth needs ref_year or ref_date")
        return Col(pd.Series([pd.NA] * ctx.n), np.zeros(ctx.n, np.int8), "derive:age_from_birth")
    bm = numeric(ctx.col(args["birth_month"])) if "birth_month" in args else np.full(ctx.n, np.nan)
    age = ry - numeric(by)
    later = np.isfinite(rm) & np.isfinite(bm) & (rm < bm)
    age = age - later
    reason = first_reason(*used)
    ok = (reason == VALID) & np.isfinite(age)
    return Col(values=_int_series(age, ok), reason=reason, origin="derive:age_from_birth")


def _year_month(col: Col) -> tuple[np.ndarray, np.ndarray]:
    """Year and month of a date column as float arrays (NaN where not valid)."""
    values = col.values
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        values = pd.to_datetime(pd.Series(values), errors="coerce")
    stamps = values.to_numpy(dtype="datetime64[s]")
    nat = np.isnat(stamps)
    months = stamps.astype("datetime64[M]").astype(np.int64)
    year = (months // 12 + 1970).astype("float64")
    month = (months % 12 + 1).astype("float64")
    year[nat] = np.nan
    month[nat] = np.nan
    year[col.reason != VALID] = np.nan
    month[col.reason != VALID] = np.nan
    return year, month


@implements("band_midpoint")
def band_midpoint(ctx: DeriveContext, args: Mapping[str, Any], target: str) -> Col:
    """Midpoint of an age (or other) band: ``midpoints`` maps band code → number."""
    src = ctx.col(args["input"])
    mids = {float(k): float(v) for k, v in dict(args["midpoints"]).items()}
    vals = numeric(src)
    out = pd.Series(vals).map(mids).to_numpy(dtype="float64", na_value=np.nan)
    reason = src.reason.copy()
    na_raw = src.values.isna().to_numpy() & (reason == VALID)
    reason[na_raw] = REASON_CODE["not_asked"]
    unknown = (reason == VALID) & np.isnan(out)
    if unknown.any():
        codes = sorted(pd.unique(vals[unknown]).tolist())
        ctx.problems.add(
            f"{src.file or src.origin}: {src.origin} codes {codes} have no band midpoint; "
            f"add them to midpoints in {ctx.where(target)}",
            variable=src.origin,
        )
    return Col(values=pd.Series(out), reason=reason, origin="derive:band_midpoint")


@implements("months_between")
def months_between(ctx: DeriveContext, args: Mapping[str, Any], target: str) -> Col:
    """Whole months from (from_year, from_month) to (to_year, to_month) or to_date's month.

    ``12 (y_to - y_from) + (m_to - m_from)``; missing where an input is missing.
    """
    fy = ctx.col(args["from_year"])
    used = [fy]
    fm_arr = np.full(ctx.n, np.nan)
    if "from_month" in args:
        fm = ctx.col(args["from_month"])
        used.append(fm)
        fm_arr = numeric(fm)
    if "to_date" in args:
        td = ctx.col(args["to_date"])
        used.append(td)
        ty, tm = _year_month(td)
    else:
        tyc, tmc = ctx.col(args["to_year"]), ctx.col(args["to_month"])
        used += [tyc, tmc]
        ty, tm = numeric(tyc), numeric(tmc)
    months = 12 * (ty - numeric(fy)) + (tm - fm_arr)
    reason = first_reason(*used)
    ok = (reason == VALID) & np.isfinite(months)
    return Col(values=_int_series(months, ok), reason=reason, origin="derive:months_between")


@implements("greater_than")
def greater_than(ctx: DeriveContext, args: Mapping[str, Any], target: str) -> Col:
    """``input > threshold`` as a boolean; missing where the input is missing."""
    src = ctx.col(args["input"])
    vals = numeric(src)
    reason = first_reason(src)
    out = pd.array(np.nan_to_num(vals) > float(args["threshold"]), dtype="boolean")
    out[reason != VALID] = pd.NA
    return Col(values=pd.Series(out), reason=reason, origin="derive:greater_than")


@implements("scale")
def scale(ctx: DeriveContext, args: Mapping[str, Any], target: str) -> Col:
    """``input * factor``: a change of unit (km to 1,000 km); missing where the input is."""
    src = ctx.col(args["input"])
    reason = first_reason(src)
    values = np.where(reason == VALID, numeric(src) * float(args["factor"]), np.nan)
    return Col(values=pd.Series(values), reason=reason, origin="derive:scale")


@implements("cut")
def cut(ctx: DeriveContext, args: Mapping[str, Any], target: str) -> Col:
    """Group a number: ``labels[i]`` for ``breaks[i] <= x < breaks[i+1]`` (last open).

    Values below the first break are missing with reason ``below``
    (default ``not_applicable``).
    """
    src = ctx.col(args["input"])
    breaks = np.asarray([float(b) for b in args["breaks"]])
    labels = np.asarray([str(v) for v in args["labels"]], dtype=object)
    vals = numeric(src)
    reason = first_reason(src)
    idx = np.searchsorted(breaks, np.nan_to_num(vals, nan=-np.inf), side="right") - 1
    below = (reason == VALID) & (idx < 0)
    reason[below] = REASON_CODE[str(args.get("below", "not_applicable"))]
    out = pd.Series(labels[np.clip(idx, 0, len(labels) - 1)], dtype=object)
    out[reason != VALID] = None
    return Col(values=out, reason=reason, origin="derive:cut")


# --------------------------------------------------------------------------- categories


@implements("recode")
def recode(ctx: DeriveContext, args: Mapping[str, Any], target: str) -> Col:
    """Map harmonised values of another common variable (``map``: value → value)."""
    src = ctx.col(args["input"])
    mapping = {str(k): v for k, v in dict(args["map"]).items()}
    reason = first_reason(src)
    out = pd.Series(map_uniques(src.values, lambda v: mapping.get(str(v))), dtype=object)
    out[reason != VALID] = None
    unknown = (reason == VALID) & out.isna().to_numpy()
    if unknown.any():
        vals = sorted({str(v) for v in src.values[unknown]})
        ctx.problems.add(f"{ctx.where(target)}: recode has no entry for {vals}")
    return Col(values=out.reset_index(drop=True), reason=reason, origin="derive:recode")


@implements("combine")
def combine(ctx: DeriveContext, args: Mapping[str, Any], target: str) -> Col:
    """Rule table over the raw codes of several questions.

    ``rules`` is a list of ``{when: [code or "*", ...], to: value}`` or
    ``{when: [...], missing: reason}``; the first matching rule wins. A row that
    no rule matches is missing with its first input's reason, or, if every input
    is valid, an unmapped combination that stops harmonising.
    """
    cols = [ctx.col(r) for r in args["inputs"]]
    n = ctx.n
    targets: list[object] = []
    target_code = np.full(n, -1, dtype=np.int64)
    reason = np.zeros(n, dtype=np.int8)
    done = np.zeros(n, dtype=bool)
    raw = [_raw_keys(c) for c in cols]
    for rule in args["rules"]:
        hit = ~done
        for keys, cond in zip(raw, rule["when"], strict=True):
            if cond != "*":
                hit &= keys == code_key(cond)
        if "to" in rule:
            if rule["to"] not in targets:
                targets.append(rule["to"])
            target_code[hit] = targets.index(rule["to"])
        else:
            reason[hit] = REASON_CODE[rule["missing"]]
        done |= hit
    rest = ~done
    fallback = first_reason(*cols)
    reason[rest] = fallback[rest]
    unmatched = rest & (fallback == VALID)
    if unmatched.any():
        combos = pd.DataFrame({c.origin: k[unmatched] for c, k in zip(cols, raw, strict=True)})
        counts = combos.value_counts().sort_index()
        names = [str(c) for c in combos.columns]
        shown = "; ".join(f"{_combo_text(names, _as_tuple(k), int(v))}: {count_text(int(v))}"
                          for k, v in counts.items())
        ctx.problems.add(
            f"{cols[0].file or ''}: combination of {[c.origin for c in cols]} not covered by "
            f"the rules ({shown}); add a rule in {ctx.where(target)}",
            variable=target,
        )
    if all(isinstance(t, str) for t in targets):
        out = pd.Series(pd.Categorical.from_codes(target_code, dtype=pd.CategoricalDtype(targets)))
    else:
        out = pd.Series(np.append(np.asarray(targets, dtype=object), [None])[target_code])
    return Col(values=out, reason=reason, origin="derive:combine")


def _combo_text(names: list[str], values: tuple[object, ...], n: int) -> str:
    """``{'a': 1, 'b': 'x'}`` with text values held by too few rows not shown."""
    parts = [shown_text_values([v], [n], DEFAULT_THRESHOLD)[0] for v in values]
    return "{" + ", ".join(f"{k!r}: {p}" for k, p in zip(names, parts, strict=True)) + "}"


def _as_tuple(key: object) -> tuple[object, ...]:
    return key if isinstance(key, tuple) else (key,)


def _raw_keys(col: Col) -> np.ndarray:
    """Raw codes in comparison form: floats for numbers, normalised text otherwise."""
    if pd.api.types.is_numeric_dtype(col.values.dtype):
        return col.values.to_numpy(dtype="float64", na_value=np.nan)
    return map_uniques(col.values, code_key)


# --------------------------------------------------------------------------- lookups, dates


@implements("lookup")
def lookup(ctx: DeriveContext, args: Mapping[str, Any], target: str) -> Col:
    """Look a value up in ``codebooks/lookups/<table>``: row where ``key`` equals the input.

    ``match: text`` compares normalised text (NFC, trimmed, case-insensitive);
    otherwise numbers are compared as numbers. With ``label_column`` or
    ``label_format`` (``"{name_en} ({name_uk})"``), the source's value labels are
    checked against the table. Input values absent from the table stop the run.
    """
    src = ctx.col(args["input"])
    table = ctx.lookup_table(str(args["table"]))
    key, value = str(args["key"]), str(args["value"])
    for column in (key, value, args.get("label_column")):
        if column is not None and column not in table.columns:
            ctx.problems.add(
                f"{ctx.where(target)}: lookup table {args['table']} has no column {column!r}"
            )
            return Col(pd.Series([None] * ctx.n), first_reason(src), "derive:lookup")
    as_text = args.get("match") == "text" or not pd.api.types.is_numeric_dtype(src.values.dtype)
    keys = table[key].map(normalise_text) if as_text else pd.to_numeric(table[key], errors="coerce")
    if keys.duplicated().any():
        ctx.problems.add(f"lookup table {args['table']}: column {key!r} has duplicate keys")
    mapping = pd.Series(table[value].to_numpy(), index=keys.to_numpy())
    reason = first_reason(src)
    ok = reason == VALID
    uniques, inverse, originals = _unique_inverse(src.values, as_text)
    found = pd.Series(uniques).map(mapping)
    cat_codes, cats = pd.factorize(found, use_na_sentinel=True)
    row_codes = np.append(cat_codes, -1)[inverse]
    row_codes[~ok] = -1
    miss = ok & (row_codes < 0)
    out = pd.Series(pd.Categorical.from_codes(row_codes, categories=pd.Index(cats, dtype=object)))
    if miss.any():
        n_u = np.bincount(inverse[miss], minlength=len(originals))
        bad_i = sorted(np.flatnonzero(n_u), key=lambda i: code_text(originals[i]))
        bad = shown_text_values([originals[i] for i in bad_i], [int(n_u[i]) for i in bad_i],
                                DEFAULT_THRESHOLD)
        labels = _labels_for(src, bad)
        ref = str(args["input"])
        if ref.startswith("$"):
            # a common variable broke the lookup: blame the place that makes it
            ctx.problems.add(
                f"{ctx.where(ref[1:])}: {ref[1:]} has values {labels} that lookup "
                f"{args['table']} (column {key}) does not know; fix {ref[1:]} there "
                f"(the lookup needs {key} values) or add rows to the lookup table",
                variable=ref[1:],
            )
        else:
            ctx.problems.add(
                f"{src.file or src.origin}: {src.origin} values {labels} are not in lookup "
                f"{args['table']} (column {key}); add them to the lookup table or map them "
                f"in {ctx.where(target)}",
                variable=src.origin,
            )
    if src.meta is not None and ("label_column" in args or "label_format" in args):
        _check_lookup_labels(ctx, src, table, key, args, target)
    return Col(values=out, reason=reason, origin="derive:lookup")


def _unique_inverse(values: pd.Series, as_text: bool) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
    """Unique keys (comparison form, NA last), row → unique, and the delivered uniques."""
    if as_text:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        orig = np.append(np.asarray(uniques, dtype=object), [None])
        norm = np.asarray([normalise_text(u) for u in uniques], dtype=object)
        return np.append(norm, [None]), np.where(codes < 0, len(norm), codes), orig
    codes, uniques = pd.factorize(pd.to_numeric(values, errors="coerce"), use_na_sentinel=True)
    arr = np.append(np.asarray(uniques, dtype="float64"), np.nan)
    return arr, np.where(codes < 0, len(arr) - 1, codes), arr.astype(object)




def _labels_for(src: Col, values: list[str]) -> list[str]:
    if src.meta is None or not src.meta.value_labels:
        return values
    out = []
    for v in values:
        try:
            label = src.meta.value_labels.get(float(v)) or src.meta.value_labels.get(int(float(v)))
        except ValueError:
            label = None
        out.append(f"{v} ({label!r})" if label else v)
    return out


def _check_lookup_labels(
    ctx: DeriveContext, src: Col, table: pd.DataFrame, key: str, args: Mapping[str, Any],
    target: str,
) -> None:
    assert src.meta is not None
    by_key = {float(k): row for k, row in zip(
        pd.to_numeric(table[key], errors="coerce"), table.to_dict("records"), strict=True)}
    for code, label in src.meta.value_labels.items():
        try:
            row = by_key.get(float(code))
        except (TypeError, ValueError):
            continue
        if row is None:
            continue
        if "label_format" in args:
            expected = fill_template(str(args["label_format"]), {str(k): v for k, v in row.items()})
        else:
            expected = str(row[str(args["label_column"])])
        msg = compare_label(code, str(label), expected)
        if msg:
            ctx.problems.add(
                f"{src.file or ''}: {src.origin} code {code}: {msg}; the lookup "
                f"{args['table']} expects {expected!r} — fix the lookup or the codebook "
                f"{ctx.where(target)}",
                variable=src.origin,
                value=code,
            )


@implements("date_parse")
def date_parse(ctx: DeriveContext, args: Mapping[str, Any], target: str) -> Col:
    """A date from text (``format`` as for ``strptime``) or from a date/datetime column."""
    src = ctx.col(args["input"])
    reason = first_reason(src)
    vals = src.values
    if pd.api.types.is_datetime64_any_dtype(vals.dtype):
        dates = pd.to_datetime(vals)
    elif "format" in args and not pd.api.types.is_numeric_dtype(vals.dtype):
        dates = pd.to_datetime(vals.astype(object).where(reason == VALID, None),
                               format=str(args["format"]), errors="coerce")
    else:
        dates = pd.to_datetime(vals.astype(object).where(reason == VALID, None), errors="coerce")
    bad = (reason == VALID) & dates.isna().to_numpy()
    if bad.any():
        ctx.problems.add(
            f"{src.file or ''}: {src.origin}: "
            f"{count_text(int(bad.sum()))} values are not dates in format "
            f"{args.get('format', 'ISO')!r}; fix the format in {ctx.where(target)}",
            variable=src.origin,
        )
    out = pd.Series(dates).dt.normalize().astype("datetime64[s]").mask(reason != VALID)
    return Col(values=out.reset_index(drop=True), reason=reason, origin="derive:date_parse")


@implements("date_from_parts")
def date_from_parts(ctx: DeriveContext, args: Mapping[str, Any], target: str) -> Col:
    """A date from year and month columns; the day is the first of the month unless given."""
    yc, mc = ctx.col(args["year"]), ctx.col(args["month"])
    used = [yc, mc]
    day = np.ones(ctx.n)
    if "day" in args:
        dc = ctx.col(args["day"])
        used.append(dc)
        day = numeric(dc)
    reason = first_reason(*used)
    y, m = numeric(yc), numeric(mc)
    bad = (reason == VALID) & ~((m >= 1) & (m <= 12) & (day >= 1) & (day <= 31))
    reason[bad] = REASON_CODE["implausible"]
    ok = reason == VALID
    months = (np.where(ok, y, 2000).astype(np.int64) - 1970) * 12 + np.where(ok, m, 1) - 1
    first = months.astype("datetime64[M]").astype("datetime64[D]")
    dates = first + (np.where(ok, day, 1).astype(np.int64) - 1).astype("timedelta64[D]")
    # day beyond the month's end (31 April) rolls over: implausible
    invalid = ok & (dates.astype("datetime64[M]") != first.astype("datetime64[M]"))
    reason[invalid] = REASON_CODE["implausible"]
    out = dates.astype("datetime64[s]")
    out[reason != VALID] = np.datetime64("NaT")
    return Col(values=pd.Series(out), reason=reason, origin="derive:date_from_parts")


# --------------------------------------------------------------------------- rosters


@implements("roster_value")
def roster_value(ctx: DeriveContext, args: Mapping[str, Any], target: str) -> Col:
    """The roster's ``value`` on the line whose ``line_column`` equals the base row's ``line``.

    Households whose line is absent from the roster are missing with the
    roster join's ``unmatched`` reason (or stop the run if that is ``error``).
    """
    view = ctx.roster(str(args["roster"]))
    line = ctx.col(args["line"])
    col_name, value = str(args["line_column"]), str(args["value"])
    parent = view.parent
    own = numeric(line)
    roster_line = pd.to_numeric(view.frame[col_name], errors="coerce").to_numpy(dtype="float64")
    has_parent = parent >= 0
    is_line = np.zeros(len(parent), dtype=bool)
    is_line[has_parent] = roster_line[has_parent] == own[parent[has_parent]]
    rows = np.flatnonzero(is_line)
    pos = np.full(ctx.n, -1, dtype=np.int64)
    targets = parent[rows]
    n_twice = int((np.bincount(targets, minlength=ctx.n) > 1).sum()) if len(targets) else 0
    if n_twice:
        ctx.problems.add(
            f"{view.alias}: {n_twice} households list the "
            f"respondent's line ({col_name}) more than once; fix the roster file"
        )
    pos[targets] = rows
    src = view.frame[value]
    vals = pd.Series(pd.api.extensions.take(src.array, pos, allow_fill=True))
    reason = first_reason(line).copy()
    unmatched = (reason == VALID) & (pos < 0)
    rule = getattr(view, "unmatched", "error")
    if unmatched.any():
        if rule == "error":
            ctx.problems.add(
                f"{view.alias}: {count_text(int(unmatched.sum()))} respondents have no roster line "
                f"{col_name} = {args['line']}; fix the files or set join.unmatched in "
                f"{ctx.where(target)}"
            )
        else:
            reason[unmatched] = REASON_CODE[rule]
    meta = getattr(view, "variables", {}).get(value)
    return Col(values=vals, reason=reason, origin=f"{view.alias}.{value}", meta=meta,
               file=getattr(view, "file", None))


@implements("count_roster")
def count_roster(ctx: DeriveContext, args: Mapping[str, Any], target: str) -> Col:
    """Number of roster members with ``min <= column <= max``, optionally not counting one line.

    Members whose ``column`` is missing or non-numeric are not counted.
    """
    view = ctx.roster(str(args["roster"]))
    parent = view.parent
    vals = pd.to_numeric(view.frame[str(args["column"])], errors="coerce").to_numpy(dtype="float64")
    keep = parent >= 0
    if "min" in args:
        keep &= vals >= float(args["min"])
    if "max" in args:
        keep &= vals <= float(args["max"])
    reason = np.zeros(ctx.n, dtype=np.int8)
    if "exclude_line" in args:
        line = ctx.col(args["exclude_line"])
        own = numeric(line)
        lines = pd.to_numeric(view.frame[str(args["exclude_line_column"])],
                              errors="coerce").to_numpy(dtype="float64")
        same = np.zeros(len(parent), dtype=bool)
        same[parent >= 0] = lines[parent >= 0] == own[parent[parent >= 0]]
        keep &= ~same
        reason = first_reason(line)
    counts = np.bincount(parent[keep], minlength=ctx.n).astype(np.int64)
    out = pd.array(counts, dtype="Int64")
    out[reason != VALID] = pd.NA
    return Col(values=pd.Series(out), reason=reason, origin="derive:count_roster")
