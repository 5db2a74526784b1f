"""surveytk.models: model families with design-based variance.

``fit`` is the Python entry point (:func:`surveytk.models.api.fit`); it is
imported lazily so that ``import surveytk.models`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["fit"]


def __getattr__(name: str) -> Any:
    if name == "fit":
        return importlib.import_module("surveytk.models.api").fit
    raise AttributeError(f"module 'surveytk.models' has no attribute {name!r}")
