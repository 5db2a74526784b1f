"""Apply a crosswalk: read → join → map → derive → validate against the schema.

:func:`harmonise` returns the harmonised table (common schema, one row per
respondent and wave) and an audit of counts. Every problem — unmapped codes,
label mismatches, absent variables, unmatched joins, duplicate respondents —
is collected first and raised together as one :class:`HarmoniseError`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from surveytk import __version__
from surveytk.codebook.book import Codebook
from surveytk.codebook.derivation_signatures import is_reference
from surveytk.codebook.loader import load_codebook
from surveytk.codebook.model import MISSING_REASONS, SchemaVariable, VariableSpec
from surveytk.disclosure import DEFAULT_THRESHOLD, count_text
from surveytk.errors import CodebookError, HarmoniseError, ProblemList
from surveytk.harmonise.audit import ValueCounts, build_audit
from surveytk.harmonise.coerce import Implausible, coerce
from surveytk.harmonise.column import (
    REASON_CODE,
    VALID,
    Col,
    code_key,
    code_text,
    constant_col,
    map_uniques,
    normalise_text,
    plain_value,
    raise_problems,
)
from surveytk.harmonise.derivations import REGISTRY
from surveytk.harmonise.frames import Delivery, Roster, assemble, read_delivery, take
from surveytk.harmonise.label_check import compare_label
from surveytk.io.delivered_frame import LabelledFrame


@dataclass(frozen=True)
class HarmoniseResult:
    """A harmonised source table with its audit and provenance.

    ``warnings`` are one-line messages for the console: per variable, how many values
    were set missing as ``implausible`` (out of the schema range) and why; counts below
    the disclosure threshold are shown as "fewer than N".
    """

    table: pd.DataFrame
    audit: dict[str, Any]
    provenance: dict[str, Any]
    warnings: tuple[str, ...] = ()


@lru_cache(maxsize=16)
def _read_lookup(path: str, mtime: float) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def read_lookup(name: str, book: Codebook) -> pd.DataFrame:
    """Lookup table ``name`` from the book's search path (all columns as text)."""
    p = book.lookup_path(name)
    if p is None:
        raise CodebookError(f"lookup table {name!r} not found in "
                            f"{[str(d) for d in book.lookup_dirs]}; put it in a lookups/ "
                            "folder of a codebook folder")
    return _read_lookup(str(p), p.stat().st_mtime)




