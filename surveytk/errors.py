"""The one error tree of surveytk.

Library code raises these and never prints or exits; the CLI turns a
:class:`SurveytkError` into one line on stderr and a non-zero exit code.
Messages name the file, the variable and what to do, and never contain
row-level values of licensed data beyond codes and labels of the file's
metadata.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


class SurveytkError(Exception):
    """Base of every error surveytk raises on purpose.

    Parameters
    ----------
    message
        One line: what was expected, what was found, what to do.
    file, variable, value, reason
        Structured fields for programs and tests; ``value`` is a source code or
        label from file metadata, never a respondent's data.
    """

    exit_code: int = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        variable: str | None = None,
        value: object = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.variable = variable
        self.value = value
        self.reason = reason

    def __str__(self) -> str:
        return self.message


class ReadError(SurveytkError):
    """A file cannot be read: missing, truncated, corrupt, unsupported, wrong encoding."""

    exit_code = 2


class CodebookError(SurveytkError):
    """A codebook is invalid, or a delivery does not fit its codebook."""


class HarmoniseError(SurveytkError):
    """Harmonising stopped: a value, row or join could not be accounted for."""


class DesignError(SurveytkError):
    """A survey design is invalid (weights, strata, PSUs, replicate weights)."""


class ModelError(SurveytkError):
    """A model cannot be estimated, or its result would be wrong."""


class FormulaError(ModelError):
    """A formula is outside the restricted grammar or names unknown columns."""


class SpecError(SurveytkError):
    """An analysis spec is invalid."""


class OutputError(SurveytkError):
    """An output cannot be written (would overwrite an input, bad format, ...)."""


@dataclass(frozen=True)
class Problem:
    """One finding of a check that collects everything before failing."""

    message: str
    file: str | None = None
    variable: str | None = None
    value: object = None
    reason: str | None = None


@dataclass
class ProblemList:
    """Collects :class:`Problem` items and raises them together (pandera's lazy mode)."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, **fields: object) -> None:
        """Add a problem; the same message twice (e.g. from three derivations of one
        broken input) is kept once."""
        if any(p.message == message for p in self.problems):
            return
        self.problems.append(Problem(message, **fields))  # type: ignore[arg-type]

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def raise_if_any(self, error: type[SurveytkError], headline: str) -> None:
        """Raise ``error`` listing every problem, one per line, if there are any."""
        if not self.problems:
            return
        raise error(format_problems(headline, self.problems), reason="multiple")


def format_problems(headline: str, problems: Sequence[Problem]) -> str:
    """``headline (N problems):`` followed by one indented line per problem."""
    n = len(problems)
    lines = [f"{headline} ({n} problem{'s' if n != 1 else ''}):"]
    lines.extend(f"  - {p.message}" for p in problems)
    return "\n".join(lines)
