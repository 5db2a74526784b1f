"""Engine tests on tiny LabelledFrames built here (no files): maps, missing codes,
label checks, joins, rosters, derivations and the audit's accounting."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveytk.codebook.derivation_signatures import SIGNATURES
from surveytk.codebook.loader import load_codebook
from surveytk.errors import HarmoniseError
from surveytk.harmonise.derivations import REGISTRY
from surveytk.harmonise.engine import harmonise_frames
from surveytk.io.delivered_frame import FileMeta, LabelledFrame, VariableMeta

BASE_YAML = """
codebook: tiny_w1
source: wodc
version: "0.0.1"
unit: one row per respondent
base: people
missing_codes: {98: dont_know, 99: refused}
files:
  people:
    path: people.sav
    keys: [rid]
  homes:
    path: homes.sav
    keys: [hid]
    join: {on: {hid: people.hid}, unmatched: not_asked, unused_reason: empty home}
variables:
  wave: {constant: W1}
  respondent_id:
    derive: {function: make_id, args: {parts: [wodc, $wave, people.rid]}}
    use_source_missing: false
  household_id:
    derive: {function: make_id, args: {parts: [wodc, $wave, people.hid]}}
    use_source_missing: false
  interview_date:
    derive: {function: date_from_parts, args: {year: people.iy, month: people.im}}
  host_country: {constant: NLD}
  age:
    derive: {function: age_from_birth, args: {birth_year: people.by, ref_date: $interview_date}}
  gender:
    from: people.sex
    map:
      1: {to: male, label: Man}
      2: {to: female, label: Vrouw}
      3: {missing: refused, label: Anders}
  n_children_u18: {from: homes.kids}
  employed: {missing_reason: unmapped_in_source}
  employment_status: {missing_reason: unmapped_in_source}
  origin_oblast:
    derive:
      function: lookup
      args: {input: people.obl, table: oblasts_ua.csv, key: soep_lr3586, value: iso_3166_2,
             label_column: name_en}
  spouse_child_in_ukraine: {missing_reason: not_asked}
  months_in_host:
    derive: {function: months_between, args: {from_year: people.ay, from_month: people.am,
                                              to_date: $interview_date}}
  return_intention:
    derive:
      function: combine
      args:
        inputs: [people.q1, people.q2]
        rules:
          - {when: [1, "*"], to: stay}
          - {when: [2, 1], to: return_soon}
          - {when: [2, 2], to: return_someday}
          - {when: [98, "*"], to: undecided}
  intention_category:
    from: people.q1
    map:
      1: {to: stay, label: "Yes"}
      2: {to: return, label: "No"}
      98: {to: undecided}
  weight: {from: people.w, use_source_missing: false}
  weight_kind: {constant: design}
  psu: {missing_reason: not_applicable}
  stratum:
    derive: {function: make_id, args: {parts: [wodc, people.st]}}