class Context:
    """Resolves references for derivations and holds the harmonised columns."""

    def __init__(self, dl: Delivery, problems: ProblemList, *,
                 release_inputs: bool = False, strict: bool = False) -> None:
        self.dl = dl
        #: out-of-range values are errors (``--strict``) instead of ``implausible``
        self.strict = strict
        self.implausible: dict[str, Implausible] = {}
        self.book = dl.book
        self.n = dl.n
        self.problems = problems
        self.aliases = tuple(self.book.crosswalk.files)
        self.done: dict[str, Col] = {}
        self._cache: dict[tuple[str, bool], Col] = {}
        #: how many variables still need each source column; a column leaves the
        #: cache after its last use, so that peak memory stays near the output's size
        self.uses: Counter[str] = Counter()
        for name in self.book.schema.variables:
            self.uses.update(variable_refs(self.book, name))
        self.release_inputs = release_inputs
        if release_inputs:
            self._drop_unused_columns()

    def _drop_unused_columns(self) -> None:
        """Free input columns no variable still needs (only for frames we read ourselves)."""
        for alias, lf in self.dl.frames.items():
            if alias in self.dl.rosters:
                continue
            for column in list(lf.data.columns):
                if self.uses[f"{alias}.{column}"] <= 0:
                    del lf.data[column]
        self.current: VariableSpec | None = None

    def where(self, target: str) -> str:
        if target in self.book.crosswalk.variables:
            return self.book.where("variables", target)
        return f"codebooks/schema.yaml (variable {target})"

    def lookup_table(self, name: str) -> pd.DataFrame:
        return read_lookup(name, self.book)

    def roster(self, alias: str) -> Roster:
        return self.dl.rosters[alias]

    def release(self, name: str) -> None:
        """Forget cached source columns that no variable after ``name`` uses."""
        for ref in variable_refs(self.book, name):
            self.uses[ref] -= 1
            if self.uses[ref] <= 0:
                self._cache.pop((ref, True), None)
                self._cache.pop((ref, False), None)
                alias, _, column = ref.partition(".")
                lf = self.dl.frames.get(alias)
                if (self.release_inputs and lf is not None and alias not in self.dl.rosters
                        and column in lf.data.columns):
                    del lf.data[column]

    def col(self, ref: str) -> Col:
        if ref.startswith("$"):
            return self.done[ref[1:]]
        use_missing = self.current.use_source_missing if self.current is not None else True
        key = (ref, use_missing)
        if key not in self._cache:
            self._cache[key] = self._source_col(ref, use_missing)
        return self._cache[key]

    def _source_col(self, ref: str, use_missing: bool) -> Col:
        alias, _, name = ref.partition(".")
        lf = self.dl.frames[alias]
        if name not in lf.data.columns:
            self.problems.add(
                f"{lf.file.path}: variable {name!r} not found in the file; fix `{ref}` in "
                f"{self.book.path.name} or the delivery",
                file=lf.file.path, variable=name,
            )
            empty = pd.Series([None] * self.n, dtype=object)
            return Col(empty, np.full(self.n, REASON_CODE["not_asked"], np.int8), ref)
        pos = self.dl.positions.get(alias)
        values = take(lf.data[name], pos)
        reason = np.zeros(self.n, dtype=np.int8)
        if pos is not None:
            reason[pos < 0] = REASON_CODE[self.dl.unmatched_reason[alias]]
        meta = lf.variables.get(name)
        if use_missing:
            self._apply_missing_codes(values, reason, lf, name)
        return Col(values=values, reason=reason, origin=ref, meta=meta, file=lf.file.path)

    def _apply_missing_codes(self, values: pd.Series, reason: np.ndarray, lf: LabelledFrame,
                             name: str) -> None:
        codes = dict(self.book.crosswalk.missing_codes)
        meta = lf.variables.get(name)
        if meta is not None:
            for code in meta.missing_values:
                if not any(code_key(code) == code_key(k) for k in codes):
                    label = meta.value_labels.get(code)
                    self.problems.add(
                        f"{lf.file.path}: {name} declares user-missing code {code}"
                        f"{f' ({label!r})' if label else ''} that has no reason; add it to "
                        f"missing_codes in {self.book.path.name}",
                        file=lf.file.path, variable=name, value=code,
                    )
        set_missing(values, reason, codes)


def set_missing(values: pd.Series, reason: np.ndarray, codes: Mapping[Any, str]) -> None:
    """Set ``reason`` (in place) where a still-valid value is one of ``codes``."""
    if not codes:
        return
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        numeric_codes = {float(c): w for c, w in codes.items() if isinstance(c, int | float)}
        if not numeric_codes:
            return
        rows = np.flatnonzero(np.isin(arr, list(numeric_codes)) & (reason == VALID))
        if len(rows):
            sub = arr[rows]
            for code, why in numeric_codes.items():
                reason[rows[sub == code]] = REASON_CODE[why]
        return
    text = {code_key(k): v for k, v in codes.items()}
    keys = map_uniques(values, code_key)
    for key, why in text.items():
        hit = (keys == key) & (reason == VALID)
        reason[hit] = REASON_CODE[why]


# ------------------------------------------------------------------------------ finishing


def finish(ctx: Context, name: str, spec: VariableSpec | None, var: SchemaVariable, col: Col,
           counts: dict[str, ValueCounts]) -> Col:
    """Apply the variable's own missing codes and value map, then coerce to the schema type."""
    reason = col.reason.copy()
    values = col.values
    system = (spec.system_missing if spec and spec.system_missing else
              ctx.book.crosswalk.system_missing)
    if spec is not None and spec.missing:
        set_missing(values, reason, dict(spec.missing))
    if spec is not None and spec.map is not None:
        values, reason, has_value = apply_map(ctx, name, spec, col, reason, counts)
        na = ~has_value & (reason == VALID)
    else:
        na = values.isna().to_numpy() & (reason == VALID)
    reason[na] = REASON_CODE[system]
    typed = coerce(ctx, name, spec, var, values, reason, col)
    return Col(values=typed, reason=reason, origin=col.origin, meta=col.meta, file=col.file)


