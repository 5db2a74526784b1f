"""Harmonise a delivery and write the table and its audit (what the CLI calls)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from surveytk.codebook.loader import load_codebook
from surveytk.harmonise.audit import audit_json
from surveytk.harmonise.engine import HarmoniseResult, harmonise
from surveytk.harmonise.output import write_data
from surveytk.io.atomic import check_not_input, write_text_atomic


@dataclass(frozen=True)
class HarmoniseSummary:
    """What a run wrote, for the CLI's one-line report."""

    out: Path
    audit: Path
    rows: int
    codebook: str
    codebook_version: str


def harmonise_to_file(codebook: str | Path, input_dir: str | Path, out: str | Path, *,
                      audit: str | Path | None = None, fmt: str | None = None,
                      strict: bool = False,
                      ) -> tuple[HarmoniseSummary, HarmoniseResult]:
    """Harmonise ``input_dir`` with ``codebook``; write the table to ``out`` and the audit JSON.

    The audit goes to ``audit`` or ``<out>.audit.json``. Nothing is written when
    harmonising fails. ``strict``: out-of-range values are errors, not ``implausible``.
    """
    book = load_codebook(codebook)
    out_path = Path(out)
    audit_path = Path(audit) if audit is not None else out_path.with_name(
        out_path.name + ".audit.json")
    inputs = [Path(input_dir) / f.path for f in book.crosswalk.files.values()]
    check_not_input(out_path, inputs, [input_dir])
    check_not_input(audit_path, inputs, [input_dir])
    result = harmonise(book, input_dir, strict=strict)
    write_data(result.table, out_path, fmt=fmt, provenance=result.provenance,
               schema=book.schema)
    write_text_atomic(audit_path, audit_json(result.audit))
    summary = HarmoniseSummary(out=out_path, audit=audit_path, rows=len(result.table),
                               codebook=book.name, codebook_version=book.version)
    return summary, result
