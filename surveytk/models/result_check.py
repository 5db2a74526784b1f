"""Check a results JSON document before it becomes a :class:`FitResult`.

``surveytk table`` and ``surveytk plot`` read files that may have been edited
by hand or damaged; every field is checked for its type and every block for
its shape here, so that a bad file ends in one line naming the field, never
in an exception deep inside a renderer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from surveytk.survey.summary import DesignSummary

_NUMERIC_TEST_KEYS = ("estimate", "std_error", "statistic", "p_value", "conf_low",
                      "conf_high", "df_num", "df_den")


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _number(d: Mapping[str, Any], key: str, *, optional: bool, where: str) -> None:
    value = d.get(key)
    if value is None and optional:
        return
    if not _is_number(value):
        raise ValueError(f"{where}{key} must be a number, not {type(value).__name__}")


def _text_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where} must be a list of text")
    return value


def _block(d: Any, where: str) -> None:
    if not isinstance(d, dict):
        raise ValueError(f"{where} must be an object")
    terms = _text_list(d.get("terms"), f"{where}.terms")
    k = len(terms)
    for key in ("effects", "y_levels"):
        if len(_text_list(d.get(key), f"{where}.{key}")) != k:
            raise ValueError(f"{where}.{key} must have one entry per term ({k})")
    est = d.get("estimates")
    if not isinstance(est, list) or len(est) != k or not all(_is_number(v) for v in est):
        raise ValueError(f"{where}.estimates must be {k} numbers")
    cov = d.get("cov")
    flat = [v for row in cov for v in (row if isinstance(row, list) else [row])] if isinstance(
        cov, list) else None
    if flat is None or len(flat) != k * k or not all(_is_number(v) for v in flat):
        raise ValueError(f"{where}.cov must be a {k}×{k} matrix of numbers")


def _design(d: Any) -> None:
    if not isinstance(d, dict):
        raise ValueError("design must be an object")
    known = {f.name: f for f in dataclasses.fields(DesignSummary)}
    unknown = sorted(set(d) - set(known))
    if unknown:
        raise ValueError(f"design has unknown field(s) {unknown[:5]}")
    for name, f in known.items():
        value = d.get(name)
        text = str(f.type)
        if name not in d:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ValueError(f"design.{name} is missing")
            continue
        if value is None and "None" in text:
            continue
        if ("int" in text or "float" in text) and _is_number(value):
            continue
        if "str" in text and isinstance(value, str):
            continue
        if "bool" in text and isinstance(value, bool):
            continue
        if "tuple" in text and isinstance(value, list):
            continue
        if "Mapping" in text and isinstance(value, dict):
            continue
        raise ValueError(f"design.{name} has the wrong type ({type(value).__name__})")


def check_result_document(d: Any) -> None:
    """Raise ``ValueError`` naming the first field of ``d`` that a FitResult cannot hold."""
    if not isinstance(d, dict):
        raise ValueError("the file holds no JSON object")
    for key in ("model", "formula", "outcome"):
        if not isinstance(d.get(key), str):
            raise ValueError(f"{key} must be text")
    for key in ("label", "base_level"):
        if d.get(key) is not None and not isinstance(d[key], str):
            raise ValueError(f"{key} must be text or null")
    _block(d.get("coef"), "coef")
    if d.get("ame"):
        _block(d["ame"], "ame")
    _design(d.get("design"))
    for key in ("df_resid", "loglik", "pseudo_r2"):
        _number(d, key, optional=True, where="")
    if not isinstance(d.get("converged", True), bool):
        raise ValueError("converged must be true or false")
    n_iter = d.get("n_iter", 0)
    if not isinstance(n_iter, int) or isinstance(n_iter, bool):
        raise ValueError("n_iter must be a whole number")
    _text_list(d.get("y_levels", []), "y_levels")
    _text_list(d.get("notes", []), "notes")
    dropped = d.get("dropped", {})
    if not isinstance(dropped, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in dropped.values()):
        raise ValueError("dropped must map names to whole numbers")
    if not isinstance(d.get("extra", {}), dict):
        raise ValueError("extra must be an object")
    tests = d.get("tests", [])
    if not isinstance(tests, list):
        raise ValueError("tests must be a list")
    for i, t in enumerate(tests):
        if not isinstance(t, dict):
            raise ValueError(f"tests[{i}] must be an object")
        for key in ("effect", "term"):
            if not isinstance(t.get(key), str):
                raise ValueError(f"tests[{i}].{key} must be text")
        for key in _NUMERIC_TEST_KEYS:
            if key in t and t[key] is not None and not _is_number(t[key]):
                raise ValueError(f"tests[{i}].{key} must be a number")
