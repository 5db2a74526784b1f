"""``codebook new --add-variables``: a file outside the known sources, into a user schema.

A survey such as the ESS measures much that the common schema has no variable for.
Rather than drafting thousands of lines against the built-in schema, the columns chosen
with ``--vars`` that no common variable plausibly measures become **new variables** of
the author's schema extension (``<folder>/schema.yaml``), each with a crosswalk entry:

* numeric with value labels → ``category`` with a level per label; labels that say
  "refusal", "don't know", "no answer", "not applicable" become missing reasons;
* numeric without labels → ``integer`` (whole numbers only) or ``float``;
* text → ``string``; dates → ``date``.

Every new entry carries a TODO marker, so ``codebook check`` fails until the author has
read it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from surveytk.io.delivered_frame import LabelledFrame, VariableMeta

#: Value labels that mean a missing answer, in the sources' languages.
MISSING_LABELS = (
    (re.compile(r"refus|verweiger|weiger|kieltäy|vägra|відмов", re.I), "refused"),
    (re.compile(r"don.?t know|weiß nicht|weet (ik )?niet|en osaa|vet ej|vet inte|не знаю",
                re.I), "dont_know"),
    (re.compile(r"no answer|keine angabe|geen antwoord|ei vastausta|inget svar", re.I),
     "dont_know"),
    (re.compile(r"not applicable|trifft nicht zu|niet van toepassing|ei koske", re.I),
     "not_applicable"),
)


@dataclass(frozen=True)
class NewVariable:
    """A proposed variable of the user's schema and its crosswalk entry."""

    name: str
    ref: str
    meta: VariableMeta
    type: str
    #: (level value, label) for categories
    levels: tuple[tuple[str, str], ...] = ()
    #: source code → ("to", level) or ("missing", reason), with the source label
    codes: tuple[tuple[object, str, str, str], ...] = ()

    def extension_lines(self) -> list[str]:
        """The definition under ``variables:`` of the schema extension."""
        label = " ".join((self.meta.label or self.meta.name).split())
        lines = [f"  {self.name}:",
                 f"    type: {self.type}",
                 f"    label: {json.dumps(label, ensure_ascii=False)}",
                 f"    description: {json.dumps(f'From {self.ref} (drafted by codebook new).')}"]
        if self.levels:
            lines.append("    levels:")
            lines += [f"      - {{value: {v}, label: {json.dumps(lab, ensure_ascii=False)}}}"
                      for v, lab in self.levels]
        return lines

    def crosswalk_lines(self) -> list[str]:
        """The crosswalk entry (with a TODO marker for the author to review)."""
        lines = [f"  {self.name}:   # new in this folder's schema.yaml",
                 f"    from: {self.ref}   # TODO: review the new variable and its map"]
        if self.meta.label:
            question = json.dumps(" ".join(self.meta.label.split()), ensure_ascii=False)
            lines.append(f"    question: {question}")
        if self.codes and self.type != "category":
            lines.append("    missing:")
            lines += [f"      {_code(code)}: {target}   # {json.dumps(label, ensure_ascii=False)}"
                      for code, label, _, target in self.codes]
        elif self.codes:
            lines.append("    map:")
            for code, label, kind, target in self.codes:
                key = _code(code)
                lines.append(f"      {key}: {{{kind}: {target}, "
                             f"label: {json.dumps(label, ensure_ascii=False)}}}")
        return lines


def _code(code: object) -> str:
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code) if isinstance(code, int | float) else json.dumps(str(code))


def slug(text: str) -> str:
    """A level or variable name: ASCII lower case, words joined by ``_``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


def missing_reason_of(label: str) -> str | None:
    """The missing reason a value label means, if it means one."""
    return next((reason for rx, reason in MISSING_LABELS if rx.search(label)), None)


def _levels(meta: VariableMeta) -> tuple[tuple[tuple[str, str], ...],
                                        tuple[tuple[object, str, str, str], ...]]:
    levels: dict[str, str] = {}
    codes = []
    for code, label in meta.value_labels.items():
        reason = missing_reason_of(str(label))
        if reason is not None:
            codes.append((code, str(label), "missing", reason))
            continue
        value = slug(str(label)) or f"code_{slug(_code(code))}"
        if value in levels and levels[value] != str(label):
            value = f"{value}_{slug(_code(code))}"
        levels.setdefault(value, str(label))
        codes.append((code, str(label), "to", value))
    return tuple(levels.items()), tuple(codes)


def _type(col: pd.Series, meta: VariableMeta) -> str:
    if meta.value_labels and pd.api.types.is_numeric_dtype(col.dtype):
        return "category"
    if pd.api.types.is_datetime64_any_dtype(col.dtype) or meta.storage in ("date", "datetime"):
        return "date"
    if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
        values = col.dropna().to_numpy(dtype="float64")
        return "integer" if (values == values.round()).all() else "float"
    return "string"


def _unlabelled_values(col: pd.Series, codes: Sequence[tuple[object, str, str, str]]) -> bool:
    """Whether the column holds valid values that carry no value label."""
    labelled = {float(c[0]) for c in codes if isinstance(c[0], int | float)}
    values = set(pd.to_numeric(col, errors="coerce").dropna().unique().tolist())
    return bool(values - labelled)


def propose_new_variables(frames: Mapping[str, LabelledFrame],
                          metas: Sequence[tuple[str, VariableMeta]], taken: set[str],
                          used: set[str]) -> list[NewVariable]:
    """New variables for the columns in ``metas`` that no common variable takes.

    Parameters
    ----------
    frames
        The delivered files by alias.
    metas
        (alias, metadata) of the columns to draft.
    taken
        Names already in the schema (a new name that clashes gets the alias appended).
    used
        ``alias.column`` references already proposed for common variables.
    """
    out: list[NewVariable] = []
    names = set(taken)
    for alias, meta in metas:
        ref = f"{alias}.{meta.name}"
        if ref in used:
            continue
        col = frames[alias].data[meta.name]
        kind = _type(col, meta)
        name = slug(meta.name) or "column"
        if name[0].isdigit():
            name = f"v_{name}"
        if name in names or name.endswith("_missing"):
            name = f"{name}_{slug(alias)}"
        names.add(name)
        levels, codes = _levels(meta) if kind == "category" else ((), ())
        if kind == "category" and (not levels or _unlabelled_values(col, codes)):
            # a scale with labelled end points (ESS 0–10): a number, its missing codes kept
            values = col.dropna().to_numpy(dtype="float64")
            kind = "integer" if (values == values.round()).all() else "float"
            levels, codes = (), tuple(c for c in codes if c[2] == "missing")
        out.append(NewVariable(name, ref, meta, kind, levels, codes))
    return out
