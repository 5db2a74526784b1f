"""Model family registry: model name → module exposing ``fit(data, options)``.

Each family module defines ``fit(data: pandas.DataFrame, options: FitOptions)
-> FitResult``. New families register here; nothing else dispatches on names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol

from surveytk.models.options import FitOptions

if TYPE_CHECKING:
    import pandas as pd

    from surveytk.models.results import FitResult

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


class FamilyFit(Protocol):
    def __call__(self, data: pd.DataFrame, options: FitOptions) -> FitResult: ...


def family_fit(model: str) -> FamilyFit:
    """The ``fit`` function of the family that estimates ``model``."""
    module = importlib.import_module(FAMILY_MODULES[model])
    fit: FamilyFit = module.fit
    return fit
