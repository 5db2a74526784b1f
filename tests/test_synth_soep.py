"""Synthetic SOEP files against SOURCES.md: six long Stata files, `[code] text` labels, waves."""

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
SEED = 3
SCALE = 0.5  # wave 1 ≈ 5,600 respondents: enough for shares within a few points

FILES = {
    "ppathl": ["pid", "syear", "hid", "sex", "gebjahr", "gebmonat", "psample", "immiyear",
               "corigin", "phrf"],
    "pl": ["pid", "syear", "hid", "plj0085_v1", "plj0086_v1", "plb0022_v11", "pmonin"],
    "hl": ["hid", "syear", "hlk0044_v2"],
    "biol": ["pid", "lr3586", "lr3130", "lr3131", "prev_nrkid", "lr3192"],
    "hbrutto": ["hid", "syear", "bula_h", "sample1"],
    "design": ["hid", "psu", "strat"],
}  # fmt: skip
SUBSTANTIVE = {
    "plj0085_v1": {1: "Yes", 2: "No"},
    "plj0086_v1": {1: "For one more year at most", 2: "For a few more years"},
    "plb0022_v11": {
        1: "Employed full-time",
        2: "Employed part-time",
        3: "Completing in-service training / apprenticeship / in-service retraining",
        4: "In marginal or irregular employment",
        5: "In partial retirement, phase with zero working hours",
        7: "Voluntary social / ecological year, federal volunteer service",
        9: "Not employed",
        10: "Working reduced hours (short-time work)",
        11: "Completing an internship",
    },
    "hlk0044_v2": {1: "Yes", 2: "No"},
    "sex": {1: "male", 2: "female"},
}
MISSING_TEXT = {
    -1: "no answer / don't know",
    -2: "does not apply",
    -3: "implausible value",
    -4: "inadmissible multiple response",
    -5: "not included in this version of the questionnaire",
    -6: "version of questionnaire with modified filtering",
    -7: "only available in less restricted edition",
    -8: "question not part of the survey programme this year",
    -9: "interview terminated",
}


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[pd.DataFrame, object]]:
    out = tmp_path_factory.mktemp("soep")
    written = write_synthetic_sources(out, seed=SEED, scale=SCALE, sources=["soep_ukr"])
    assert [p.name for p in written["soep_ukr"]] == [f"{n}.dta" for n in FILES]
    assert all(p.parent == out / "soep_ukr" for p in written["soep_ukr"])
    return {p.stem: pyreadstat.read_dta(str(p)) for p in written["soep_ukr"]}


def _substantive(labels: dict[float, str]) -> dict[int, str]:
    return {int(k): re.sub(r"^\[-?\d+\] ", "", v) for k, v in labels.items() if k >= 0}


def test_variables(files: dict[str, tuple[pd.DataFrame, object]]) -> None:
    for name, columns in FILES.items():
        assert list(files[name][0].columns) == columns, name


def test_labels_exact_with_code_prefix(files: dict[str, tuple[pd.DataFrame, object]]) -> None:
    where = {"plj0085_v1": "pl", "plj0086_v1": "pl", "plb0022_v11": "pl", "hlk0044_v2": "hl",
             "sex": "ppathl"}  # fmt: skip
    for var, expected in SUBSTANTIVE.items():
        labels = files[where[var]][1].variable_value_labels[var]  # type: ignore[attr-defined]
        assert _substantive(labels) == expected, var
        for code, text in MISSING_TEXT.items():
            assert labels[code] == f"[{code}] {text}", var
    with (SHARED_DATA / "oblasts_ua.csv").open(encoding="utf-8") as fh:
        oblasts = {int(r["soep_lr3586"]): r["name_en"] for r in csv.DictReader(fh)}
    lr3586 = files["biol"][1].variable_value_labels["lr3586"]  # type: ignore[attr-defined]
    assert _substantive(lr3586) == oblasts
    assert lr3586[26] == "[26] Kyiv city"
    for name, (_, meta) in files.items():
        for var, labels in meta.variable_value_labels.items():  # type: ignore[attr-defined]
            for code, text in labels.items():
                m = re.match(r"^\[(-?\d+)\] \S", text)
                assert m and int(m.group(1)) == code, (name, var, code, text)
    pl_meta = files["pl"][1]
    assert pl_meta.column_names_to_labels["plj0085_v1"] == (  # type: ignore[attr-defined]
        "Do you want to stay in Germany forever?"
    )


def test_codes_are_labelled(files: dict[str, tuple[pd.DataFrame, object]]) -> None:
    for name, (df, meta) in files.items():
        for var, labels in meta.variable_value_labels.items():  # type: ignore[attr-defined]
            if var in ("gebjahr", "immiyear", "lr3130", "prev_nrkid"):
                assert set(df.loc[df[var] < 0, var].unique()) <= set(labels), (name, var)
                continue
            assert set(df[var].unique()) <= set(labels), (name, var)


