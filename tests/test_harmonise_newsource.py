"""Adding a source needs no Python: a made-up fifth survey's files plus a YAML crosswalk
(and one new `source` level in the schema YAML) harmonise."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from surveytk.codebook.loader import load_codebook, load_schema
from surveytk.harmonise.engine import harmonise
from surveytk.paths import BUILTIN_SCHEMA

CROSSWALK = """
codebook: cz_poll_2024
source: cz_poll
version: "0.1.0"
unit: one row per respondent
base: people
missing_codes: {9: refused}
files:
  people: {path: people.sav, keys: [cid]}
  visits:
    path: visits.csv
    keys: [cid]
    join: {on: {cid: people.cid}, unmatched: not_asked}
variables:
  wave: {constant: "2024"}
  respondent_id:
    derive: {function: make_id, args: {parts: [cz_poll, $wave, people.cid]}}
    use_source_missing: false
  household_id: {missing_reason: unmapped_in_source}
  interview_date:
    derive: {function: date_parse, args: {input: visits.when, format: "%Y/%m/%d"}}
  host_country:
    derive:
      function: lookup
      args: {input: visits.country, table: countries.csv, key: name, value: iso3, match: text}
  age:
    derive: {function: age_from_birth, args: {birth_year: people.born, ref_date: $interview_date}}
  gender:
    from: people.sex
    question: Pohlaví
    map:
      1: {to: female, label: Žena}
      2: {to: male, label: Muž}
  n_children_u18: {from: people.kids}
  employed:
    from: people.work
    map:
      1: {to: true, label: Ano}
      2: {to: false, label: Ne}
  employment_status: {missing_reason: unmapped_in_source}
  origin_oblast:
    derive:
      function: lookup
      args: {input: people.region, table: oblasts_ua.csv, key: soep_lr3586, value: iso_3166_2}
  spouse_child_in_ukraine: {missing_reason: unmapped_in_source}
  months_in_host: {missing_reason: unmapped_in_source}
  return_intention:
    from: people.plan
    map:
      1: {to: return_soon, label: Brzy zpět}
      2: {to: return_someday, label: Někdy zpět}
      3: {to: stay, label: Zůstat}
      4: {to: undecided, label: Nevím}
  intention_category:
    from: people.plan
    map:
      1: {to: return, label: Brzy zpět}
      2: {to: return, label: Někdy zpět}
      3: {to: stay, label: Zůstat}
      4: {to: undecided, label: Nevím}
  weight: {from: people.w, use_source_missing: false}
  weight_kind: {constant: design}
  psu: {missing_reason: not_applicable}
  stratum: {missing_reason: not_applicable}
"""


@pytest.fixture()
def delivery(tmp_path: Path) -> Path:
    d = tmp_path / "cz"
    d.mkdir()
    people = pd.DataFrame({
        "cid": [501.0, 502, 503, 504], "sex": [1.0, 2, 9, 1], "born": [1985.0, 1970, 2001, 9],
        "kids": [2.0, 0, 1, 0], "work": [1.0, 2, 1, 9], "region": [26.0, 11, 6, 2],
        "plan": [1.0, 2, 3, 4], "w": [1.2, 0.8, 1.0, 1.0],
    })
    pyreadstat.write_sav(people, d / "people.sav", variable_value_labels={
        "sex": {1: "Žena", 2: "Muž", 9: "Neodpověděl"},
        "work": {1: "Ano", 2: "Ne", 9: "Neodpověděl"},
        "plan": {1: "Brzy zpět", 2: "Někdy zpět", 3: "Zůstat", 4: "Nevím"},
    })
    pd.DataFrame({"cid": [501, 502, 503], "when": ["2024/05/17", "2024/06/01", "2024/06/02"],
                  "country": ["Czechia", "Czech Republic", "czechia "]}).to_csv(
        d / "visits.csv", index=False)
    return d


def test_fifth_source_from_yaml_only(delivery: Path, tmp_path: Path) -> None:
    schema_text = BUILTIN_SCHEMA.read_text(encoding="utf-8")
    anchor = '      - {value: fi_moi, label: "Finnish Ministry of the Interior survey"}\n'
    assert anchor in schema_text
    schema_path = tmp_path / "schema.yaml"
    schema_path.write_text(schema_text.replace(
        anchor, anchor + '      - {value: cz_poll, label: "A Czech poll"}\n'), encoding="utf-8")
    cw = tmp_path / "cz_poll_2024.yaml"
    cw.write_text(textwrap.dedent(CROSSWALK), encoding="utf-8")
    book = load_codebook(cw, schema=load_schema(schema_path))
    res = harmonise(book, delivery)
    t = res.table
    assert list(t["respondent_id"]) == [f"cz_poll:2024:{i}" for i in (501, 502, 503, 504)]
    assert list(t["host_country"][:3]) == ["CZE"] * 3
    assert t["host_country_missing"].iloc[3] == "not_asked"   # no visits row: reported
    assert res.audit["files"]["visits"]["join"]["base_rows_without_partner"] == 1
    assert list(t["gender"].astype(object)[:2]) == ["female", "male"]
    assert t["gender_missing"].iloc[2] == "refused"
    assert list(t["age"][:3]) == [39, 54, 23]
    assert list(t["origin_area"].astype(object)) == ["kyiv", "lviv", "occupied", "frontline"]
    assert list(t["intends_return"]) == [True, True, False, False]
    assert t["employed_missing"].iloc[3] == "refused"
    assert set(t["source"]) == {"cz_poll"}


def test_new_source_needs_a_schema_level(tmp_path: Path) -> None:
    from surveytk.errors import CodebookError

    cw = tmp_path / "cz_poll_2024.yaml"
    cw.write_text(textwrap.dedent(CROSSWALK), encoding="utf-8")
    with pytest.raises(CodebookError, match="source 'cz_poll' is not a level of `source`"):
        load_codebook(cw)
