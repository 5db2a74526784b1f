"""The metadata report of a file, as data: what ``surveytk inspect`` prints.

The report holds metadata and counts only, never row-level data: no example
values, no ids. Counts are of missing values and of valid values that carry no
value label. Columns without value labels get a disclosure-safe summary
(:class:`ColumnSummary`): for numbers, the share missing, the count of distinct
values and the range, where an extreme is shown only if at least ``threshold``
rows hold it (otherwise a bound that at least ``threshold`` rows reach, rounded
outward to 3 significant digits); for text, the share missing and the count of
distinct values, never the text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveytk.disclosure import DEFAULT_THRESHOLD, check_threshold
from surveytk.io.delivered_frame import LabelKey, LabelledFrame, VariableMeta

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

__all__ = ["ColumnSummary", "InspectReport", "VariableReport", "inspect_frame", "render_rich",
           "render_text", "summarise_column"]


@dataclass(frozen=True)
class ColumnSummary:
    """A disclosure-safe summary of an unlabelled column.

    Attributes
    ----------
    kind
        ``"numeric"`` or ``"text"``.
    n_valid
        Values neither system nor declared missing.
    share_missing
        Missing (system or declared) as a share of all rows.
    n_distinct
        Distinct valid values.
    minimum, maximum
        Numbers only, ``None`` with fewer than ``threshold`` valid values. Exact when
        at least ``threshold`` rows hold the extreme; otherwise a bound (see
        ``minimum_is_bound``): at least ``threshold`` rows are at or below ``minimum``
        (at or above ``maximum``).
    """

    kind: str
    n_valid: int
    share_missing: float
    n_distinct: int
    minimum: float | None = None
    maximum: float | None = None
    minimum_is_bound: bool = False
    maximum_is_bound: bool = False

    def text(self) -> str:
        """One line: ``min 18  max ≥84.5  distinct 67  missing 2.0%``."""
        parts = []
        if self.minimum is not None and self.maximum is not None:
            parts += [f"min {'≤' if self.minimum_is_bound else ''}{_fmt_num(self.minimum)}",
                      f"max {'≥' if self.maximum_is_bound else ''}{_fmt_num(self.maximum)}"]
        parts += [f"distinct {self.n_distinct}", f"missing {100 * self.share_missing:.1f}%"]
        return "  ".join(parts)


@dataclass(frozen=True)
class VariableReport:
    """Metadata and missing-value counts of one variable.

    Attributes
    ----------
    n_missing_system
        System missing (empty cells, SPSS sysmis, Stata ``.``).
    n_missing_declared
        Values that are declared missing: SPSS user-missing codes and ranges, or
        Stata extended missing ``.a`` … ``.z``.
    n_unlabelled
        Valid (not missing) values without a value label; ``None`` for variables
        that have no value labels at all.
    """

    name: str
    storage: str
    label: str | None
    measure: str
    format: str | None
    value_labels: dict[LabelKey, str] = field(default_factory=dict)
    missing_values: tuple[LabelKey, ...] = ()
    missing_ranges: tuple[tuple[float, float], ...] = ()
    extended_missing: dict[str, str] = field(default_factory=dict)
    n_missing_system: int = 0
    n_missing_declared: int = 0
    n_unlabelled: int | None = None
    summary: ColumnSummary | None = None

    def declared_missing_text(self) -> str:
        """The missing-value declarations in one short phrase (``-1, 2000–3000``)."""
        parts = [_fmt_code(v) for v in self.missing_values]
        parts += [f"{_fmt_num(lo)}–{_fmt_num(hi)}" for lo, hi in self.missing_ranges]
        parts += list(self.extended_missing)
        return ", ".join(parts)


@dataclass(frozen=True)
class InspectReport:
    """Everything ``surveytk inspect`` shows about one file."""

    path: str
    format: str
    format_version: str | None
    encoding: str | None
    n_rows: int
    n_cols: int
    sha256: str
    file_label: str | None
    notes: tuple[str, ...]
    variables: tuple[VariableReport, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: value labels as ``[{"code", "label"}]``, infinities as strings."""
        out = asdict(self)
        out["notes"] = list(self.notes)
        out["variables"] = [_variable_dict(v) for v in self.variables]
        return out


