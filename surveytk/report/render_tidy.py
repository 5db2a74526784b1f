"""CSV and Parquet renderers: the table as tidy numbers, one value per cell, unformatted.

One row per column × term (estimates and thresholds) with the estimate, its
standard error, statistic, p-value and interval as numbers — after ``--exp``
and ``--scale``, so the numbers are those the formatted table shows — and one
row per column × fit statistic (``effect = "fit"``, value in ``estimate``).
Labels sit in their own columns beside the raw names; the formatted view is the
Markdown, HTML, LaTeX, DOCX or XLSX output. Parquet also stores the title and
the notes in its key-value metadata.
"""

from __future__ import annotations

import io
import json

import pandas as pd

from surveytk.report.table_model import TableModel

TIDY_TABLE_COLUMNS: tuple[str, ...] = (
    "column",
    "model_label",
    "y_level",
    "y_level_label",
    "effect",
    "term",
    "group",
    "label",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
)
CSV_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def tidy_table(model: TableModel) -> pd.DataFrame:
    """The numbers of ``model`` as a long table with :data:`TIDY_TABLE_COLUMNS`."""
    records: list[dict[str, object]] = []
    blocks = (("estimate", model.estimates), ("threshold", model.thresholds))
    for effect, rows in blocks:
        kind = "ame" if model.options.ame and effect == "estimate" else effect
        kind = "coefficient" if kind == "estimate" else kind
        for row in rows:
            for j, (col, entry) in enumerate(zip(model.columns, row.entries, strict=True)):
                if entry is None:
                    continue
                records.append({
                    "column": j + 1,
                    "model_label": col.model_label,
                    "y_level": col.level,
                    "y_level_label": col.level_label,
                    "effect": kind,
                    "term": row.term,
                    "group": row.group or "",
                    "label": row.label,
                    "estimate": entry.estimate,
                    "std_error": entry.std_error,
                    "statistic": entry.statistic,
                    "p_value": entry.p_value,
                    "conf_low": entry.conf_low,
                    "conf_high": entry.conf_high,
                })
    for fit in model.fit:
        for j, (col, value) in enumerate(zip(model.columns, fit.values, strict=True)):
            if value is None or isinstance(value, str):
                continue
            records.append({
                "column": j + 1, "model_label": col.model_label, "y_level": "",
                "y_level_label": "", "effect": "fit", "term": fit.label, "group": "",
                "label": fit.label, "estimate": float(value),
            })
    frame = pd.DataFrame.from_records(records, columns=list(TIDY_TABLE_COLUMNS))
    numeric = ["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    frame[numeric] = frame[numeric].astype("float64")
    frame["column"] = frame["column"].astype("int64")
    return frame


def _safe_text(value: object) -> object:
    """Prefix an apostrophe to text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_TRIGGERS):
        return "'" + value
    return value


def frame_csv(frame: pd.DataFrame) -> bytes:
    """A tidy frame as CSV (``\\n`` line ends, full precision, empty for missing)."""
    frame = frame.copy()
    for c in frame.columns:
        if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])):
            frame[c] = frame[c].astype(object).map(_safe_text)
    return frame.to_csv(index=False, lineterminator="\n", float_format="%.10g").encode("utf-8")


def frame_parquet(frame: pd.DataFrame, title: str, notes: tuple[str, ...]) -> bytes:
    """A tidy frame as Parquet with ``title`` and ``notes`` in the file's metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta.pop(b"pandas", None)
    meta[b"surveytk"] = json.dumps(
        {"title": title, "notes": list(notes)}, sort_keys=True
    ).encode("utf-8")
    table = table.replace_schema_metadata(meta)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def render_tidy_csv(model: TableModel) -> bytes:
    """The table's numbers as tidy CSV."""
    return frame_csv(tidy_table(model))


def render_tidy_parquet(model: TableModel) -> bytes:
    """The table's numbers as tidy Parquet (title and notes in the metadata)."""
    return frame_parquet(tidy_table(model), model.title, model.notes)
