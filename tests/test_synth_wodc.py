"""Synthetic WODC file against SOURCES.md: names, Dutch labels, declared user-missing, shares."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from surveytk.synth import generate_truth, write_synthetic_sources

SHARED_DATA = Path(__file__).resolve().parent / "data" / "lookups"
SEED = 7
SCALE = 1.0  # n ≈ 3,050: shares need the full sample

VARIABLES = [
    "respnr", "gewicht", "strata", "geslacht", "geboortejaar", "interviewdatum",
    "betaald_werk", "kinderen_u18", "partner_kind_oekraine", "herkomst_oblast",
    "aankomst_jaar", "aankomst_maand", "terugkeer_veilig", "opvang",
]  # fmt: skip
CATEGORICAL = [
    "geslacht", "betaald_werk", "partner_kind_oekraine", "herkomst_oblast",
    "terugkeer_veilig", "opvang",
]  # fmt: skip
MISSING = {98: "Weet niet", 99: "Wil niet zeggen"}
EXPECTED = {
    "geslacht": {1: "Man", 2: "Vrouw", 3: "Anders / wil niet zeggen"},
    "betaald_werk": {1: "Ja", 2: "Nee"},
    "partner_kind_oekraine": {1: "Ja", 2: "Nee"},
    "terugkeer_veilig": {1: "Ja", 2: "Nee", 3: "Twijfel"},
    "opvang": {1: "Gemeentelijke opvang", 2: "Particuliere opvang", 3: "Eigen woning"},
}


@pytest.fixture(scope="module")
def sav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wodc")
    written = write_synthetic_sources(out, seed=SEED, scale=SCALE, sources=["wodc"])
    assert written == {"wodc": [out / "wodc" / "locov_w1.sav"]}
    return written["wodc"][0]


@pytest.fixture(scope="module")
def data(sav: Path) -> tuple[pd.DataFrame, object]:
    return pyreadstat.read_sav(str(sav), user_missing=True)


def _oblast_rows() -> list[dict[str, str]]:
    with (SHARED_DATA / "oblasts_ua.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_variables_and_labels(data: tuple[pd.DataFrame, object]) -> None:
    df, meta = data
    assert list(df.columns) == VARIABLES
    labels = meta.variable_value_labels  # type: ignore[attr-defined]
    for name, expected in EXPECTED.items():
        assert labels[name] == {float(k): v for k, v in {**expected, **MISSING}.items()}, name
    oblast = labels["herkomst_oblast"]
    assert oblast[2.0] == "Kharkiv Oblast (Харківська область)"
    for row in _oblast_rows():
        assert oblast[float(row["soep_lr3586"])] == f"{row['name_en']} ({row['name_uk']})"
    assert len(oblast) == 27 + 2
    var_labels = meta.column_names_to_labels  # type: ignore[attr-defined]
    assert var_labels["terugkeer_veilig"] == "Wilt u terugkeren als Oekraïne weer veilig is?"
    assert all(var_labels[v] for v in VARIABLES)


def test_user_missing_declared_on_every_categorical_item(data: tuple[pd.DataFrame, object]) -> None:
    df, meta = data
    ranges = meta.missing_ranges  # type: ignore[attr-defined]
    for name in CATEGORICAL:
        assert sorted(r["lo"] for r in ranges[name]) == [98.0, 99.0], name
        assert all(r["lo"] == r["hi"] for r in ranges[name])
    assert "geboortejaar" not in ranges and "gewicht" not in ranges
    # the codes are used, and every value is a labelled code
    assert (df["terugkeer_veilig"] == 98).sum() > 0
    assert (df["geslacht"] == 99).sum() > 0
    for name in CATEGORICAL:
        allowed = set(meta.variable_value_labels[name])  # type: ignore[attr-defined]
        assert set(df[name].unique()) <= allowed, name


def test_interview_date_is_an_spss_date(data: tuple[pd.DataFrame, object]) -> None:
    df, meta = data
    assert meta.original_variable_types["interviewdatum"].startswith("DATE")  # type: ignore[attr-defined]
    days = df["interviewdatum"]
    assert all(isinstance(d, date) for d in days)
    assert min(days) >= date(2023, 10, 1) and max(days) <= date(2024, 4, 30)


def test_shares_near_published(data: tuple[pd.DataFrame, object]) -> None:
    df, _ = data
    n = len(df)
    assert 2_900 <= n <= 3_200
    tol = 4 * np.sqrt(0.25 / n) + 0.01  # 4 SE plus calibration slack
    ret = df.loc[df["terugkeer_veilig"] < 98, "terugkeer_veilig"]
    shares = ret.value_counts(normalize=True)
    assert shares[1.0] == pytest.approx(0.22, abs=tol)
    assert shares[2.0] == pytest.approx(0.30, abs=tol)
    assert shares[3.0] == pytest.approx(0.48, abs=tol)
    work = df.loc[df["betaald_werk"] < 98, "betaald_werk"]
    assert 0.50 <= (work == 1).mean() <= 0.50 + 2 * tol  # "slightly over half"
    rows = {int(r["soep_lr3586"]): r["origin_area"] for r in _oblast_rows()}
    area = df.loc[df["herkomst_oblast"] < 98, "herkomst_oblast"].astype(int).map(rows)
    published = {"occupied": 0.21, "frontline": 0.313, "kyiv": 0.20, "lviv": 0.05,
                 "west": 0.10, "centre": 0.11}  # fmt: skip
    got = area.value_counts(normalize=True)
    for key, share in published.items():
        assert got[key] == pytest.approx(share, abs=tol), key


def test_truth_matches_file_by_mapping_rules(data: tuple[pd.DataFrame, object]) -> None:
    """Apply SOURCES.md's WODC rules to the file and compare with generate_truth."""
    df, _ = data
    truth = generate_truth(SEED, SCALE, "wodc").set_index("respondent_id")
    ids = "wodc:W1:" + df["respnr"].astype(int).astype(str)
    t = truth.loc[ids]
    year = np.array([d.year for d in df["interviewdatum"]])
    assert (t["age"].to_numpy() == year - df["geboortejaar"].to_numpy()).all()
    sex = df["geslacht"].to_numpy()
    gender = t["gender"].astype(object).to_numpy()
    assert (gender[sex == 1] == "male").all() and (gender[sex == 2] == "female").all()
    assert pd.isna(gender[sex >= 3]).all()
    assert (t["gender_missing"].astype(object).to_numpy()[sex == 3] == "refused").all()
    work = df["betaald_werk"].to_numpy()
    emp = t["employed"].to_numpy(dtype=object, na_value=None)
    assert (emp[work == 1] == True).all() and (emp[work == 2] == False).all()  # noqa: E712
    assert (t["employed_missing"].astype(object).to_numpy()[work == 98] == "dont_know").all()
    ret = df["terugkeer_veilig"].to_numpy()
    ri = t["return_intention"].astype(object).to_numpy()
    assert (ri[ret == 1] == "return_someday").all()
    assert (ri[ret == 2] == "stay").all()
    assert (ri[ret == 3] == "undecided").all()
    assert pd.isna(ri[ret >= 98]).all()
    assert (t["weight"].to_numpy() == df["gewicht"].to_numpy()).all()
    assert (t["host_country"] == "NLD").all()
    assert t["stratum"].str.startswith("wodc:").all()


def test_synth_never_replaces_files_it_did_not_write(tmp_path: Path) -> None:
    """A delivery folder given as --out by mistake is refused, its file untouched;
    a folder synth wrote may be written again."""
    from surveytk.errors import OutputError
    from surveytk.synth import MARKER

    real = tmp_path / "deliveries" / "wodc" / "locov_w1.sav"
    real.parent.mkdir(parents=True)
    real.write_bytes(b"licensed")
    with pytest.raises(OutputError, match=r"wodc: holds files surveytk synth did not write"):
        write_synthetic_sources(tmp_path / "deliveries", seed=1, scale=0.02, sources=["wodc"])
    assert real.read_bytes() == b"licensed"
    assert not (tmp_path / "deliveries" / MARKER).exists()
    again = tmp_path / "synthetic"
    first = write_synthetic_sources(again, seed=1, scale=0.02, sources=["wodc"])
    second = write_synthetic_sources(again, seed=1, scale=0.02, sources=["wodc"])
    assert first == second and (again / MARKER).exists()
