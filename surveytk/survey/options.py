"""The design options every command shares: one frozen object, read by
:meth:`surveytk.survey.design.SurveyDesign.from_options`.

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
from typing import Any, Literal, get_args

from surveytk.errors import DesignError

#: rules for strata with one PSU (R ``options(survey.lonely.psu)``); the default of
#: every command is ``fail``, as R's and Stata's: a lonely PSU is a design question
#: the user must answer, not one a default may hide.
LonelyPSU = Literal["fail", "adjust", "certainty", "remove", "average"]
LONELY_PSU_RULES: tuple[str, ...] = get_args(LonelyPSU)
DEFAULT_LONELY_PSU: LonelyPSU = "fail"
#: types of replicate weights (shipped with ``--repweights`` or made with ``--replicates``)
RepType = Literal["bootstrap", "subbootstrap", "jk1", "jkn", "brr", "fay"]
REP_TYPES: tuple[str, ...] = get_args(RepType)
#: calibration methods (``--calibration``)
CalibrationMethod = Literal["poststratify", "rake", "linear"]
CALIBRATION_METHODS: tuple[str, ...] = get_args(CalibrationMethod)
#: fields holding one column name per stage, first to last
_STAGE_FIELDS = ("strata", "psu", "fpc")
#: fields holding numbers: a tuple of floats, or ``None``
_NUMBER_FIELDS = ("rscales", "calibration_bounds", "trim")


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
    lonely_psu: LonelyPSU = DEFAULT_LONELY_PSU
    adjust_domain_lonely: bool = False
    repweights: str | None = None
    reptype: RepType | None = None
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

    def __post_init__(self) -> None:
        for name in _STAGE_FIELDS:
            object.__setattr__(self, name, names_of(getattr(self, name)))
        for name in _NUMBER_FIELDS:
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(float(v) for v in value) or None)
        check_choice("--lonely-psu", self.lonely_psu, LONELY_PSU_RULES)
        if self.reptype is not None:
            check_choice("--reptype", self.reptype, REP_TYPES)
        if self.repweights is not None and self.reptype is None:
            raise DesignError(
                "--repweights needs --reptype (one of " + ", ".join(REP_TYPES) + ")"
            )
        if self.repweights is not None and self.replicates is not None:
            raise DesignError(
                "give either --repweights (shipped) or --replicates (made), not both"
            )
        if self.reptype == "fay" and self.rho is None:
            raise DesignError("--reptype fay needs --rho (e.g. 0.5)")

    @classmethod
    def of(cls, options: Any) -> DesignOptions:
        """The design options of ``options`` (an object or a mapping with some of the names).

        A :class:`DesignOptions` (a :class:`~surveytk.models.options.FitOptions` too) is
        returned as it is; names that ``options`` lacks, or gives as ``None``, keep
        their defaults.
        """
        if isinstance(options, DesignOptions):
            return options
        get = (
            options.get
            if isinstance(options, Mapping)
            else (lambda name, default: getattr(options, name, default))
        )
        values: dict[str, Any] = {}
        for f in dataclasses.fields(DesignOptions):
            value = get(f.name, f.default)
            values[f.name] = f.default if value is None and f.default is not None else value
        return DesignOptions(**values)


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
