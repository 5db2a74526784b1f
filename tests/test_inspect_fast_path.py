"""The numpy path of ``inspect`` for float columns reports what the pandas path reports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveytk.io.delivered_frame import VariableMeta
from surveytk.io.inspect import _inspect_float, summarise_column


def _pandas_report(col: pd.Series, meta: VariableMeta) -> tuple[int, int | None, object]:
    """Missing count, unlabelled count and summary as the general (pandas) path makes them."""
    system = col.isna()
    unlabelled = None
    if meta.value_labels:
        unlabelled = int((~system & ~col.isin(list(meta.value_labels))).sum())
    summary = None if meta.value_labels else summarise_column(col, system)
    return int(system.sum()), unlabelled, summary


@pytest.mark.parametrize("labelled", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_float_path_matches_pandas_path(labelled: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(-2, 6, 400).astype(float)
    values[rng.uniform(size=400) < 0.1] = np.nan
    values[:3] = [np.inf, -np.inf, 1e9]  # extremes the disclosure rule must bound
    col = pd.Series(values)
    labels = {1: "one", 2.0: "two", np.int64(3): "three", "x": "text key"} if labelled else {}
    meta = VariableMeta(name="v", value_labels=labels)
    report = _inspect_float(col.to_numpy(), meta)
    system, unlabelled, summary = _pandas_report(col, meta)
    assert report.n_missing_system == system
    assert report.n_missing_declared == 0
    assert report.n_unlabelled == unlabelled
    assert report.summary == summary
