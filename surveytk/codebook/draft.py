"""``codebook new``: draft a crosswalk YAML from delivered files' metadata.

The draft loads and runs as it is (every common variable starts as missing
with reason ``not_asked``), so ``codebook check`` works at once; TODO markers
show the statistician what to decide. Each source variable is listed as a
comment with its label and a value-map template built from its value labels.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from surveytk.codebook.loader import load_schema
from surveytk.io.labelled import LabelledFrame, VariableMeta

_DEFAULTS = {
    "weight": "    constant: 1.0   # TODO: the analysis weight column (from: FILE.VAR)",
    "weight_kind": "    constant: none   # TODO: design when the source has weights",
    "age_is_banded": "    constant: false",
    "host_country": "    constant: TODO   # TODO: ISO 3166-1 alpha-3 of the host country",
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


def _variable_comment(alias: str, meta: VariableMeta) -> list[str]:
    lines = [f"#   {alias}.{meta.name}: {meta.label or '(no label)'} [{meta.storage}]"]
    if meta.missing_values:
        lines.append(f"#     user-missing: {list(meta.missing_values)}")
    for code, label in list(meta.value_labels.items())[:40]:
        lines.append(f"#     {_code(code)}: {{to: TODO, label: {_q(label)}}}")
    return lines


def draft_crosswalk(source: str, files: list[str]) -> str:
    """The text of a draft crosswalk for ``source`` from ``files`` (first file = base).

    Parameters
    ----------
    source
        The source's name (must be, or become, a level of ``source`` in schema.yaml).
    files
        Delivered files; their metadata (variables, labels, missing codes) fill the draft.
    """
    from surveytk.io.readers import read_file

    schema = load_schema()
    taken: set[str] = set()
    frames: list[tuple[str, Path, LabelledFrame]] = []
    for f in files:
        p = Path(f)
        frames.append((_alias(p, taken), p, read_file(p)))
    base_alias, _, base = frames[0]
    first_var = base.columns[0] if base.columns else "TODO"
    out = [
        f"# Draft crosswalk for {source}, made by `surveytk codebook new` from",
        *[f"#   {p.name} ({lf.file.format}, {lf.file.n_rows} rows, sha256 {lf.file.sha256[:12]})"
          for _, p, lf in frames],
        "# Replace every TODO, then run `surveytk codebook check`.",
        f"codebook: {source}_TODO",
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
    out += ["", "# Source variables (map templates from their value labels):"]
    for alias, _, lf in frames:
        for name in lf.columns:
            out += _variable_comment(alias, lf.meta(name))
    out += ["", "variables:"]
    for name, var in schema.variables.items():
        if name == "source":
            continue
        if var.derive is not None:
            out.append(f"  # {name}: derived in schema.yaml ({var.derive.function}); "
                       "give it here only to override")
            continue
        out.append(f"  {name}:   # {var.type}: {var.label}")
        if name == "wave":
            out.append("    constant: TODO   # TODO: the wave label, e.g. W1")
        elif name == "respondent_id":
            out.append(f"    derive: {{function: make_id, args: {{parts: [{source}, $wave, "
                       f"{base_alias}.{first_var}]}}}}   # TODO: check the id column")
        elif name in _DEFAULTS:
            out.append(_DEFAULTS[name])
        else:
            out.append("    missing_reason: not_asked   # TODO: map it (from: FILE.VAR + map)")
    return "\n".join(out) + "\n"