"""


def lframe(name: str, data: dict[str, list[object]],
           labels: dict[str, dict[float, str]] | None = None,
           missing: dict[str, tuple[float, ...]] | None = None) -> LabelledFrame:
    df = pd.DataFrame(data)
    labels, missing = labels or {}, missing or {}
    variables = {c: VariableMeta(name=c, value_labels=labels.get(c, {}),
                                 missing_values=missing.get(c, ())) for c in df.columns}
    meta = FileMeta(path=f"/data/{name}", format="sav", format_version=None, encoding=None,
                    n_rows=len(df), n_cols=df.shape[1], sha256="0" * 64)
    return LabelledFrame(data=df, variables=variables, file=meta)


def people(**override: list[object]) -> LabelledFrame:
    data: dict[str, list[object]] = {
        "rid": [1.0, 2.0, 3.0, 4.0], "hid": [10.0, 10.0, 20.0, 30.0],
        "iy": [2024.0, 2024, 2024, 2024], "im": [3.0, 3, 11, 98],
        "by": [1980.0, 1990, 2000, 99], "sex": [1.0, 2, 3, 99],
        "obl": [2.0, 26, 6, 98], "ay": [2022.0, 2022, 2023, 2022], "am": [3.0, 4, 5, 98],
        "q1": [1.0, 2, 2, 98], "q2": [-2.0, 1, 2, 1], "w": [1.5, 0.5, 2.0, 0.0],
        "st": [1.0, 1, 2, 2],
    }
    data.update(override)
    labels = {"sex": {1.0: "Man", 2.0: "Vrouw", 3.0: "Anders", 98.0: "Weet niet"},
              "q1": {1.0: "Yes", 2.0: "No"},
              "obl": {2.0: "Kharkiv Oblast", 26.0: "Kyiv city", 6.0: "Donetsk Oblast"}}
    return lframe("people.sav", data, labels, {"sex": (98.0, 99.0)})


def homes(hid: list[float] | None = None, kids: list[float] | None = None) -> LabelledFrame:
    return lframe("homes.sav", {"hid": hid or [10.0, 20.0, 40.0], "kids": kids or [2.0, 0, 1]})


@pytest.fixture()
def book(tmp_path: Path):  # type: ignore[no-untyped-def]
    p = tmp_path / "tiny_w1.yaml"
    p.write_text(textwrap.dedent(BASE_YAML), encoding="utf-8")
    return load_codebook(p)


def test_values_reasons_and_derivations(book) -> None:  # type: ignore[no-untyped-def]
    res = harmonise_frames(book, {"people": people(), "homes": homes()})
    t = res.table
    assert list(t["respondent_id"]) == ["wodc:W1:1", "wodc:W1:2", "wodc:W1:3", "wodc:W1:4"]
    assert list(t["gender"].astype(object)[:2]) == ["male", "female"]
    assert list(t["gender_missing"].astype(object)[2:]) == ["refused", "refused"]
    # 2024 − 1980; row 4: birth year 99 is a missing code → refused
    assert t["age"].iloc[0] == 44 and t["age_missing"].iloc[3] == "refused"
    assert list(t["origin_oblast"][:3]) == ["UA-63", "UA-30", "UA-14"]
    assert list(t["origin_area"].astype(object)[:3]) == ["frontline", "kyiv", "occupied"]
    # combine: (1,*) stay; (2,1) soon; (2,2) someday; (98,*) undecided
    assert list(t["return_intention"].astype(object)) == [
        "stay", "return_soon", "return_someday", "undecided"]
    assert list(t["intends_return"]) == [False, True, True, False]
    # months: 12*(2024-2022) + (3-3) = 24; 12*2 + (3-4) = 23; 12*1 + (11-5) = 18
    assert list(t["months_in_host"][:3]) == [24, 23, 18]
    assert t["months_in_host_missing"].iloc[3] == "dont_know"
    # join: household 30 has no homes row → not_asked; homes row 40 unused (audit)
    assert list(t["n_children_u18"][:3]) == [2, 2, 0]
    assert t["n_children_u18_missing"].iloc[3] == "not_asked"
    assert list(t["has_children_u18"][:3]) == [True, True, False]
    assert t["weight"].iloc[3] == 0.0
    assert list(t["stratum"]) == ["wodc:1", "wodc:1", "wodc:2", "wodc:2"]
    assert t["distance_km"].notna().all() and not t["neighbour"].any()


def test_audit_counts_rows_and_codes(book) -> None:  # type: ignore[no-untyped-def]
    audit = harmonise_frames(book, {"people": people(), "homes": homes()}).audit
    h = audit["files"]["homes"]
    assert h["rows_in"] == 3 and h["rows_out"] == 2 and h["rows_excluded"] == {"empty home": 1}
    assert h["join"]["base_rows_without_partner"] == 1
    codes = {c["code"]: (c["to"], c["n"]) for c in audit["variables"]["gender"]["codes"]}
    assert codes == {"1": ("male", 1), "2": ("female", 1), "3": ("missing:refused", 1),
                     "99": ("missing:refused", 1)}
    assert audit["variables"]["gender"]["missing"] == {"refused": 2}


def test_all_unmapped_codes_reported_together(book) -> None:  # type: ignore[no-untyped-def]
    frame = people(sex=[1.0, 5, 6, 1], q1=[1.0, 7, 2, 1])
    with pytest.raises(HarmoniseError) as err:
        harmonise_frames(book, {"people": frame, "homes": homes()})
    msg = str(err.value)
    assert "value 5" in msg and "value 6" in msg and "value 7" in msg
    assert "people.sex" in msg and "tiny_w1.yaml:" in msg and "/data/people.sav" in msg


def test_changed_label_stops_unless_acknowledged(book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    frame = people()
    labels = dict(frame.variables["sex"].value_labels)
    labels[1.0] = "Vrouw"
    variables = dict(frame.variables)
    variables["sex"] = VariableMeta(name="sex", value_labels=labels, missing_values=(98.0, 99.0))
    changed = LabelledFrame(data=frame.data, variables=variables, file=frame.file)
    expected = r"code 1: label is 'Vrouw', the codebook expects 'Man'"
    with pytest.raises(HarmoniseError, match=expected):
        harmonise_frames(book, {"people": changed, "homes": homes()})
    text = book.path.read_text().replace("1: {to: male, label: Man}",
                                         "1: {to: male, label: Man, label_as_delivered: Vrouw}")
    p = tmp_path / "ack.yaml"
    p.write_text(text, encoding="utf-8")
    res = harmonise_frames(load_codebook(p), {"people": changed, "homes": homes()})
    assert res.table["gender"].iloc[0] == "male"


def test_soep_prefix_checked_against_code(book) -> None:  # type: ignore[no-untyped-def]
    frame = people()
    variables = dict(frame.variables)
    variables["q1"] = VariableMeta(name="q1", value_labels={1.0: "[-1] Yes", 2.0: "[2] No"})
    bad = LabelledFrame(data=frame.data, variables=variables, file=frame.file)
    with pytest.raises(HarmoniseError, match=r"prefix \[-1\], not \[1\]"):
        harmonise_frames(book, {"people": bad, "homes": homes()})


def test_duplicate_ids_stop(book) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HarmoniseError, match="share a respondent_id"):
        harmonise_frames(book, {"people": people(rid=[1.0, 1, 3, 4]), "homes": homes()})


def test_duplicate_join_keys_stop(book) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HarmoniseError, match="repeat the key"):
        harmonise_frames(book, {"people": people(), "homes": homes(hid=[10.0, 10, 20])})


def test_unmatched_join_as_error(book, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = book.path.read_text().replace("unmatched: not_asked", "unmatched: error")
    p = tmp_path / "strict.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(HarmoniseError, match="1 rows of people have no partner in homes"):
        harmonise_frames(load_codebook(p), {"people": people(), "homes": homes()})


def test_user_missing_without_reason_is_reported(book) -> None:  # type: ignore[no-untyped-def]
    frame = people()
    variables = dict(frame.variables)
    variables["q1"] = VariableMeta(name="q1", value_labels={1.0: "Yes", 2.0: "No"},
                                   missing_values=(97.0,))
    with pytest.raises(HarmoniseError, match=r"user-missing code 97\.0 that has no reason"):
        harmonise_frames(book, {"people": LabelledFrame(frame.data, variables, frame.file),
                                "homes": homes()})


def test_permuting_rows_permutes_output(book) -> None:  # type: ignore[no-untyped-def]
    a = harmonise_frames(book, {"people": people(), "homes": homes()}).table
    p = people()
    order = [2, 0, 3, 1]
    shuffled = LabelledFrame(p.data.iloc[order].reset_index(drop=True), p.variables, p.file)
    b = harmonise_frames(book, {"people": shuffled, "homes": homes()}).table
    pd.testing.assert_frame_equal(a.iloc[order].reset_index(drop=True), b)


def test_roster_derivations(tmp_path: Path) -> None:
    text = textwrap.dedent(BASE_YAML).replace(
        "    join: {on: {hid: people.hid}, unmatched: not_asked, unused_reason: empty home}",
        "    join: {on: {hid: people.hid}, many: true, unmatched: not_asked}",
    ).replace(
        "  n_children_u18: {from: homes.kids}",
        "  n_children_u18:\n    derive: {function: count_roster, args: {roster: homes,"
        " column: kids, min: 0, max: 17, exclude_line_column: line, exclude_line: people.rid}}",
    ).replace("  age:\n    derive: {function: age_from_birth, args: {birth_year: people.by, "
              "ref_date: $interview_date}}",
              "  age:\n    derive: {function: roster_value, args: {roster: homes,"
              " line_column: line, line: people.rid, value: kids}}\n    missing: {98: dont_know}")
    p = tmp_path / "roster.yaml"
    p.write_text(text, encoding="utf-8")
    book = load_codebook(p)
    # roster: column `kids` holds members' ages here; `line` = person number
    roster = lframe("homes.sav", {"hid": [10.0, 10, 10, 20, 20, 30, 30, 50],
                                  "line": [1.0, 5, 6, 2, 8, 3, 9, 1],
                                  "kids": [40.0, 5, 17, 35, 18, 98, 10, 3]})
    frame = people(hid=[10.0, 20, 30, 40])
    res = harmonise_frames(book, {"people": frame, "homes": roster})
    t = res.table
    # members other than the respondent aged 0-17: hh10 → 5, 17; hh20 → none; hh30 → 10
    assert list(t["n_children_u18"]) == [2, 0, 1, 0]
    assert t["age"].iloc[0] == 40 and t["age"].iloc[1] == 35
    assert t["age_missing"].iloc[2] == "dont_know"      # own roster age 98
    assert t["age_missing"].iloc[3] == "not_asked"      # no roster line
    assert res.audit["files"]["homes"]["rows_excluded"] == {"no matching respondent": 1}


def test_vectorised_on_many_rows(book) -> None:  # type: ignore[no-untyped-def]
    n = 50_000
    rng = np.random.default_rng(3)
    base = people()
    data = {c: np.resize(base.data[c].to_numpy(), n) for c in base.data.columns}
    data["rid"] = np.arange(1, n + 1, dtype=float)
    data["hid"] = rng.choice([10.0, 20.0, 30.0], n)
    big = LabelledFrame(pd.DataFrame(data), base.variables, base.file)
    res = harmonise_frames(book, {"people": big, "homes": homes()})
    assert len(res.table) == n
    assert res.audit["variables"]["gender"]["valid"] + sum(
        res.audit["variables"]["gender"]["missing"].values()) == n


def test_every_derivation_signature_has_one_implementation() -> None:
    """The codebook side names the derivations, the harmonise side computes them: the two
    lists agree, and each implementation carries its own signature."""
    assert sorted(REGISTRY) == sorted(SIGNATURES)
    for name, derivation in REGISTRY.items():
        assert derivation.signature is SIGNATURES[name]
        assert derivation.func.__name__ == name
