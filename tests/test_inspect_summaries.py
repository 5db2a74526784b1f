"""`inspect` summaries of unlabelled columns: range, distinct values, share missing —
with no rare value and no free text shown."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from surveytk.io.inspect import inspect_frame, render_text, summarise_column
from surveytk.io.readers import read_file


def test_common_extremes_exact_rare_extremes_become_bounds() -> None:
    # 0 held by 12 rows (shown), 100 by one row (rare: hidden behind a bound)
    values = pd.Series([0.0] * 12 + list(range(1, 40)) + [100.0])
    s = summarise_column(values, pd.Series(False, index=values.index))
    assert s is not None and s.kind == "numeric"
    assert (s.minimum, s.minimum_is_bound) == (0.0, False)
    # the 10th largest is 31 (39, 38, ..., 31 and 100): at least 10 rows are >= 31
    assert (s.maximum, s.maximum_is_bound) == (31.0, True)
    assert s.n_distinct == 41 and s.share_missing == 0.0
    assert "100" not in s.text()


def test_bound_is_rounded_outward_and_stays_true() -> None:
    rng = np.random.default_rng(5)
    values = pd.Series(rng.lognormal(9, 1, size=200))
    s = summarise_column(values, pd.Series(False, index=values.index))
    assert s is not None and s.minimum_is_bound and s.maximum_is_bound
    assert (values <= s.minimum).sum() >= 10 and (values >= s.maximum).sum() >= 10
    shown = s.text()
    assert not any(f"{v:.0f}" in shown for v in (values.min(), values.max()))


def test_few_values_show_no_range_and_missing_counts() -> None:
    values = pd.Series([1.0, 2.0, np.nan, 4.0])
    s = summarise_column(values, values.isna())
    assert s is not None and s.minimum is None and s.maximum is None
    assert s.share_missing == 0.25 and s.n_valid == 3


def test_text_columns_give_counts_only(tmp_path: Path) -> None:
    secret = ["call me on 0612345678", "lives at Keizersgracht 1"] + ["ok"] * 20
    df = pd.DataFrame({"note": secret, "age": np.arange(22) + 30.0,
                       "q": [1.0, 2.0] * 11})
    path = tmp_path / "f.sav"
    pyreadstat.write_sav(df, path, variable_value_labels={"q": {1: "Yes", 2: "No"}})
    report = inspect_frame(read_file(path))
    by_name = {v.name: v for v in report.variables}
    assert by_name["note"].summary is not None and by_name["note"].summary.kind == "text"
    assert by_name["note"].summary.n_distinct == 3
    assert by_name["q"].summary is None  # labelled: the value labels say it all
    age = by_name["age"].summary
    assert age is not None and (age.minimum, age.maximum) == (39.0, 42.0)
    text = render_text(report)
    as_json = json.dumps(report.to_dict(), ensure_ascii=False, allow_nan=False)
    for out in (text, as_json):
        assert "0612345678" not in out and "Keizersgracht" not in out
    section = text.split("unlabelled columns")[1]
    age_line = next(line for line in section.splitlines() if line.strip().startswith("age "))
    assert "min ≤39" in age_line and "max ≥42" in age_line
    assert "30" not in age_line and "51" not in age_line  # the true extremes, one row each