def inspect_frame(lf: LabelledFrame) -> InspectReport:
    """Build the metadata report of a read file.

    Parameters
    ----------
    lf
        A frame from :func:`surveytk.io.readers.read_file`.

    Returns
    -------
    InspectReport
        File facts and, per variable, its metadata and missing/unlabelled counts.
    """
    variables = _inspect_variables(lf)
    f = lf.file
    return InspectReport(
        path=f.path,
        format=f.format,
        format_version=f.format_version,
        encoding=f.encoding,
        n_rows=f.n_rows,
        n_cols=f.n_cols,
        sha256=f.sha256,
        file_label=f.file_label,
        notes=tuple(f.notes),
        variables=variables,
    )


#: float columns read together, as one (columns × rows) array: a wide file's columns
#: are not taken out of the frame one at a time (pandas' per-column cost dominated)
_FLOAT_CHUNK = 512


def _inspect_variables(lf: LabelledFrame) -> tuple[VariableReport, ...]:
    """:func:`_inspect_variable` of every column, in order."""
    data, names = lf.data, lf.columns
    metas = [lf.meta(name) for name in names]
    out: list[VariableReport | None] = [None] * len(names)
    plain = []
    for i, (dtype, meta) in enumerate(zip(data.dtypes, metas, strict=True)):
        if isinstance(dtype, np.dtype) and dtype.kind == "f" and not meta.has_user_missing:
            plain.append(i)
        else:
            out[i] = _inspect_variable(data.iloc[:, i], meta)
    for start in range(0, len(plain), _FLOAT_CHUNK):
        chunk = plain[start : start + _FLOAT_CHUNK]
        block = np.ascontiguousarray(data.iloc[:, chunk].to_numpy().T)
        for j, i in enumerate(chunk):
            out[i] = _inspect_float(block[j], metas[i])
    return tuple(v for v in out if v is not None)


def _inspect_variable(col: pd.Series, meta: VariableMeta) -> VariableReport:
    if col.dtype.kind == "f" and not meta.has_user_missing:
        # plain numbers (most columns of a wide file): numpy alone, no pandas per column
        return _inspect_float(col.to_numpy(), meta)
    system = col.isna()
    declared = pd.Series(meta.declared_missing_mask(col), index=col.index)
    n_unlabelled: int | None = None
    if meta.value_labels:
        valid = ~(system | declared)
        labelled = col.isin(list(meta.value_labels))
        n_unlabelled = int((valid & ~labelled).sum())
    return VariableReport(
        name=meta.name,
        storage=meta.storage,
        label=meta.label,
        measure=meta.measure,
        format=meta.format,
        value_labels=dict(meta.value_labels),
        missing_values=tuple(meta.missing_values),
        missing_ranges=tuple(meta.missing_ranges),
        extended_missing=dict(meta.extended_missing),
        n_missing_system=int(system.sum()),
        n_missing_declared=int(declared.sum()),
        n_unlabelled=n_unlabelled,
        summary=None if meta.value_labels else summarise_column(col, system | declared),
    )


