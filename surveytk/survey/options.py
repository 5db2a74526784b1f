"""The design options every command shares: one frozen object, read by
:meth:`surveytk.design.SurveyDesign.from_options`.

``fit``, ``tabulate``, ``estimate`` and analysis specs all describe a design
with these names (the ``--`` flags with ``_`` for ``-``). Any object carrying
some of these attributes (a :class:`~surveytk.models.options.FitOptions`, a
mapping's values) is read by :meth:`DesignOptions.of`; the attributes it lacks
keep their defaults.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from surveytk.errors import DesignError

#: rules for strata with one PSU (R ``options(survey.lonely.psu)``); the default of
#: every command is ``fail``, as R's and Stata's: a lonely PSU is a design question
#: the user must answer, not one a default may hide.
LONELY_PSU_RULES = ("fail", "adjust", "certainty", "remove", "average")
DEFAULT_LONELY_PSU = "fail"
#: types of replicate weights (shipped with ``--repweights`` or made with ``--replicates``)
REP_TYPES = ("bootstrap", "subbootstrap", "jk1", "jkn", "brr", "fay")
#: calibration methods (``--calibration``)
CALIBRATION_METHODS = ("poststratify", "rake", "linear")


@dataclass(frozen=True)
class DesignOptions:
    """A survey design as the command line and specs give it.

    ``strata``, ``psu`` and ``fpc`` are tuples of column names, one per stage,
    first to last (a single string is one stage). ``fpc_weights``: without a
    weight column, weight by the inverse sampling fractions of the fpc (R); off
    for unweighted counts.
    """

    weights: str | None = None
    strata: tuple[str, ...] = ()
    psu: tuple[str, ...] = ()
    fpc: tuple[str, ...] = ()
    lonely_psu: str = DEFAULT_LONELY_PSU
    adjust_domain_lonely: bool = False
    repweights: str | None = None
    reptype: str | None = None
    rho: float | None = None
    mse: bool = False
    scale: float | None = None
    rscales: tuple[float, ...] | None = None
    replicates: int | None = None
    seed: int | None = None
    subpop: str | None = None
    calibrate: str | None = None
    calibration: str = "linear"
    calibration_bounds: tuple[float, float] | None = None
    trim: tuple[float, float] | None = None
    nonresponse: str | None = None
    respondent: str | None = None
    fpc_weights: bool = True

    @classmethod
    def of(cls, options: Any) -> DesignOptions:
        """The design options of ``options`` (an object or a mapping with some of the names)."""
        if isinstance(options, DesignOptions):
            return options
        get = (
            options.get
            if isinstance(options, Mapping)
            else (lambda name, default: getattr(options, name, default))
        )
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            default = f.default
            value = get(f.name, default)
            if f.name in ("strata", "psu", "fpc"):
                value = names_of(value)
            elif f.name in ("rscales", "calibration_bounds", "trim") and value is not None:
                value = tuple(float(v) for v in value) or None
            values[f.name] = default if value is None and default is not None else value
        return cls(**values)


def names_of(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """A design option as a tuple of column names (``None``, ``""`` and ``()`` → ``()``)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value if v)


def check_choice(option: str, value: str, allowed: Sequence[str]) -> None:
    """Raise a clear error listing the allowed values."""
    if value not in allowed:
        raise DesignError(
            f"{option}: expecting one of {{{', '.join(allowed)}}}; got {value!r}",
            variable=option,
        )
