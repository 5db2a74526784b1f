"""surveytk: survey microdata on people displaced from Ukraine.

Heavy modules are imported lazily: ``import surveytk`` costs little, and the
public API is reached as attributes (``surveytk.read_file``, ``surveytk.fit``).
Harmonising lives in its subpackage: ``from surveytk.harmonise import harmonise``.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name → module that defines it
_LAZY: dict[str, str] = {
    "read_file": "surveytk.io.readers",
    "LabelledFrame": "surveytk.io.labelled",
    "VariableMeta": "surveytk.io.labelled",
    "FileMeta": "surveytk.io.labelled",
    "write_synthetic_sources": "surveytk.synth",
    "load_codebook": "surveytk.codebook",
    "SurveyDesign": "surveytk.design",
    "fit": "surveytk.models",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'surveytk' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
