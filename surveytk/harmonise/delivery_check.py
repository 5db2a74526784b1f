"""``codebook check``: review a crosswalk and everything in a delivery that does not fit it.

Absent files and variables, codes in the data that the map lacks, labels that
differ from the map's, values of the wrong type, unmatched join keys — all
listed together, never stopping at the first. As a reviewer it also refuses a
crosswalk that is still a draft (TODO markers, placeholder values, nothing
read from the delivery) and lists delivered columns that no variable reads.
Every problem names the ``file:line`` of the YAML to edit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from surveytk.codebook.book import Codebook
from surveytk.codebook.loader import load_codebook
from surveytk.codebook.suggest import did_you_mean
from surveytk.errors import Problem, ProblemList, ReadError
from surveytk.harmonise.engine import run_checked, variable_refs
from surveytk.harmonise.frames import delivered_path, needed_columns
from surveytk.io.delivered_frame import LabelledFrame
from surveytk.io.readers import read_file

#: Unread columns named in a note (the count is always given).
MAX_UNREAD_SHOWN = 30
#: A marker the draft leaves for the author (``codebook new``).
TODO = "TODO"
_TRAILING_TODO = re.compile(r"\s#\s*TODO\b")
#: Variables that read the delivery in any crosswalk, draft or not (keys and design).
KEY_VARIABLES = ("wave", "respondent_id", "household_id", "weight", "weight_kind", "psu",
                 "stratum")
_QUOTED = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'")


@dataclass
class CheckReport:
    """Result of checking a delivery against a crosswalk.

    ``problems`` make the check fail; ``notes`` are information (such as delivered
    columns that no variable reads, unless the check was asked to fail on them).
    """

    codebook: str
    version: str
    files: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    respondents: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """A short OK line or the list of problems, then the notes."""
        if self.ok:
            files = ", ".join(f"{k} ({v} rows)" for k, v in self.files.items())
            lines = [f"OK: {self.codebook} v{self.version} fits the delivery: {files}; "
                     f"{self.respondents} respondents harmonise"]
        else:
            lines = [f"{self.codebook} v{self.version}: {len(self.problems)} problem(s):"]
            lines += [f"  - {p.message}" for p in self.problems]
        if self.notes:
            lines += ["note:", *(f"  - {n}" for n in self.notes)]
        return "\n".join(lines)


# --------------------------------------------------------------------------- drafts


def _scalars(data: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every scalar of a parsed YAML document with its key path."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _scalars(value, (*path, str(key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _scalars(value, (*path, str(i)))
    else:
        yield path, data


def _placeholder_hint(path: tuple[str, ...]) -> str:
    hints = {
        ("codebook",): "name the codebook (its file name without .yaml)",
        ("unit",): "say what one row of the harmonised table is",
        ("variables", "wave", "constant"): "give the wave's label, e.g. W1 or 2024",
        ("variables", "host_country", "constant"): "give the ISO 3166-1 alpha-3 code, e.g. CZE",
    }
    if path[:2] == ("variables", "respondent_id"):
        return "make the id from the source's respondent key and a real wave"
    return hints.get(path, "replace it with the real value")


def draft_problems(book: Codebook) -> list[Problem]:
    """What is still a draft: TODO values, TODO comments on entries, nothing read.

    Comment-only lines (the draft's listing of source variables) are not checked.
    """
    doc, file = book.document, str(book.path)
    out: list[Problem] = []
    flagged: set[int] = set()
    for path, value in _scalars(doc.data):
        if isinstance(value, str) and TODO in value:
            line = doc.line_of(path)
            flagged.add(line or 0)
            out.append(Problem(
                f"{doc.where(path)}: {'.'.join(path)} is still the draft placeholder "
                f"{value!r}; {_placeholder_hint(path)}", file=file))
    keys_by_line: dict[int, tuple[str, ...]] = {}
    for key_path, line in doc.lines.items():
        if line not in keys_by_line or len(key_path) < len(keys_by_line[line]):
            keys_by_line[line] = key_path
    for n, text in enumerate(doc.text.splitlines(), start=1):
        if n in flagged or text.lstrip().startswith("#"):
            continue
        if _TRAILING_TODO.search(_QUOTED.sub('""', text)):
            shown = ".".join(keys_by_line.get(n, ())) or text.split("#")[0].strip()
            out.append(Problem(
                f"{book.path.name}:{n}: TODO marker left on {shown} "
                f"(`{text.split('#')[0].strip()}`); decide, then delete the comment",
                file=file))
    if not any(_reads_delivery(book, name) for name in book.crosswalk.variables
               if name not in KEY_VARIABLES):
        out.append(Problem(
            f"{book.where('variables')}: no survey question is mapped (every variable but "
            "ids and weights is a constant or `missing_reason`); map the variables the "
            "survey asked (from: FILE.VAR + map)", file=file))
    return out


def _reads_delivery(book: Codebook, name: str) -> bool:
    spec = book.crosswalk.variables[name]
    return (spec.from_ is not None or spec.derive is not None) and (
        bool(variable_refs(book, name)) or spec.from_ is not None)


def not_asked_count(book: Codebook) -> tuple[int, int]:
    """How many of the crosswalk's variables are ``missing_reason: not_asked``, of how many."""
    cw = book.crosswalk.variables
    return sum(1 for s in cw.values() if s.missing_reason == "not_asked"), len(cw)


# --------------------------------------------------------------------------- columns


def unread_columns(book: Codebook, frames: dict[str, LabelledFrame]) -> dict[str, list[str]]:
    """Per file alias, the delivered columns that no variable, key or join reads."""
    need = needed_columns(book)
    return {alias: [c for c in lf.columns if c not in set(need.get(alias, []))]
            for alias, lf in frames.items()}


def _unread_lines(book: Codebook, frames: dict[str, LabelledFrame],
                  unread: dict[str, list[str]]) -> list[str]:
    out = []
    for alias, cols in unread.items():
        if not cols:
            continue
        lf = frames[alias]
        shown = ", ".join(f"{c} ({lf.meta(c).label})" if lf.meta(c).label else c
                          for c in cols[:MAX_UNREAD_SHOWN])
        more = len(cols) - MAX_UNREAD_SHOWN
        out.append(f"{Path(lf.file.path).name}: {len(cols)} of {len(lf.columns)} delivered "
                   f"columns are read by no variable of {book.path.name}: {shown}"
                   + (f", … and {more} more" if more > 0 else ""))
    return out


def reference_line(book: Codebook, alias: str, column: str) -> str:
    """``file:line`` of the first place the crosswalk names ``alias.column`` (or the file)."""
    ref = f"{alias}.{column}"
    doc = book.document
    for path, value in _scalars(doc.data):
        if value == ref or (path[:3] == ("files", alias, "keys") and value == column):
            return doc.where(path)
    for path_key in doc.lines:
        if path_key[:2] == ("files", alias) and len(path_key) >= 4 and path_key[-1] == column:
            return doc.where(path_key)
    return book.where("files", alias)


def _type_problems(book: Codebook, frames: dict[str, LabelledFrame]) -> list[Problem]:
    out: list[Problem] = []
    for name, spec in book.crosswalk.variables.items():
        if spec.from_ is None or spec.map is None:
            continue
        alias, _, col = spec.from_.partition(".")
        lf = frames.get(alias)
        if lf is None or col not in lf.data.columns:
            continue
        numeric_keys = all(isinstance(k, int | float) for k in spec.map)
        text_keys = all(isinstance(k, str) for k in spec.map)
        is_numeric = pd.api.types.is_numeric_dtype(lf.data[col].dtype)
        if numeric_keys and not is_numeric:
            out.append(Problem(
                f"{book.where('variables', name, 'map')}: the map of {name} is keyed by "
                f"numeric codes but {Path(lf.file.path).name} delivers {col} as text; key the "
                "map by the text values as delivered (quoted), or read the file's value labels "
                f"with `surveytk inspect {Path(lf.file.path).name}`",
                file=lf.file.path, variable=col))
        elif text_keys and is_numeric:
            out.append(Problem(
                f"{book.where('variables', name, 'map')}: the map of {name} is keyed by text "
                f"but {Path(lf.file.path).name} delivers {col} as numeric codes; key the map "
                "by the codes (unquoted numbers) and give the text as `label:`",
                file=lf.file.path, variable=col))
    return out


def check_delivery(codebook: str | Path | Codebook, input_dir: str | Path, *,
                   fail_on_unread: bool = False) -> CheckReport:
    """Review a crosswalk and compare it with the delivered files; collect every misfit.

    Parameters
    ----------
    codebook
        Name, path or loaded codebook.
    input_dir
        Folder with the delivered files.
    fail_on_unread
        Delivered columns that no variable reads are problems (default: notes).

    Returns
    -------
    CheckReport
        ``ok`` is true when the crosswalk is no longer a draft and the delivery
        harmonises without a problem.
    """
    book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    report = CheckReport(codebook=book.name, version=book.version)
    problems = ProblemList()
    problems.extend(draft_problems(book))
    frames: dict[str, LabelledFrame] = {}
    need = needed_columns(book)
    for alias, spec in book.crosswalk.files.items():
        path = Path(input_dir) / spec.path
        try:
            found = delivered_path(Path(input_dir), spec.path)
        except ReadError as exc:
            problems.add(exc.message, file=str(path))
            continue
        if found is None:
            present = sorted(p.name for p in Path(input_dir).glob("*") if p.is_file())
            problems.add(f"{path}: file {spec.path!r} ({alias}) named in "
                         f"{book.where('files', alias, 'path')} is missing"
                         + did_you_mean(spec.path, present), file=str(path))
            continue
        path = found
        try:
            frames[alias] = read_file(path, encoding=spec.encoding, format=spec.format,
                                      sheet=spec.sheet)
        except ReadError as exc:
            problems.add(exc.message, file=str(path))
            continue
        report.files[alias] = len(frames[alias])
        columns = frames[alias].data.columns
        for col in [c for c in need[alias] if c not in columns]:
            problems.add(f"{reference_line(book, alias, col)}: variable {col!r} is not in "
                         f"{path.name}" + did_you_mean(col, columns),
                         file=str(path), variable=col)
    problems.extend(_type_problems(book, frames))
    unread = _unread_lines(book, frames, unread_columns(book, frames))
    if fail_on_unread:
        problems.extend(Problem(line) for line in unread)
    else:
        report.notes += unread
    asked, total = not_asked_count(book)
    if asked:
        report.notes.append(f"{asked} of {total} variables are `missing_reason: not_asked` "
                            f"in {book.path.name}")
    if len(frames) == len(book.crosswalk.files) and not problems:
        result = run_checked(book, frames, problems)
        if result is not None:
            report.respondents = len(result.table)
    report.problems = list(problems.problems)
    return report