def test_waves_panel_and_sizes(files: dict[str, tuple[pd.DataFrame, object]]) -> None:
    pl = files["pl"][0]
    counts = pl["syear"].value_counts()
    assert sorted(counts.index) == [2022, 2023, 2024]
    assert counts[2022] == round(11_225 * SCALE)
    assert counts[2023] == pytest.approx(6_754 * SCALE, rel=0.05)
    assert counts[2024] < counts[2023]
    years = pl.groupby("pid")["syear"].nunique()
    assert (years == 3).sum() > 0.2 * counts[2022] * 0.5  # followed across all waves
    assert not pl.duplicated(["pid", "syear"]).any()
    # filter: plj0086_v1 only asked when plj0085_v1 == 2
    asked = pl["plj0085_v1"] == 2
    assert (pl.loc[~asked, "plj0086_v1"] == -2).all()
    assert set(pl.loc[asked, "plj0086_v1"].unique()) <= {1, 2, -1}
    samples = files["hbrutto"][0].groupby("syear")["sample1"].unique()
    assert sorted(samples[2022]) == [44] and sorted(samples[2023]) == [44, 48]


def test_data_quality_problems_present(files: dict[str, tuple[pd.DataFrame, object]]) -> None:
    pl, ppathl, hl = files["pl"][0], files["ppathl"][0], files["hl"][0]
    in_pl = pd.MultiIndex.from_frame(pl[["pid", "syear"]])
    in_ppathl = pd.MultiIndex.from_frame(ppathl[["pid", "syear"]])
    assert in_pl.isin(in_ppathl).all()  # every respondent is in ppathl
    assert (~in_ppathl.isin(in_pl)).sum() > 0  # children and non-respondents
    hh_pl = pd.MultiIndex.from_frame(pl[["hid", "syear"]].drop_duplicates())
    hh_hl = pd.MultiIndex.from_frame(hl[["hid", "syear"]])
    assert (~hh_pl.isin(hh_hl)).sum() > 0  # households without a household interview
    resp = ppathl.merge(pl[["pid", "syear"]], on=["pid", "syear"])
    assert (resp["phrf"] == 0).sum() > 0
    assert (pl["plb0022_v11"] == -1).sum() > 0
    assert set(files["design"][0]["hid"]) >= set(pl["hid"])


def test_shares_near_published(files: dict[str, tuple[pd.DataFrame, object]]) -> None:
    pl = files["pl"][0]
    w1 = pl[(pl["syear"] == 2022) & (pl["plj0085_v1"] != -5)]
    n = len(w1)
    tol = 4 * np.sqrt(0.25 / n) + 0.01
    assert (w1["plj0085_v1"] == 1).mean() == pytest.approx(0.26, abs=tol)  # stay forever
    assert (w1["plj0085_v1"] == -1).mean() == pytest.approx(0.27, abs=tol)  # undecided
    assert (w1["plj0086_v1"] == 1).mean() == pytest.approx(0.02, abs=tol / 2)  # < 1 year
    w2 = pl[(pl["syear"] == 2023) & (pl["plb0022_v11"] > 0)]
    tol2 = 4 * np.sqrt(0.25 / len(w2)) + 0.01
    assert w2["plb0022_v11"].isin([1, 2, 4, 10]).mean() == pytest.approx(0.18, abs=tol2)


def test_truth_matches_file_by_mapping_rules(
    files: dict[str, tuple[pd.DataFrame, object]],
) -> None:
    pl, ppathl, hl = files["pl"][0], files["ppathl"][0], files["hl"][0]
    truth = generate_truth(SEED, SCALE, "soep_ukr").set_index("respondent_id")
    assert len(truth) == len(pl)
    df = pl.merge(ppathl[["pid", "syear", "sex", "gebjahr", "gebmonat", "phrf"]],
                  on=["pid", "syear"]).merge(hl, on=["hid", "syear"], how="left")  # fmt: skip
    ids = "soep_ukr:" + df["syear"].astype(str) + ":" + df["pid"].astype(str)
    t = truth.loc[ids]
    ok = df["gebjahr"] > 0
    age = df["syear"] - df["gebjahr"] - (df["pmonin"] < df["gebmonat"]).astype(int)
    assert (t["age"].to_numpy()[ok] == age.to_numpy()[ok]).all()
    assert t["age"].isna().to_numpy()[~ok].all()
    assert (t["gender"].astype(object).to_numpy() == df["sex"].map({1: "male", 2: "female"})).all()
    emp = t["employed"].to_numpy(dtype=object, na_value=None)
    code = df["plb0022_v11"].to_numpy()
    assert (emp[np.isin(code, [1, 2, 4, 10])] == True).all()  # noqa: E712
    assert (emp[np.isin(code, [3, 5, 7, 9, 11])] == False).all()  # noqa: E712
    assert all(e is None for e in emp[code == -1])
    p85, p86 = df["plj0085_v1"].to_numpy(), df["plj0086_v1"].to_numpy()
    ri = t["return_intention"].astype(object).to_numpy()
    assert (ri[p85 == 1] == "stay").all() and (ri[p85 == -1] == "undecided").all()
    assert (ri[(p85 == 2) & (p86 == 1)] == "return_soon").all()
    assert (ri[(p85 == 2) & (p86 == 2)] == "return_someday").all()
    kids = t["has_children_u18"].to_numpy(dtype=object, na_value=None)
    hlk = df["hlk0044_v2"].to_numpy()
    assert (kids[hlk == 1] == True).all() and (kids[hlk == 2] == False).all()  # noqa: E712
    no_hl = np.isnan(hlk)
    assert no_hl.sum() > 0 and all(k is None for k in kids[no_hl])
    assert (t["weight"].to_numpy() == df["phrf"].to_numpy()).all()
    design = files["design"][0].set_index("hid")
    assert (
        t["psu"].to_numpy() == ("soep_ukr:" + design.loc[df["hid"], "psu"].astype(str)).to_numpy()
    ).all()
