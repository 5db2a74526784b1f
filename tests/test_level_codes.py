"""`ordered_level_codes` (one factorisation) equals `level_order` + `level_codes` (two),
also on float32 columns, on which `level_codes` raised a KeyError (the two functions
made different texts of the same value)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveytk.survey.shares import level_codes, level_order, ordered_level_codes


def _series(kind: int, rng: np.random.Generator) -> pd.Series:
    n = int(rng.integers(1, 200))
    if kind == 0:
        s = pd.Series(rng.integers(-3, 5, n).astype(float))
        s[rng.random(n) < 0.2] = np.nan
        return s
    if kind == 1:
        return pd.Series(rng.integers(0, 1000, n))
    if kind == 2:
        s = pd.Series(rng.integers(0, 4, n), dtype="Int64")
        s[rng.random(n) < 0.3] = pd.NA
        return s
    if kind == 3:
        return pd.Series(rng.choice([0.0, -0.0, 1.5, 2.0, np.inf, -np.inf, np.nan], n))
    if kind == 4:
        return pd.Series(rng.choice(["b", "a", None, "c"], n))
    if kind == 5:
        return pd.Series(rng.normal(size=n).round(1), dtype="float32")
    if kind == 7:  # integers of every width, coded by counting, or hashed beyond a narrow range
        dtype = rng.choice(["int8", "int16", "uint16", "int32", "uint32", "int64", "uint64"])
        low, span = int(rng.integers(-50, 50)), int(rng.choice([1, 9, 70, 10**12]))
        low = max(low, 0) if dtype.startswith("u") else low
        span = span if dtype.endswith("64") else min(span, 70)
        return pd.Series(low + rng.integers(0, span, n), dtype=dtype)
    return pd.Series(rng.choice([True, False], n))


@pytest.mark.parametrize("kind", range(8))
def test_one_factorisation_equals_the_two_calls(kind: int) -> None:
    rng = np.random.default_rng(kind)
    for _ in range(40):
        s = _series(kind, rng)
        levels = level_order(s)
        codes, got_levels = ordered_level_codes(s)
        assert got_levels == levels
        assert np.array_equal(codes, level_codes(s, levels)[0])


def test_float32_levels_are_ordered_and_coded() -> None:
    s = pd.Series(np.array([0.25, 0.5, 0.25, np.nan, -1.0], dtype="float32"))
    codes, levels = ordered_level_codes(s)
    assert levels == ["-1", "0.25", "0.5"]
    assert codes.tolist() == [1, 2, 1, -1, 0]
    assert level_codes(s, level_order(s))[0].tolist() == [1, 2, 1, -1, 0]
