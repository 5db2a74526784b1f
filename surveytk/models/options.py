"""Options of a model fit: one frozen object that the CLI, the Python API and
analysis specs all build, and every model family reads.

The option names mirror the ``surveytk fit`` flags, which are a contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from surveytk.errors import ModelError
from surveytk.models.registry import GLM_MODELS, MODEL_NAMES
from surveytk.survey.options import DesignOptions

AmeVce = Literal["conditional", "unconditional"]
Link = Literal["log", "identity", "sqrt", "inverse"]

AME_VCES: tuple[str, ...] = get_args(AmeVce)
LINKS: tuple[str, ...] = get_args(Link)


def check_choice(option: str, value: str, allowed: tuple[str, ...]) -> None:
    """Raise a clear error listing the allowed values (pyfixest style)."""
    if value not in allowed:
        raise ModelError(
            f"{option}: expecting one of {{{', '.join(allowed)}}}; got {value!r}",
            variable=option,
            value=value,
        )


@dataclass(frozen=True, kw_only=True)
class FitOptions(DesignOptions):
    """Everything a fit needs besides the data: the design, then the model.

    The design fields (``weights`` … ``respondent``), their defaults and their
    checks are those of :class:`surveytk.survey.options.DesignOptions`: ``strata``,
    ``psu`` and ``fpc`` take one column per stage (a name or a tuple), first to
    last; ``replicates``/``seed`` ask for replicate weights made from the design
    (bootstrap, or jackknife with ``reptype='jk1'|'jkn'``); ``repweights`` is a
    regular expression selecting replicate-weight columns shipped with the data.
    ``model`` is a name of :data:`surveytk.models.registry.MODEL_NAMES`.

    After the fit: ``wald`` (term lists, each tested jointly as R
    ``regTermTest``), ``contrast`` (linear combinations, as ``svycontrast``),
    ``predict`` (representative values, ``"age=18:75:5, gender"``),
    ``ame_vce`` and ``discrete`` (AME variance and 0/1 variables by discrete
    change). ``by`` fits the model once per level of a column (as domains of
    the full design); ``link``/``offset``/``exposure`` serve the GLM families.
    """

    model: str
    formula: str
    ame: bool = False
    base: str | None = None
    entity: str | None = None
    time: str | None = None
    label: str | None = None
    maxiter: int = 100
    tol: float = 1e-10
    link: Link | None = None
    offset: str | None = None
    exposure: str | None = None
    wald: tuple[str, ...] = ()
    contrast: tuple[str, ...] = ()
    predict: tuple[str, ...] = ()
    ame_vce: AmeVce = "conditional"
    discrete: tuple[str, ...] = ()
    by: str | None = None

    def __post_init__(self) -> None:
        check_choice("--model", self.model, MODEL_NAMES)
        for name in ("wald", "contrast", "predict", "discrete"):
            value = getattr(self, name)
            if isinstance(value, str):  # one expression given as text, not a list
                object.__setattr__(self, name, (value,))
            else:
                object.__setattr__(self, name, tuple(value))
        super().__post_init__()
        check_choice("--ame-vce", self.ame_vce, AME_VCES)
        self._check_glm_options()

    def _check_glm_options(self) -> None:
        if self.link is not None:
            check_choice("--link", self.link, LINKS)
        glm_only = {"--link": self.link, "--offset": self.offset, "--exposure": self.exposure}
        given = [k for k, v in glm_only.items() if v is not None]
        if given and self.model not in GLM_MODELS:
            raise ModelError(
                f"{', '.join(given)} apply to the models {', '.join(GLM_MODELS)}, "
                f"not {self.model}"
            )
        if self.offset is not None and self.exposure is not None:
            raise ModelError("give --offset COL or --exposure COL, not both")