def _shown_value(code: object, label: str | None, n_rows: int, numeric: bool) -> str:
    """How a source value appears in a message: codes and labelled values as they are;
    a text value only if at least the disclosure threshold of rows hold it (free text
    typed by a few respondents can identify them)."""
    if numeric or label or n_rows >= DEFAULT_THRESHOLD:
        return f"value {code_text(code)!s}" + (f" ({label!r})" if label else "")
    return (f"text value held by fewer than {DEFAULT_THRESHOLD} rows (not shown: it may "
            "identify a respondent; look it up in the file)")


def apply_map(ctx: Context, name: str, spec: VariableSpec, col: Col, reason: np.ndarray,
              counts: dict[str, ValueCounts]) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Send every source code to a common value or a reason; collect unmapped codes.

    Returns the values, the reasons and which rows received a common value.
    """
    assert spec.map is not None
    numeric = pd.api.types.is_numeric_dtype(col.values.dtype) and not (
        pd.api.types.is_bool_dtype(col.values))
    if numeric:
        codes, uniques = factorize_numbers(col.values.to_numpy(dtype="float64", na_value=np.nan))
    else:
        codes, found = pd.factorize(col.values, use_na_sentinel=True)
        norm = np.asarray([normalise_text(u) for u in found], dtype=object)
        codes, uniques = _merge_equal(codes, norm)
    entries = {code_key(k): (k, e) for k, e in spec.map.items()}
    n_u = len(uniques)
    target_value = np.full(n_u + 1, None, dtype=object)
    target_reason = np.full(n_u + 1, -1, dtype=np.int16)  # -1: not in the map
    for i, u in enumerate(uniques):
        hit = entries.get(code_key(u))
        if hit is None:
            continue
        entry = hit[1]
        if entry.missing is not None:
            target_reason[i] = REASON_CODE[entry.missing]
        else:
            target_reason[i] = VALID
            target_value[i] = entry.to
    inv = np.where(codes < 0, n_u, codes)
    t_reason = target_reason[inv]
    mapped = t_reason >= 0
    out_reason = np.where(mapped, t_reason, reason).astype(np.int8)
    has_value = mapped & (out_reason == VALID)
    out = _mapped_values(target_value, target_reason, inv, has_value)
    unmapped = (~mapped) & (reason == VALID) & (codes >= 0)
    if unmapped.any():
        bad = np.unique(codes[unmapped])
        n_bad = np.bincount(codes[unmapped], minlength=n_u)
        for b in bad:
            code = col.values[np.flatnonzero(codes == b)[0]]
            label = _label_of(col, code)
            shown = _shown_value(code, label, int(n_bad[b]), numeric)
            ctx.problems.add(
                f"{col.file or col.origin}: {col.origin} {shown}"
                f" in {count_text(int(n_bad[b]))} rows is not in the map "
                f"of {name}; add it to {ctx.book.where('variables', name, 'map')}",
                file=col.file, variable=col.origin,
                value=code_text(code) if shown.startswith("value ") else None,
            )
    if spec.check_labels and col.meta is not None and col.meta.value_labels:
        _check_map_labels(ctx, name, spec, col, set(uniques.tolist()) if numeric else set())
    counts[name] = ValueCounts.from_codes(col, codes, uniques,
                                          lambda row: target_value[inv[row]], out_reason)
    return out, out_reason, has_value


def _mapped_values(target_value: np.ndarray, target_reason: np.ndarray, inv: np.ndarray,
                   has_value: np.ndarray) -> pd.Series:
    """Row values from per-code targets: categorical for text, boolean for true/false."""
    given = [v for v, r in zip(target_value, target_reason, strict=True) if r == VALID]
    if given and all(isinstance(v, str) for v in given):
        categories = list(dict.fromkeys(given))
        cat = np.asarray([categories.index(v) if isinstance(v, str) else -1
                          for v in target_value], dtype=np.int64)
        codes = np.where(has_value, cat[inv], -1)
        return pd.Series(pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories)))
    if given and all(isinstance(v, bool) for v in given):
        truth = np.asarray([v is True for v in target_value])[inv]
        return pd.Series(pd.arrays.BooleanArray(truth & has_value, ~has_value))
    out = target_value[inv]
    out[~has_value] = None
    return pd.Series(out, dtype=object)


def factorize_numbers(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` for float codes (−1 = NaN); no hashing for small integer codes."""
    finite = ~np.isnan(arr)
    if finite.any():
        lo, hi = float(np.min(arr, where=finite, initial=np.inf)), float(
            np.max(arr, where=finite, initial=-np.inf))
        if hi - lo < 100_000:
            offset = np.where(finite, arr - lo, 0)
            idx = offset.astype(np.int64)
            if (idx == offset).all():
                present = np.flatnonzero(np.bincount(idx[finite], minlength=int(hi - lo) + 1))
                table = np.full(int(hi - lo) + 1, -1, dtype=np.int64)
                table[present] = np.arange(len(present))
                codes = np.where(finite, table[idx], -1)
                return codes, present.astype("float64") + lo
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype="float64")


