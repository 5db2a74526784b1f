"""Synthetic UNHCR RIS CSVs against SOURCES.md: text values, roster, strata, shares."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveytk.synth import generate_truth, write_synthetic_sources

SHARED_DATA = Path(__file__).resolve().parent / "data" / "lookups"
SEED = 5
SCALE = 1.0  # R5 ≈ 4,000 households

HH_COLUMNS = ["hhid", "wave", "sample_type", "country", "stratum", "psu", "weight",
              "interview_date", "resp_id", "return_intentions", "spouse_child_ukr", "s4_year",
              "s4_month", "origin_oblast", "q_employment"]  # fmt: skip
IND_COLUMNS = ["hhid", "line_no", "relation", "sex", "age"]
INTENTIONS = {"Planning to return within the next 12 months", "Hoping to return one day",
              "Undecided", "Not planning or hoping to return"}  # fmt: skip
RELATIONS = {"Respondent", "Spouse/partner", "Child", "Parent", "Sibling", "Other relative",
             "Other"}  # fmt: skip
COUNTRIES = {"Poland": "POL", "Czech Republic": "CZE", "Germany": "DEU", "Slovakia": "SVK",
             "Romania": "ROU", "Republic of Moldova": "MDA", "Hungary": "HUN",
             "Bulgaria": "BGR", "Lithuania": "LTU", "Latvia": "LVA", "Estonia": "EST",
             "Italy": "ITA", "Spain": "ESP", "France": "FRA", "Belgium": "BEL",
             "Netherlands": "NLD", "Austria": "AUT", "Ireland": "IRL"}  # fmt: skip
EMPLOYMENT = {"Employed", "Self-employed", "Unemployed, looking for work", "Student", "Retired",
              "Taking care of household", "Other", "Prefer not to say"}  # fmt: skip


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    out = tmp_path_factory.mktemp("unhcr")
    written = write_synthetic_sources(out, seed=SEED, scale=SCALE, sources=["unhcr_ris"])
    names = [p.name for p in written["unhcr_ris"]]
    assert names == ["ris_r5_households.csv", "ris_r5_individuals.csv",
                     "ris_r6_households.csv", "ris_r6_individuals.csv"]  # fmt: skip
    for p in written["unhcr_ris"]:
        p.read_bytes().decode("utf-8")  # valid UTF-8
    return {
        p.stem: pd.read_csv(p, encoding="utf-8", keep_default_na=False)
        for p in written["unhcr_ris"]
    }


def _contig() -> dict[str, bool]:
    with (SHARED_DATA / "geodist_ukr.csv").open(encoding="utf-8") as fh:
        return {r["iso3"]: r["contig"] == "1" for r in csv.DictReader(fh)}


def test_columns_and_text_values(tables: dict[str, pd.DataFrame]) -> None:
    with (SHARED_DATA / "oblasts_ua.csv").open(encoding="utf-8") as fh:
        oblasts = {r["name_en"] for r in csv.DictReader(fh)}
    for rnd in ("r5", "r6"):
        hh, ind = tables[f"ris_{rnd}_households"], tables[f"ris_{rnd}_individuals"]
        assert list(hh.columns) == HH_COLUMNS
        assert list(ind.columns) == IND_COLUMNS
        assert set(hh["wave"]) == {rnd.upper()}
        assert set(hh["return_intentions"]) == INTENTIONS
        assert set(hh["spouse_child_ukr"]) == {"Yes", "No"}
        assert set(hh["stratum"]) == {"Neighbouring", "Non-neighbouring"}
        assert set(hh["sample_type"]) == {"Panel", "Fresh"}
        assert set(hh["country"]) == set(COUNTRIES)
        assert set(hh["origin_oblast"]) <= oblasts and len(set(hh["origin_oblast"])) == 27
        assert set(hh["q_employment"]) == EMPLOYMENT
        assert set(ind["relation"]) <= RELATIONS and "Child" in set(ind["relation"])
        assert set(ind["sex"]) == {"Female", "Male"}
        assert pd.to_datetime(hh["interview_date"], format="%Y-%m-%d").notna().all()


def test_stratum_follows_cepii_contiguity(tables: dict[str, pd.DataFrame]) -> None:
    contig = _contig()
    for rnd in ("r5", "r6"):
        hh = tables[f"ris_{rnd}_households"]
        expected = hh["country"].map(COUNTRIES).map(contig)
        assert ((hh["stratum"] == "Neighbouring") == expected).all()
        # PSUs are nested in strata
        assert (hh.groupby("psu")["stratum"].nunique() == 1).all()


def test_roster_links_and_respondent_line(tables: dict[str, pd.DataFrame]) -> None:
    for rnd in ("r5", "r6"):
        hh, ind = tables[f"ris_{rnd}_households"], tables[f"ris_{rnd}_individuals"]
        assert set(ind["hhid"]) == set(hh["hhid"])
        assert not ind.duplicated(["hhid", "line_no"]).any()
        resp = hh.merge(ind, left_on=["hhid", "resp_id"], right_on=["hhid", "line_no"])
        assert len(resp) == len(hh)
        assert (resp["relation"] == "Respondent").all()
        assert (hh["resp_id"] != 1).sum() > 0  # not always the first line
        assert (ind["relation"] == "Respondent").sum() == len(hh)
        assert (resp["age"] == 98).sum() > 0  # "don't know" ages exist
        assert ((resp["age"] >= 18) | (resp["age"] == 98)).all()


def test_sizes_and_shares(tables: dict[str, pd.DataFrame]) -> None:
    r5, r6 = tables["ris_r5_households"], tables["ris_r6_households"]
    assert len(r5) == 4_000 and len(r6) == 4_800
    n = len(r5)
    tol = 4 * np.sqrt(0.25 / n) + 0.01
    shares = r5["return_intentions"].value_counts(normalize=True)
    plan_or_hope = (
        shares["Planning to return within the next 12 months"] + shares["Hoping to return one day"]
    )
    assert plan_or_hope == pytest.approx(0.65, abs=tol)
    assert shares["Undecided"] == pytest.approx(0.24, abs=tol)
    assert shares["Not planning or hoping to return"] == pytest.approx(0.11, abs=tol)
    assert shares["Planning to return within the next 12 months"] == pytest.approx(0.06, abs=tol)
    # the published gradients have the published direction
    ret = r5["return_intentions"].isin(
        ["Planning to return within the next 12 months", "Hoping to return one day"]
    )
    assert ret[r5["stratum"] == "Neighbouring"].mean() > ret[r5["stratum"] != "Neighbouring"].mean()
    assert ret[r5["spouse_child_ukr"] == "Yes"].mean() > ret[r5["spouse_child_ukr"] == "No"].mean()


def test_truth_matches_file_by_mapping_rules(tables: dict[str, pd.DataFrame]) -> None:
    truth = generate_truth(SEED, SCALE, "unhcr_ris").set_index("respondent_id")
    for rnd in ("r5", "r6"):
        hh, ind = tables[f"ris_{rnd}_households"], tables[f"ris_{rnd}_individuals"]
        t = truth.loc[f"unhcr_ris:{rnd.upper()}:" + hh["hhid"].astype(str)]
        resp = hh.merge(ind, left_on=["hhid", "resp_id"], right_on=["hhid", "line_no"])
        age = t["age"].to_numpy(dtype=object, na_value=None)
        known = resp["age"].to_numpy() != 98
        assert (age[known] == resp["age"].to_numpy()[known]).all()
        assert all(a is None for a in age[~known])
        assert (t["gender"].astype(object).to_numpy() == resp["sex"].str.lower().to_numpy()).all()
        other = ind.merge(hh[["hhid", "resp_id"]], on="hhid")
        child = (other["line_no"] != other["resp_id"]) & (other["age"] <= 17)
        n_kids = child.groupby(other["hhid"]).sum().reindex(hh["hhid"]).to_numpy()
        assert (t["n_children_u18"].to_numpy() == n_kids).all()
        assert (t["host_country"].to_numpy() == hh["country"].map(COUNTRIES).to_numpy()).all()
        emp = t["employed"].to_numpy(dtype=object, na_value=None)
        q = hh["q_employment"].to_numpy()
        assert (emp[np.isin(q, ["Employed", "Self-employed"])] == True).all()  # noqa: E712
        assert all(e is None for e in emp[q == "Prefer not to say"])
        ri = t["return_intention"].astype(object).to_numpy()
        assert (ri[hh["return_intentions"] == "Hoping to return one day"] == "return_someday").all()
        assert (t["psu"].to_numpy() == ("unhcr_ris:" + hh["psu"].astype(str)).to_numpy()).all()