def _inspect_float(arr: np.ndarray, meta: VariableMeta) -> VariableReport:
    """:func:`_inspect_variable` of a float column without declared user-missing values.

    Such a column has no declared missing rows (extended missing codes live in
    object columns), so every missing row is system missing (NaN).
    """
    system = np.isnan(arr)
    n_unlabelled: int | None = None
    if meta.value_labels:
        codes = [
            float(c) for c in meta.value_labels
            if isinstance(c, int | float | np.integer | np.floating) and not isinstance(c, bool)
        ]
        n_unlabelled = int(np.count_nonzero(~system & ~np.isin(arr, codes)))
    return VariableReport(
        name=meta.name,
        storage=meta.storage,
        label=meta.label,
        measure=meta.measure,
        format=meta.format,
        value_labels=dict(meta.value_labels),
        missing_values=tuple(meta.missing_values),
        missing_ranges=tuple(meta.missing_ranges),
        extended_missing=dict(meta.extended_missing),
        n_missing_system=int(np.count_nonzero(system)),
        n_missing_declared=0,
        n_unlabelled=n_unlabelled,
        summary=None if meta.value_labels else _numeric_summary(arr[~system], system),
    )


def summarise_column(col: pd.Series, missing: pd.Series,
                     threshold: int | None = None) -> ColumnSummary | None:
    """A disclosure-safe summary of a numeric or text column (``None`` for other types).

    Parameters
    ----------
    col
        The column as read.
    missing
        Rows that are missing (system or declared).
    threshold
        Fewest rows an extreme must have to be shown exactly; default
        :data:`surveytk.disclosure.DEFAULT_THRESHOLD`.
    """
    k = check_threshold(threshold if threshold is not None else DEFAULT_THRESHOLD)
    n = len(col)
    share = float(missing.sum()) / n if n else 0.0
    valid = col[~missing.to_numpy(dtype=bool)]
    if pd.api.types.is_bool_dtype(col.dtype) or not (
            pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype)
            or col.dtype == object):
        return None
    if not pd.api.types.is_numeric_dtype(col.dtype):
        return ColumnSummary("text", len(valid), share, int(valid.astype(str).nunique()))
    return _numeric_summary(valid.to_numpy(dtype="float64"), missing.to_numpy(dtype=bool), k)


def _numeric_summary(
    valid: np.ndarray, missing: np.ndarray, k: int | None = None
) -> ColumnSummary:
    """:func:`summarise_column` of a numeric column: its valid values and missing mask."""
    if k is None:
        k = DEFAULT_THRESHOLD
    n = missing.shape[0]
    share = float(np.count_nonzero(missing)) / n if n else 0.0
    values = np.sort(valid)
    distinct = int(np.count_nonzero(values[1:] != values[:-1])) + 1 if values.size else 0
    summary = ColumnSummary("numeric", len(values), share, distinct)
    if len(values) < k:
        return summary
    low, low_bound = _safe_extreme(values, k)
    high, high_bound = _safe_extreme(-values[::-1], k)
    return ColumnSummary("numeric", summary.n_valid, share, summary.n_distinct,
                         low, -high, low_bound, high_bound)


def _safe_extreme(ascending: np.ndarray, k: int) -> tuple[float, bool]:
    """The minimum if at least ``k`` values equal it, else the ``k``-th smallest value
    rounded up to 3 significant digits (a bound that at least ``k`` values reach)."""
    lowest = float(ascending[0])
    if int(np.sum(ascending == lowest)) >= k:
        return lowest, False
    kth = float(ascending[k - 1])
    if kth == 0 or not math.isfinite(kth):
        return kth, True
    step = 10.0 ** (math.floor(math.log10(abs(kth))) - 2)
    return float(math.ceil(kth / step) * step), True


# --------------------------------------------------------------------------- rendering


