"""The derivations a crosswalk may name, and the arguments each accepts.

This is the definition side: what :mod:`surveytk.codebook.validate` and
:mod:`surveytk.codebook.extend` check a codebook against. The functions that
compute the derived columns live in :mod:`surveytk.harmonise.derivations`, one
per signature here (a test holds the two lists equal).

Arguments listed in ``inputs`` are references (``<file>.<column>`` or
``$<common variable>``), ``input_lists`` are lists of references, and
``mixed_lists`` are lists whose items may be references or constants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class DerivationSignature:
    """A derivation's name and the arguments it accepts."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    input_lists: tuple[str, ...] = ()
    mixed_lists: tuple[str, ...] = ()

    @property
    def allowed(self) -> tuple[str, ...]:
        return self.required + self.optional


_SIGNATURES = (
    DerivationSignature("constant", required=("value",)),
    DerivationSignature("make_id", required=("parts",), optional=("sep",),
                        mixed_lists=("parts",)),
    DerivationSignature(
        "age_from_birth",
        required=("birth_year",),
        optional=("birth_month", "ref_year", "ref_month", "ref_date"),
        inputs=("birth_year", "birth_month", "ref_year", "ref_month", "ref_date"),
    ),
    DerivationSignature("band_midpoint", required=("input", "midpoints"), inputs=("input",)),
    DerivationSignature(
        "months_between",
        required=("from_year",),
        optional=("from_month", "to_year", "to_month", "to_date"),
        inputs=("from_year", "from_month", "to_year", "to_month", "to_date"),
    ),
    DerivationSignature("greater_than", required=("input", "threshold"), inputs=("input",)),
    DerivationSignature("scale", required=("input", "factor"), inputs=("input",)),
    DerivationSignature("cut", required=("input", "breaks", "labels"), optional=("below",),
                        inputs=("input",)),
    DerivationSignature("recode", required=("input", "map"), inputs=("input",)),
    DerivationSignature("combine", required=("inputs", "rules"), input_lists=("inputs",)),
    DerivationSignature(
        "lookup",
        required=("input", "table", "key", "value"),
        optional=("label_column", "label_format", "match"),
        inputs=("input",),
    ),
    DerivationSignature("date_parse", required=("input",), optional=("format",),
                        inputs=("input",)),
    DerivationSignature("date_from_parts", required=("year", "month"), optional=("day",),
                        inputs=("year", "month", "day")),
    DerivationSignature("roster_value", required=("roster", "line_column", "line", "value"),
                        inputs=("line",)),
    DerivationSignature(
        "count_roster",
        required=("roster", "column"),
        optional=("min", "max", "exclude_line_column", "exclude_line"),
        inputs=("exclude_line",),
    ),
)

#: Every derivation a crosswalk or the schema may name, by name.
SIGNATURES: Mapping[str, DerivationSignature] = {s.name: s for s in _SIGNATURES}


def is_reference(value: object, aliases: Sequence[str] = ()) -> bool:
    """Whether an argument is a reference: ``$var`` or ``<file alias>.<column>``."""
    if not isinstance(value, str):
        return False
    if value.startswith("$"):
        return True
    head, dot, tail = value.partition(".")
    return bool(dot and tail and head in aliases)
