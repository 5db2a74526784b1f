"""The codebook model (common schema + crosswalks), loading, checking, drafting and docs.

Checking a delivery against a crosswalk runs the harmonisation engine, so it lives
above this package: :func:`surveytk.harmonise.check_delivery`.

Public API (imported lazily)::

    load_codebook(name_or_path) -> Codebook
    load_schema(path=None) -> Schema
    draft_crosswalk(source, files) -> str
    write_docs(out_dir, codebooks=None, data=())
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "load_codebook": "surveytk.codebook.loader",
    "load_schema": "surveytk.codebook.loader",
    "Codebook": "surveytk.codebook.book",
    "Schema": "surveytk.codebook.model",
    "Crosswalk": "surveytk.codebook.model",
    "MISSING_REASONS": "surveytk.codebook.model",
    "draft_crosswalk": "surveytk.codebook.draft",
    "write_docs": "surveytk.codebook.docs",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'surveytk.codebook' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