def _merge_equal(codes: np.ndarray, norm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge factor levels whose normalised text is equal ("Yes" and "yes ")."""
    merged, uniques = pd.factorize(norm)
    table = np.append(merged, -1)
    return table[np.where(codes < 0, len(norm), codes)], np.asarray(uniques, dtype=object)


def _label_of(col: Col, code: object) -> str | None:
    if col.meta is None:
        return None
    labels = col.meta.value_labels
    for k in (code, code_key(code)):
        try:
            if k in labels:
                return str(labels[k])  # type: ignore[index]
        except TypeError:
            continue
    if isinstance(code, float) and code.is_integer() and int(code) in labels:
        return str(labels[int(code)])
    return None


def _check_map_labels(ctx: Context, name: str, spec: VariableSpec, col: Col,
                      present: set[Any]) -> None:
    assert spec.map is not None and col.meta is not None
    labels = {code_key(k): (k, v) for k, v in col.meta.value_labels.items()}
    for code, entry in spec.map.items():
        if entry.label is None:
            continue
        found = labels.get(code_key(code))
        if found is None:
            continue
        delivered = str(found[1])
        if entry.label_as_delivered is not None and (
            normalise_text(entry.label_as_delivered) == normalise_text(delivered)
        ):
            continue
        msg = compare_label(code, delivered, entry.label)
        if msg:
            ctx.problems.add(
                f"{col.file}: {col.origin} code {code_text(code)}: {msg}; check the delivery, "
                f"then fix {ctx.book.where('variables', name, 'map', code)} (or acknowledge it "
                "with label_as_delivered)",
                file=col.file, variable=col.origin, value=code_text(code),
            )


def produce(ctx: Context, name: str, spec: VariableSpec | None, var: SchemaVariable) -> Col:
    """The raw column of a variable, before its map and type."""
    if spec is None:
        assert var.derive is not None
        d = REGISTRY[var.derive.function]
        return d.func(ctx, var.derive.args, name)
    if spec.from_ is not None:
        return ctx.col(spec.from_)
    if spec.derive is not None:
        d = REGISTRY[spec.derive.function]
        return d.func(ctx, spec.derive.args, name)
    if spec.missing_reason is not None:
        return Col(values=pd.Series([None] * ctx.n, dtype=object),
                   reason=np.full(ctx.n, REASON_CODE[spec.missing_reason], np.int8),
                   origin=f"missing_reason:{spec.missing_reason}")
    return constant_col(ctx.n, spec.constant)


# ------------------------------------------------------------------------------ output


def to_frame(book: Codebook, cols: dict[str, Col]) -> pd.DataFrame:
    """The harmonised table: schema variables in order, then the ``<var>_missing`` columns.

    Consumes ``cols`` (each column is dropped once converted) to bound peak memory.
    """
    schema = book.schema
    data: dict[str, Any] = {}
    reasons = pd.CategoricalDtype(list(MISSING_REASONS))
    missing: dict[str, pd.Series] = {}
    for name, var in schema.variables.items():
        col = cols.pop(name)
        data[name] = typed_series(var, col.values)
        if name in schema.missing_columns:
            codes = col.reason.astype(np.int64) - 1
            missing[f"{name}_missing"] = pd.Series(pd.Categorical.from_codes(codes, dtype=reasons))
        del col
    data.update(missing)
    return pd.DataFrame(data, copy=False)


def typed_series(var: SchemaVariable, values: pd.Series) -> pd.Series:
    """A column in the pandas dtype of its schema type."""
    if var.type in ("category", "ordered"):
        dtype = pd.CategoricalDtype(list(var.level_values), ordered=var.type == "ordered")
        if values.dtype == dtype:
            return values
        return pd.Series(pd.Categorical(values.astype(object), dtype=dtype))
    if var.type == "boolean":
        return values.astype("boolean")
    if var.type == "integer":
        return values.astype("Float64").astype(pd.api.types.pandas_dtype(var.dtype or "Int32"))
    if var.type == "float":
        return values.astype("float64")
    if var.type == "date":
        return values.astype("datetime64[s]")
    return values.astype("string")


def harmonise_frames(book: Codebook, frames: dict[str, LabelledFrame], *,
                     release_inputs: bool = False, strict: bool = False) -> HarmoniseResult:
    """Harmonise already-read files (``alias`` → LabelledFrame) with a loaded codebook.

    With ``strict``, values outside a variable's schema range are problems instead
    of missing values with reason ``implausible``.

    Raises
    ------
    HarmoniseError
        Listing every problem found (unmapped codes, label mismatches, absent
        variables, unmatched joins, duplicate respondents, type errors).
    """
    problems = ProblemList()
    result = run_checked(book, frames, problems, release_inputs=release_inputs, strict=strict)
    raise_problems(problems, HarmoniseError, f"cannot harmonise with {book.path.name}")
    assert result is not None
    return result


def run_checked(book: Codebook, frames: dict[str, LabelledFrame], problems: ProblemList,
                *, release_inputs: bool = False, strict: bool = False) -> HarmoniseResult | None:
    """Harmonise, adding every problem to ``problems``; ``None`` if there were any.

    With ``release_inputs`` the ``frames`` dict is emptied once it is no longer
    needed, so that the input data can be freed before the table is built.
    """
    dl = assemble(book, frames, problems)
    ctx = Context(dl, problems, release_inputs=release_inputs, strict=strict)
    counts: dict[str, ValueCounts] = {}
    cw, schema = book.crosswalk, book.schema
    for name, var in schema.variables.items():
        if name == "source":
            col = constant_col(dl.n, cw.source)
        else:
            spec = cw.variables.get(name)
            ctx.current = spec
            col = finish(ctx, name, spec, var, produce(ctx, name, spec, var), counts)
            ctx.current = None
            if spec is not None and spec.derive is not None and name not in counts and (
                    spec.derive.function in CODE_COUNTED):
                counts[name] = derived_counts(ctx, name, col)
            ctx.release(name)
        ctx.done[name] = col
        missing_rows = col.reason != VALID
        if dl.reported_rows is not None:
            missing_rows &= ~dl.reported_rows  # already reported as unmatched
        if not var.nullable and missing_rows.any():
            n_missing = int(missing_rows.sum())
            problems.add(f"{name} may not be missing but is missing in "
                         f"{count_text(n_missing)} rows; "
                         f"fix {book.where('variables', name)}", variable=name)
    ids = ctx.done["respondent_id"].values
    dup = ids.duplicated(keep=False).to_numpy() & ids.notna().to_numpy()
    if dup.any():
        problems.add(
            f"{frames[cw.base].file.path}: {count_text(int(dup.sum()))}"
            f" rows share a respondent_id with "
            f"another row ({count_text(int(ids[dup].nunique()))} ids); the base file "
            f"{cw.files[cw.base].path} must have one row per respondent and wave",
            variable="respondent_id",
        )
    if problems:
        return None
    provenance = make_provenance(book, frames)
    checks = {name: {"implausible": {"n": item.n, "why": item.why}}
              for name, item in ctx.implausible.items()}
    audit = build_audit(book, dl, ctx.done, counts, provenance, checks=checks)
    ctx._cache.clear()
    if release_inputs:
        frames.clear()
        dl.rosters.clear()
    table = to_frame(book, ctx.done)
    warnings = tuple(item.warning() for item in ctx.implausible.values())
    return HarmoniseResult(table=table, audit=audit, provenance=provenance, warnings=warnings)


#: derivations whose audit lists every (combination of) source code(s) and where it went
CODE_COUNTED = ("combine", "lookup", "band_midpoint")


def derived_counts(ctx: Context, name: str, col: Col) -> ValueCounts:
    """Counts of each combination of source codes of a derived variable and its result."""
    inputs = [ctx.col(ref) for ref in dict.fromkeys(variable_refs(ctx.book, name))]
    key = np.zeros(ctx.n, dtype=np.int64)
    decoders: list[np.ndarray] = []
    for c in inputs:
        if pd.api.types.is_numeric_dtype(c.values.dtype) and not pd.api.types.is_bool_dtype(
                c.values.dtype):
            codes, uniques = factorize_numbers(c.values.to_numpy(dtype="float64",
                                                                 na_value=np.nan))
        else:
            codes, found = pd.factorize(c.values, use_na_sentinel=True)
            uniques = np.asarray(found, dtype=object)
        decoders.append(np.append(np.asarray(uniques, dtype=object), [None]))
        key = key * (len(uniques) + 1) + np.where(codes < 0, len(uniques), codes)
    out_codes, out_uniques = pd.factorize(col.values, use_na_sentinel=True)
    n_out = len(out_uniques)
    out = np.where(col.reason != VALID, n_out + col.reason.astype(np.int64), out_codes)
    out = np.where(out < 0, n_out + len(MISSING_REASONS) + 1, out)
    key = key * (n_out + len(MISSING_REASONS) + 2) + out
    combo, _ = pd.factorize(key)
    n = np.bincount(combo)
    first = np.full(len(n), -1, dtype=np.int64)
    first[combo[::-1]] = np.arange(len(combo) - 1, -1, -1)
    rows: list[dict[str, Any]] = []
    for i, row in enumerate(first.tolist()):
        r = int(col.reason[row])
        to = (f"missing:{MISSING_REASONS[r - 1]}" if r != VALID else
              plain_value(col.values.iloc[row]))
        codes_here = [code_text(plain_value(c.values.iloc[row])) if pd.notna(c.values.iloc[row])
                      else None for c in inputs]
        rows.append({"code": codes_here[0] if len(codes_here) == 1 else codes_here,
                     "label": _label_of(inputs[0], inputs[0].values.iloc[row])
                     if len(inputs) == 1 and pd.notna(inputs[0].values.iloc[row]) else None,
                     "to": to, "n": int(n[i])})
    rows.sort(key=lambda r: (str(r["code"]), str(r["to"])))
    return ValueCounts(rows=rows)




def variable_refs(book: Codebook, name: str) -> list[str]:
    """The source columns (``<file>.<column>``) a variable reads, with repeats."""
    spec = book.crosswalk.variables.get(name)
    var = book.schema.variables.get(name)
    derive = spec.derive if spec is not None else (var.derive if var is not None else None)
    refs: list[object] = []
    if spec is not None and spec.from_ is not None:
        refs.append(spec.from_)
    if derive is not None:
        for value in derive.args.values():
            refs.extend(value if isinstance(value, list) else [value])
    aliases = list(book.crosswalk.files)
    return [str(r) for r in refs
            if is_reference(r, aliases=aliases) and not str(r).startswith("$")]


def make_provenance(book: Codebook, frames: dict[str, LabelledFrame]) -> dict[str, Any]:
    """What made a harmonised table: input hashes, codebook version and hash, surveytk version."""
    return {
        "surveytk_version": __version__,
        "schema_version": book.schema.version,
        "source": book.crosswalk.source,
        "codebook": book.name,
        "codebook_version": book.version,
        "codebook_sha256": book.sha256,
        "inputs": {
            alias: {"file": Path(lf.file.path).name, "sha256": lf.file.sha256,
                    "rows": lf.file.n_rows}
            for alias, lf in frames.items()
        },
    }


def harmonise(codebook: str | Path | Codebook, input_dir: str | Path, *,
              strict: bool = False) -> HarmoniseResult:
    """Read a delivery and harmonise it to the common schema.

    Parameters
    ----------
    codebook
        A codebook name (``soep_ukr_2023``), a path to a crosswalk YAML, or a loaded
        :class:`~surveytk.codebook.book.Codebook`.
    input_dir
        Folder holding the delivered files named in the crosswalk (names matched
        case-insensitively).
    strict
        Values outside a variable's schema range (an arrival after the interview) are
        errors; by default they become missing with reason ``implausible``, counted
        in the audit and listed in ``warnings``.

    Returns
    -------
    HarmoniseResult
        ``table`` (common schema), ``audit`` (row and value accounting, counts only)
        and ``provenance``.

    Raises
    ------
    CodebookError
        The crosswalk is invalid.
    ReadError
        A file is missing, truncated or unreadable.
    HarmoniseError
        The delivery does not fit the crosswalk (every problem listed).
    """
    book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    return harmonise_frames(book, read_delivery(book, input_dir), release_inputs=True,
                            strict=strict)