def render_text(report: InspectReport) -> str:
    """The report as plain text (for pipes and files)."""
    lines = [f"{k}: {v}" for k, v in _file_rows(report)]
    lines.append("")
    header = ("name", "storage", "label", "missing decl.", "sysmis", "user/ext", "unlabelled")
    rows = [header, *(_variable_row(v) for v in report.variables)]
    widths = [min(40, max(len(r[i]) for r in rows)) for i in range(len(header))]
    for r in rows:
        lines.append("  ".join(_clip(c, w).ljust(w) for c, w in zip(r, widths, strict=True)))
    summarised = [v for v in report.variables if v.summary is not None]
    if summarised:
        lines += ["", f"unlabelled columns (an extreme held by fewer than {DEFAULT_THRESHOLD} "
                  "rows shows as a bound: ≤, ≥; text is never shown):"]
        width = max(len(v.name) for v in summarised)
        lines += [f"  {v.name.ljust(width)}  {v.summary.kind:<7}  {v.summary.text()}"
                  for v in summarised if v.summary is not None]
    labelled = [v for v in report.variables if v.value_labels or any(v.extended_missing.values())]
    if labelled:
        lines += ["", "value labels:"]
        for v in labelled:
            lines.append(f"  {v.name}")
            lines += [f"    {_fmt_code(k)} = {lab}" for k, lab in v.value_labels.items()]
            lines += [f"    {k} = {lab}" for k, lab in v.extended_missing.items() if lab]
    return "\n".join(lines).rstrip() + "\n"


def render_rich(report: InspectReport, console: Console) -> None:
    """Print the report to a rich console as a file panel and a variable table."""
    from rich.table import Table

    facts = Table(show_header=False, box=None)
    for key, text in _file_rows(report):
        facts.add_row(f"[bold]{key}[/bold]", text)
    console.print(facts)
    table = Table(title=f"{report.n_cols} variables", show_lines=False)
    for head in (
        "name",
        "storage",
        "label",
        "value labels",
        "missing decl.",
        "sysmis",
        "user/ext",
        "unlabelled",
        "summary",
    ):
        table.add_column(head, overflow="fold")
    for v in report.variables:
        name, storage, label, decl, sysmis, user, unl = _variable_row(v)
        table.add_row(name, storage, label, _labels_short(v.value_labels), decl, sysmis, user, unl,
                      v.summary.text() if v.summary is not None else "")
    console.print(table)


def _file_rows(report: InspectReport) -> list[tuple[str, str]]:
    version = f" {report.format_version}" if report.format_version else ""
    rows = [
        ("file", report.path),
        ("format", f"{report.format}{version}"),
        ("encoding", report.encoding or "(not declared)"),
        ("rows", str(report.n_rows)),
        ("columns", str(report.n_cols)),
        ("sha256", report.sha256),
    ]
    if report.file_label:
        rows.append(("file label", report.file_label))
    rows += [("note", n) for n in report.notes]
    return rows


def _variable_row(v: VariableReport) -> tuple[str, ...]:
    return (
        v.name,
        v.storage,
        v.label or "",
        v.declared_missing_text(),
        str(v.n_missing_system),
        str(v.n_missing_declared),
        "" if v.n_unlabelled is None else str(v.n_unlabelled),
    )


def _labels_short(labels: Mapping[LabelKey, str], limit: int = 6) -> str:
    items = [f"{_fmt_code(k)}={lab}" for k, lab in list(labels.items())[:limit]]
    more = len(labels) - limit
    return "; ".join(items) + (f"; … ({more} more)" if more > 0 else "")


def _variable_dict(v: VariableReport) -> dict[str, Any]:
    d = asdict(v)
    d["value_labels"] = [{"code": _json_code(k), "label": lab} for k, lab in v.value_labels.items()]
    d["missing_values"] = [_json_code(k) for k in v.missing_values]
    d["missing_ranges"] = [[_json_num(lo), _json_num(hi)] for lo, hi in v.missing_ranges]
    if v.summary is not None:
        for key in ("minimum", "maximum"):
            value = d["summary"][key]
            d["summary"][key] = _json_num(value) if value is not None else None
    return d


def _json_code(value: LabelKey) -> LabelKey:
    return _json_num(value) if isinstance(value, float) else value


def _json_num(value: float) -> float | str:
    """JSON has no infinities: write them as the strings ``"-inf"``/``"inf"``."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _fmt_code(value: LabelKey) -> str:
    return repr(value) if isinstance(value, str) else _fmt_num(value)


def _fmt_num(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
