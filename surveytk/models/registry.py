"""Model family registry: model name → module exposing ``fit(data, options)``.

The one list of model names: :data:`MODEL_NAMES` (the ``--model`` choices of
``surveytk fit``, the ``model=`` of :func:`surveytk.fit` and analysis specs) and
:data:`GLM_MODELS` derive from :data:`FAMILY_MODULES`. Each family module defines
``fit(data: pandas.DataFrame, options: FitOptions) -> FitResult``. New families
register here; nothing else dispatches on names.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from surveytk.models.results import FitResult

#: the module fitting each model
FAMILY_MODULES: dict[str, str] = {
    "logit": "surveytk.models.binary",
    "probit": "surveytk.models.binary",
    "lpm": "surveytk.models.binary",
    "ologit": "surveytk.models.ordinal",
    "oprobit": "surveytk.models.ordinal",
    "mlogit": "surveytk.models.multinomial",
    "panel-fe": "surveytk.models.panel",
    "panel-re": "surveytk.models.panel",
    "poisson": "surveytk.models.glm",
    "quasipoisson": "surveytk.models.glm",
    "negbin": "surveytk.models.glm",
    "gamma": "surveytk.models.glm",
}
#: every model name, in the order above
MODEL_NAMES: tuple[str, ...] = tuple(FAMILY_MODULES)
#: the binary-outcome families (:mod:`surveytk.models.binary`; predictions of specs)
BINARY_MODELS: tuple[str, ...] = tuple(
    name for name, module in FAMILY_MODULES.items() if module == "surveytk.models.binary"
)
#: families fitted by :mod:`surveytk.models.glm` (``--link``, ``--offset``, ``--exposure``)
GLM_MODELS: tuple[str, ...] = tuple(
    name for name, module in FAMILY_MODULES.items() if module == "surveytk.models.glm"
)
if TYPE_CHECKING:
    ModelName = str
else:  # the names above as a Literal, for the signatures and pydantic's checks of specs
    ModelName = Literal[MODEL_NAMES]

#: a family's ``fit(data, options)``: a pandas DataFrame and a
#: :class:`~surveytk.models.options.FitOptions` (which names its model here) in,
#: a :class:`~surveytk.models.results.FitResult` out
FamilyFit = Callable[..., "FitResult"]


def family_fit(model: str) -> FamilyFit:
    """The ``fit`` function of the family that estimates ``model``."""
    module = importlib.import_module(FAMILY_MODULES[model])
    fit: FamilyFit = module.fit
    return fit


__all__ = ["FAMILY_MODULES", "GLM_MODELS", "MODEL_NAMES", "FamilyFit", "ModelName", "family_fit"]
