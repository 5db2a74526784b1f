"""``codebook new``: draft a crosswalk YAML from delivered files' metadata.

The draft loads and runs as it is (every common variable starts as missing
with reason ``not_asked``), so ``codebook check`` works at once; TODO markers
show the statistician what to decide, and ``codebook check`` fails until
every one is gone. Where a source column plausibly measures a common variable
(by its name or label), the draft proposes it beneath that variable as a
commented template — ``from:``, ``question:`` from the variable label, and a
value map from the value labels — to uncomment and complete. Every source
variable is listed once as a comment; files with many columns (or ``--vars``)
get a compact listing instead of map templates for everything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from surveytk.codebook.generic import NewVariable, propose_new_variables
from surveytk.codebook.loader import load_schema
from surveytk.codebook.model import Schema, SchemaVariable
from surveytk.codebook.suggest import did_you_mean
from surveytk.errors import CodebookError
from surveytk.io.delivered_frame import LabelledFrame, VariableMeta
from surveytk.io.readers import read_file

_DEFAULTS = {
    "weight": "    constant: 1.0   # TODO: the analysis weight column (from: FILE.VAR)",
    "weight_kind": "    constant: none   # TODO: design when the source has weights",
    "age_is_banded": "    constant: false",
    "host_country": "    constant: TODO   # TODO: ISO 3166-1 alpha-3 of the host country",
}

#: Above this many source columns the listing is compact: name, label, type only.
COMPACT_ABOVE = 60
#: Value-map templates show at most this many codes.
MAX_TEMPLATE_CODES = 40

#: Words (lower case, several languages of the sources) that suggest a common variable,
#: matched against the words of a column's name and label. ESS names included.
CUES: dict[str, tuple[str, ...]] = {
    "respondent_id": ("idno", "respnr", "respid", "resp_id", "pid", "persnr", "respondent",
                      "id"),
    "household_id": ("hid", "hhid", "household", "haushalt", "huishouden", "kotitalous"),
    "interview_date": ("inwyy", "inwyys", "inwmms", "inwdds", "interview", "intdate", "date",
                       "datum", "päivämäärä"),
    "host_country": ("cntry", "country", "land", "maa", "країна", "host"),
    "age": ("agea", "age", "alter", "leeftijd", "ikä", "ålder", "вік", "yrbrn", "birth",
            "geburtsjahr", "geboortejaar", "syntymävuosi"),
    "gender": ("gndr", "gender", "sex", "geschlecht", "geslacht", "sukupuoli", "kön", "стать"),
    "n_children_u18": ("children", "kids", "kinder", "kinderen", "lapset", "діти", "chldhm"),
    "employed": ("employed", "work", "job", "erwerbstätig", "werk", "työ", "pnlwork",
                 "pdwrk", "arbeit"),
    "employment_status": ("mnactic", "status", "activity", "erwerbsstatus", "tätigkeit"),
    "origin_oblast": ("oblast", "region", "область", "herkunft", "origin"),
    "months_in_host": ("months", "arrival", "arrived", "ankunft", "aankomst", "saapui"),
    "return_intention": ("return", "rückkehr", "terugkeer", "paluu", "повернення"),
    "intention_category": ("intention", "plan", "plans", "absicht"),
    "spouse_child_in_ukraine": ("spouse", "partner", "ehepartner"),
    "weight": ("pspwght", "dweight", "anweight", "pweight", "weight", "gewicht", "paino",
               "wt", "wgt"),
    "psu": ("psu", "cluster", "sampling_unit"),
    "stratum": ("stratum", "strata", "stratify"),
}


def _q(text: object) -> str:
    """A YAML double-quoted scalar."""
    return json.dumps(str(text), ensure_ascii=False)


def _alias(path: Path, taken: set[str]) -> str:
    base = re.sub(r"[^0-9a-zA-Z_]", "_", path.stem).lower() or "file"
    alias, i = base, 2
    while alias in taken:
        alias, i = f"{base}_{i}", i + 1
    taken.add(alias)
    return alias


def _code(code: object) -> str:
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code) if isinstance(code, int | float) else _q(code)


def _one_line(text: str | None) -> str:
    return " ".join(str(text).split()) if text else ""


def _words(meta: VariableMeta) -> set[str]:
    text = f"{meta.name} {_one_line(meta.label)}".lower()
    return {w for w in re.split(r"[\W_]+", text) if w} | {meta.name.lower()}


def plausible_column(name: str, metas: Sequence[tuple[str, VariableMeta]]) -> (
        tuple[str, VariableMeta] | None):
    """The source column that most plausibly measures common variable ``name``.

    A cue word equal to the column's name scores highest, then a cue among the words
    of its name, then among the words of its label; ties go to the earlier column.
    ``None`` if no cue matches.
    """
    cues = CUES.get(name, ())
    best: tuple[int, int] | None = None
    found = None
    for i, (alias, meta) in enumerate(metas):
        col = meta.name.lower()
        name_words = set(re.split(r"[\W_]+", col))
        label_words = set() if name in _NOT_QUESTIONS else _words(meta) - name_words
        score = 0
        for rank, cue in enumerate(cues):
            weight = len(cues) - rank
            if col == cue:
                score = max(score, 300 + weight)
            elif cue in name_words or (len(cue) > 3 and col.startswith(cue)):
                score = max(score, 200 + weight)
            elif len(cue) > 2 and cue in label_words:
                score = max(score, 100 + weight)
        if score and (best is None or (score, -i) > best):
            best, found = (score, -i), (alias, meta)
    return found


def _listing(alias: str, meta: VariableMeta, compact: bool) -> list[str]:
    """The comment lines that list one source variable."""
    n_labels = len(meta.value_labels)
    extra = f", {n_labels} value labels" if compact and n_labels else ""
    lines = [f"#   {alias}.{meta.name}: {_one_line(meta.label) or '(no label)'} "
             f"[{meta.storage}{extra}]"]
    if compact:
        return lines
    if meta.missing_values:
        lines.append(f"#     user-missing: {list(meta.missing_values)}")
    for code, label in list(meta.value_labels.items())[:MAX_TEMPLATE_CODES]:
        lines.append(f"#     {_code(code)}: {{to: TODO, label: {_q(label)}}}")
    return lines


#: Common variables whose source is a key or design column, not a question.
_NOT_QUESTIONS = ("respondent_id", "household_id", "weight", "psu", "stratum", "interview_date")
_BIRTH_CUES = ("birth", "yrbrn", "geburt", "geboorte", "syntymä", "народження")


def _template(alias: str, meta: VariableMeta, vname: str, var: SchemaVariable) -> list[str]:
    """A commented ``from``/``question``/``map`` block proposing ``alias.meta`` for ``var``."""
    ref = f"{alias}.{meta.name}"
    words = " ".join(_words(meta))
    if vname == "age" and any(cue in words for cue in _BIRTH_CUES):
        return [f"    # derive: {{function: age_from_birth, args: {{birth_year: {ref}, "
                "ref_date: $interview_date}}"]
    if vname == "host_country":
        return [f"    # derive: {{function: lookup, args: {{input: {ref}, "
                "table: iso3166_countries.csv, key: iso2, value: iso3, match: text}}",
                "    #   (key: iso2, iso3 or numeric codes; names: table iso3166_names.csv, "
                "key: name)"]
    lines = [f"    # from: {ref}"]
    if meta.label and vname not in _NOT_QUESTIONS:
        lines.append(f"    # question: {_q(_one_line(meta.label))}")
    if var.type in ("category", "ordered", "boolean") and meta.value_labels:
        lines.append("    # map:")
        lines += [f"    #   {_code(code)}: {{to: TODO, label: {_q(label)}}}"
                  for code, label in list(meta.value_labels.items())[:MAX_TEMPLATE_CODES]]
    return lines


def _levels_text(var: SchemaVariable) -> str:
    if var.levels:
        return f" — levels: {', '.join(str(v) for v in var.level_values)}"
    return ""


def _select(frames: list[tuple[str, Path, LabelledFrame]],
            chosen: Sequence[str] | None) -> list[tuple[str, VariableMeta]]:
    """The (alias, metadata) of the columns to draft: all, or only ``chosen``."""
    metas = [(alias, lf.meta(name)) for alias, _, lf in frames for name in lf.columns]
    if not chosen:
        return metas
    known = {m.name for _, m in metas}
    absent = [c for c in chosen if c not in known]
    if absent:
        raise CodebookError(
            f"--vars: {absent[0]!r} is not a column of the files"
            + did_you_mean(absent[0], sorted(known)), variable=absent[0])
    return [(a, m) for a, m in metas if m.name in set(chosen)]


@dataclass(frozen=True)
class Draft:
    """A draft crosswalk's text and the new variables it proposes for the user's schema."""

    text: str
    new_variables: tuple[NewVariable, ...] = ()


def draft_crosswalk(source: str, files: list[str], *, variables: Sequence[str] | None = None,
                    schema: Schema | None = None, name: str | None = None) -> str:
    """The text of a draft crosswalk (see :func:`make_draft`)."""
    return make_draft(source, files, variables=variables, schema=schema, name=name).text


def make_draft(source: str, files: list[str], *, variables: Sequence[str] | None = None,
               schema: Schema | None = None, name: str | None = None,
               add_variables: bool = False) -> Draft:
    """The text of a draft crosswalk for ``source`` from ``files`` (first file = base).

    Parameters
    ----------
    source
        The source's name (must be, or become, a level of ``source`` in the schema).
    files
        Delivered files; their metadata (variables, labels, missing codes) fill the draft.
    variables
        Draft only these source columns (listing and proposals); default all.
    schema
        The common schema to draft against; default the one the loader finds.
    name
        The crosswalk's name; default ``<source>_TODO`` (a placeholder to replace).
    add_variables
        Columns that no common variable takes become new variables of the user's schema
        (:mod:`surveytk.codebook.generic`), with crosswalk entries.
    """
    schema = schema if schema is not None else load_schema()
    taken: set[str] = set()
    frames: list[tuple[str, Path, LabelledFrame]] = []
    for f in files:
        p = Path(f)
        frames.append((_alias(p, taken), p, read_file(p)))
    metas = _select(frames, variables)
    if add_variables and not variables and len(metas) > COMPACT_ABOVE:
        raise CodebookError(f"--add-variables on {len(metas)} columns: choose the ones to add "
                            "with --vars COL,COL,...")
    compact = len(metas) > COMPACT_ABOVE
    base_alias, _, base = frames[0]
    proposals = {v: plausible_column(v, metas) for v in schema.variables}
    id_col = proposals.get("respondent_id")
    first_var = (id_col[1].name if id_col and id_col[0] == base_alias
                 else base.columns[0] if base.columns else "TODO")
    out = [
        f"# Draft crosswalk for {source}, made by `surveytk codebook new` from",
        *[f"#   {p.name} ({lf.file.format}, {lf.file.n_rows} rows, sha256 {lf.file.sha256[:12]})"
          for _, p, lf in frames],
        "# Replace every TODO (values and comments): `surveytk codebook check` fails while",
        "# one is left. Proposed mappings are commented out under each common variable:",
        "# uncomment them in place of `missing_reason: not_asked` and complete the maps.",
        f"codebook: {name or source + '_TODO'}",
        f"source: {source}",
        'version: "0.1.0"',
        "unit: TODO one row per respondent and wave",
        f"base: {base_alias}",
        "system_missing: not_asked",
        "missing_codes: {}   # TODO: codes meaning missing on every variable, e.g. {99: refused}",
        "files:",
    ]
    for i, (alias, p, lf) in enumerate(frames):
        out += [f"  {alias}:", f"    path: {_q(p.name)}", f"    format: {lf.file.format}"]
        if i == 0:
            out.append(f"    keys: [{first_var}]   # TODO: the respondent key")
        else:
            out += [f"    keys: [{lf.columns[0] if lf.columns else 'TODO'}]   # TODO",
                    "    join:   # TODO: key columns of this file → <file>.<column> on the left",
                    f"      on: {{{lf.columns[0] if lf.columns else 'TODO'}: "
                    f"{base_alias}.{first_var}}}",
                    "      unmatched: error"]
    kind = "compact: name, label, storage" if compact else "map templates from value labels"
    out += ["", f"# Source variables ({len(metas)}; {kind}):"]
    for alias, meta in metas:
        out += _listing(alias, meta, compact)
    out += ["", "variables:"]
    for vname, var in schema.variables.items():
        if vname == "source":
            continue
        if var.derive is not None:
            out.append(f"  # {vname}: derived in the schema ({var.derive.function}); "
                       "give it here only to override")
            continue
        out.append(f"  {vname}:   # {var.type}: {var.label}{_levels_text(var)}")
        proposal = proposals.get(vname)
        hint = (f"probably {proposal[0]}.{proposal[1].name}"
                f"{f' ({_q(_one_line(proposal[1].label))})' if proposal[1].label else ''}"
                if proposal else "")
        if vname == "wave":
            out.append("    constant: TODO   # TODO: the wave label, e.g. W1")
        elif vname == "respondent_id":
            out.append(f"    derive: {{function: make_id, args: {{parts: [{source}, $wave, "
                       f"{base_alias}.{first_var}]}}}}   # TODO: check the id column")
        elif vname in _DEFAULTS:
            out.append(_DEFAULTS[vname] + (f"; {hint}" if hint else ""))
            if proposal:
                out += _template(*proposal, vname, var)
        elif proposal:
            out.append(f"    missing_reason: not_asked   # TODO: {hint}; map it:")
            out += _template(*proposal, vname, var)
        else:
            out.append("    missing_reason: not_asked   # TODO: map it (from: FILE.VAR + map)")
    new: list[NewVariable] = []
    if add_variables:
        used = {f"{a}.{m.name}" for a, m in (p for p in proposals.values() if p)}
        used.add(f"{base_alias}.{first_var}")
        new = propose_new_variables({a: lf for a, _, lf in frames}, metas,
                                    set(schema.variables), used)
        if new:
            out += ["", "  # New variables of this folder's schema.yaml:"]
            for nv in new:
                out += nv.crosswalk_lines()
    return Draft("\n".join(out) + "\n", tuple(new))
