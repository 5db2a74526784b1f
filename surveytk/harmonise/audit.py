"""The audit of a harmonisation run: row accounting per file, value accounting per variable.

Counts only — never a respondent's value. Cells are counts of source codes
(from the file's metadata) and of common values or missing reasons.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from surveytk.codebook.book import Codebook
from surveytk.codebook.model import MISSING_REASONS
from surveytk.harmonise.column import VALID, Col, code_text, plain_value
from surveytk.harmonise.frames import Delivery


@dataclass
class ValueCounts:
    """How many rows of each source code went to which common value or missing reason."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_codes(cls, col: Col, codes: np.ndarray, uniques: Any,
                   value_at: Callable[[int], object], out_reason: np.ndarray) -> ValueCounts:
        """Counts per factorised source code (``codes`` −1 = empty cell)."""
        rows: list[dict[str, Any]] = []
        n_u = len(uniques)
        inv = np.where(codes < 0, n_u, codes)
        count = np.bincount(inv, minlength=n_u + 1)
        first = np.full(n_u + 1, -1, dtype=np.int64)
        first[inv[::-1]] = np.arange(len(inv) - 1, -1, -1)  # first row of each code
        first_of = {i: int(first[i]) for i in range(n_u + 1) if first[i] >= 0}
        labels = col.meta.value_labels if col.meta is not None else {}
        for i in range(n_u + 1):
            if count[i] == 0:
                continue
            row = first_of[i]
            code = col.values.iloc[row] if i < n_u else None
            r = int(out_reason[row])
            target = (f"missing:{MISSING_REASONS[r - 1]}" if r != VALID else
                      plain_value(value_at(row)))
            label = None
            if code is not None:
                label = labels.get(code) if not isinstance(code, float) else (
                    labels.get(code) or (labels.get(int(code)) if code.is_integer() else None))
            rows.append({
                "code": None if code is None else code_text(plain_value(code)),
                "label": None if label is None else str(label),
                "to": target,
                "n": int(count[i]),
            })
        rows.sort(key=lambda r: (r["code"] is None, str(r["code"])))
        return cls(rows=rows)




def summarise(col: Col) -> dict[str, Any]:
    """Valid count and missing counts by reason for one harmonised column."""
    counts = np.bincount(col.reason.astype(np.int64), minlength=len(MISSING_REASONS) + 1)
    return {
        "valid": int(counts[0]),
        "missing": {MISSING_REASONS[i - 1]: int(counts[i])
                    for i in range(1, len(counts)) if counts[i]},
    }


def build_audit(book: Codebook, dl: Delivery, cols: dict[str, Col],
                counts: dict[str, ValueCounts], provenance: dict[str, Any],
                checks: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The audit document (JSON-serialisable, deterministic key order).

    ``checks`` adds, per variable, what the plausibility checks set missing
    (``{"implausible": {"n": 70, "why": "outside [0, 600]"}}``).
    """
    cw = book.crosswalk
    files: dict[str, Any] = {}
    for alias, spec in cw.files.items():
        stats = dl.joins.get(alias)
        if stats is None:
            continue
        excluded = stats.rows_in - stats.rows_used
        entry: dict[str, Any] = {
            "file": spec.path,
            "rows_in": stats.rows_in,
            "rows_out": stats.rows_used,
            "rows_excluded": {stats.unused_reason: excluded} if excluded else {},
        }
        if spec.join is not None:
            entry["join"] = {
                "on": dict(spec.join.on),
                "one_to_many": spec.join.many,
                "base_rows_without_partner": stats.unmatched_left,
                "without_partner_becomes": ("missing:" + stats.unmatched_action
                                            if stats.unmatched_action != "error" else "error"),
            }
        files[alias] = entry
    variables: dict[str, Any] = {}
    for name, col in cols.items():
        vspec = cw.variables.get(name)
        origin = col.origin if vspec is not None else f"schema:{col.origin}"
        entry = {"from": origin, **summarise(col)}
        if name in counts:
            entry["codes"] = counts[name].rows
        if checks and name in checks:
            entry["checks"] = checks[name]
        variables[name] = entry
    return {
        "audit": "surveytk-harmonise",
        "codebook": book.name,
        "codebook_version": book.version,
        "source": cw.source,
        "unit": cw.unit,
        "respondents": dl.n,
        "provenance": provenance,
        "files": files,
        "variables": variables,
    }


def audit_json(audit: dict[str, Any]) -> str:
    """Stable JSON text of an audit."""
    return json.dumps(audit, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
