"""surveytk.models: model families with design-based variance.

``fit`` is the Python entry point (:func:`surveytk.models.api.fit`); it is
imported lazily so that ``import surveytk.models`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from surveytk.models.by import ResultSet
    from surveytk.models.results import FitResult

__all__ = ["fit"]


def fit(data: Any = None, **kwargs: Any) -> FitResult | ResultSet:
    """Fit a model; see :func:`surveytk.models.api.fit`."""
    from surveytk.models.api import fit as _fit

    return _fit(data, **kwargs)
