"""``codebook check``: everything in a delivery that does not fit its crosswalk.

Absent files and variables, codes in the data that the map lacks, labels that
differ from the map's, values of the wrong type, unmatched join keys — all
listed together, never stopping at the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from surveytk.codebook.loader import Codebook, load_codebook
from surveytk.errors import Problem, ProblemList, ReadError
from surveytk.io.labelled import LabelledFrame


@dataclass
class CheckReport:
    """Result of checking a delivery against a crosswalk."""

    codebook: str
    version: str
    files: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    respondents: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """A short OK line or the list of problems."""
        if self.ok:
            files = ", ".join(f"{k} ({v} rows)" for k, v in self.files.items())
            return (f"OK: {self.codebook} v{self.version} fits the delivery: {files}; "
                    f"{self.respondents} respondents harmonise")
        lines = [f"{self.codebook} v{self.version}: {len(self.problems)} problem(s):"]
        lines += [f"  - {p.message}" for p in self.problems]
        return "\n".join(lines)


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
                f"{lf.file.path}: {col} holds text but the map of {name} is keyed by numeric "
                f"codes ({book.where('variables', name, 'map')}); key it by the text values",
                file=lf.file.path, variable=col))
        elif text_keys and is_numeric:
            out.append(Problem(
                f"{lf.file.path}: {col} holds numeric codes but the map of {name} is keyed by "
                f"text ({book.where('variables', name, 'map')}); key it by the codes",
                file=lf.file.path, variable=col))
    return out


def check_delivery(codebook: str | Path | Codebook, input_dir: str | Path) -> CheckReport:
    """Compare a crosswalk with the delivered files; collect every misfit.

    Parameters
    ----------
    codebook
        Name, path or loaded codebook.
    input_dir
        Folder with the delivered files.

    Returns
    -------
    CheckReport
        ``ok`` is true when the delivery harmonises without a problem.
    """
    from surveytk.harmonise.engine import run_checked
    from surveytk.harmonise.frames import delivered_path, needed_columns
    from surveytk.io.readers import read_file

    book = codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
    report = CheckReport(codebook=book.name, version=book.version)
    problems = ProblemList()
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
            problems.add(f"{path}: file {spec.path!r} ({alias}) named in {book.path.name} "
                         "is missing", file=str(path))
            continue
        path = found
        try:
            frames[alias] = read_file(path, encoding=spec.encoding, format=spec.format,
                                      sheet=spec.sheet)
        except ReadError as exc:
            problems.add(exc.message, file=str(path))
            continue
        report.files[alias] = len(frames[alias])
        absent = [c for c in need[alias] if c not in frames[alias].data.columns]
        for col in absent:
            problems.add(f"{path}: variable {col!r} used by {book.path.name} is not in the file",
                         file=str(path), variable=col)
    problems.extend(_type_problems(book, frames))
    if len(frames) == len(book.crosswalk.files) and not problems:
        result = run_checked(book, frames, problems)
        if result is not None:
            report.respondents = len(result.table)
    report.problems = list(problems.problems)
    return report
