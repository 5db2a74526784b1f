"""Synthetic Finland file against SOURCES.md: names, exact English labels, 99 not declared."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from surveytk.synth import generate_truth, write_synthetic_sources

SHARED_DATA = Path(__file__).resolve().parent / "data" / "lookups"
SEED = 11
SCALE = 1.0  # n ≈ 2,085

VARIABLES = ["id", "q1", "q2", "q3", "q5", "q8", "q12", "q15", "q30", "q31", "resp_date"]
EXPECTED = {
    "q1": {1: "Female", 2: "Male", 3: "Other", 4: "Prefer not to say"},
    "q2": {1: "18-24", 2: "25-34", 3: "35-44", 4: "45-54", 5: "55-64", 6: "65 or older"},
    "q12": {1: "Yes", 2: "No"},
    "q15": {1: "Employed full-time", 2: "Employed part-time", 3: "Entrepreneur", 4: "Student",
            5: "Unemployed", 6: "Parental leave", 7: "Retired", 8: "Other"},
    "q30": {1: "Return to Ukraine after the war", 2: "Return to Ukraine as soon as possible",
            3: "Stay in Finland", 4: "Move to another country", 5: "Undecided"},
}  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, object]:
    out = tmp_path_factory.mktemp("fi")
    written = write_synthetic_sources(out, seed=SEED, scale=SCALE, sources=["fi_moi"])
    assert written == {"fi_moi": [out / "fi_moi" / "fi_moi_2025.sav"]}
    return pyreadstat.read_sav(str(written["fi_moi"][0]), user_missing=True)


def test_variables_and_labels(data: tuple[pd.DataFrame, object]) -> None:
    df, meta = data
    assert list(df.columns) == VARIABLES
    labels = meta.variable_value_labels  # type: ignore[attr-defined]
    for name, expected in EXPECTED.items():
        assert labels[name] == {float(k): v for k, v in {**expected, 99: "No answer"}.items()}
    with (SHARED_DATA / "oblasts_ua.csv").open(encoding="utf-8") as fh:
        oblasts = {float(r["soep_lr3586"]): r["name_en"] for r in csv.DictReader(fh)}
    assert labels["q3"] == {**oblasts, 99.0: "No answer"}
    for name in VARIABLES[1:-1]:
        assert labels[name][99.0] == "No answer", name  # on every item


def test_99_is_not_declared_missing(data: tuple[pd.DataFrame, object]) -> None:
    df, meta = data
    assert meta.missing_ranges == {}  # type: ignore[attr-defined]
    plain = df  # read with user_missing=True; without it 99 must stay a value too
    assert (plain["q30"] == 99).sum() > 0
    for name in ("q1", "q2", "q3", "q12", "q15", "q30"):
        allowed = set(meta.variable_value_labels[name])  # type: ignore[attr-defined]
        assert set(df[name].unique()) <= allowed, name


def test_resp_date_is_a_ddmmyyyy_string(data: tuple[pd.DataFrame, object]) -> None:
    df, meta = data
    assert meta.original_variable_types["resp_date"].startswith("A")  # type: ignore[attr-defined]
    assert df["resp_date"].map(lambda s: bool(re.fullmatch(r"\d\d\.0[78]\.2025", s))).all()


def test_shares_near_published(data: tuple[pd.DataFrame, object]) -> None:
    df, _ = data
    n = len(df)
    assert 2_000 <= n <= 2_200
    tol = 4 * np.sqrt(0.25 / n) + 0.01
    q30 = df.loc[df["q30"] != 99, "q30"].value_counts(normalize=True)
    assert q30[3.0] == pytest.approx(0.66, abs=tol)
    assert q30[5.0] == pytest.approx(0.26, abs=tol)
    assert q30[1.0] == pytest.approx(0.06, abs=tol / 2)
    q15 = df.loc[df["q15"] != 99, "q15"]
    assert q15.isin([1, 2, 3]).mean() == pytest.approx(0.30, abs=tol)
    east = df.loc[df["q3"] != 99, "q3"].isin([1, 2, 3, 5, 6, 10, 12, 13, 16, 18, 22, 27])
    assert east.mean() == pytest.approx(0.63, abs=tol)


def test_truth_matches_file_by_mapping_rules(data: tuple[pd.DataFrame, object]) -> None:
    df, _ = data
    truth = generate_truth(SEED, SCALE, "fi_moi").set_index("respondent_id")
    t = truth.loc["fi_moi:2025:" + df["id"].astype(int).astype(str)]
    mid = {1: 21, 2: 30, 3: 40, 4: 50, 5: 60, 6: 70}
    q2 = df["q2"].astype(int).to_numpy()
    age = t["age"].to_numpy(dtype=object, na_value=None)
    assert all(age[i] == mid[b] for i, b in enumerate(q2) if b != 99)
    assert all(age[i] is None for i, b in enumerate(q2) if b == 99)
    assert t["age_is_banded"].all()
    q1 = df["q1"].to_numpy()
    reasons = t["gender_missing"].astype(object).to_numpy()
    assert (reasons[q1 == 3] == "not_applicable").all()
    assert (reasons[q1 == 4] == "refused").all()
    q30 = df["q30"].to_numpy()
    cat = t["intention_category"].astype(object).to_numpy()
    ri = t["return_intention"].astype(object).to_numpy()
    assert (cat[q30 == 4] == "move_on").all() and pd.isna(ri[q30 == 4]).all()
    assert (ri[q30 == 2] == "return_soon").all() and (ri[q30 == 1] == "return_someday").all()
    emp = t["employed"].to_numpy(dtype=object, na_value=None)
    q15 = df["q15"].to_numpy()
    assert (emp[np.isin(q15, [1, 2, 3])] == True).all()  # noqa: E712
    assert (emp[np.isin(q15, [4, 5, 6, 7, 8])] == False).all()  # noqa: E712
    assert (t["weight"] == 1.0).all() and t["psu"].isna().all()
