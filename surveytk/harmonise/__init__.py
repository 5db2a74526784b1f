"""Apply crosswalks (harmonise), pool harmonised sources, write outputs and audits.

Public API (imported lazily)::

    harmonise(codebook, input_dir) -> HarmoniseResult
    harmonise_frames(codebook, {alias: LabelledFrame}) -> HarmoniseResult
    harmonise_to_file(codebook, input_dir, out, audit=None, fmt=None)
    check_delivery(codebook, input_dir) -> CheckReport   (``codebook check``)
    pool_tables(paths, weights="sample") -> PoolResult
    write_data(table, path, fmt=None, provenance=None, schema=None)
    read_provenance(path) -> dict
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "harmonise": "surveytk.harmonise.engine",
    "harmonise_frames": "surveytk.harmonise.engine",
    "HarmoniseResult": "surveytk.harmonise.engine",
    "harmonise_to_file": "surveytk.harmonise.run",
    "check_delivery": "surveytk.harmonise.delivery_check",
    "CheckReport": "surveytk.harmonise.delivery_check",
    "pool_tables": "surveytk.harmonise.pool",
    "PoolResult": "surveytk.harmonise.pool",
    "scale_weights": "surveytk.harmonise.pool",
    "write_data": "surveytk.harmonise.output",
    "read_provenance": "surveytk.harmonise.output",
    "REGISTRY": "surveytk.harmonise.derivations",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'surveytk.harmonise' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
