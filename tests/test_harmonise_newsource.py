"""Adding a source needs no Python: a made-up fifth survey's files plus a YAML crosswalk
(and one new `source` level in the schema YAML) harmonise — also from a user's own
codebook folder with a schema extension, without touching the installed package."""

from __future__ import annotations

import json
import os
import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from surveytk.codebook.loader import load_codebook, load_schema
from surveytk.harmonise.engine import harmonise
from surveytk.paths import BUILTIN_SCHEMA, BUILTIN_SOURCES_DIR

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


# --------------------------------------------------------------------------- user folders
# A statistician's own codebook folder: crosswalks, a schema.yaml extension, lookups/.

EXTENSION = """
extends: surveytk-common
name: czech
version: "0.1.0"
variables:
  source:
    levels:
      - {value: cz_poll, label: "A Czech poll"}
"""


def user_folder(root: Path, extension: str = EXTENSION, crosswalk: str = CROSSWALK) -> Path:
    folder = root / "my_codebooks"
    folder.mkdir()
    (folder / "schema.yaml").write_text(textwrap.dedent(extension), encoding="utf-8")
    (folder / "cz_poll_2024.yaml").write_text(textwrap.dedent(crosswalk), encoding="utf-8")
    return folder


def run_cli(*args: str) -> None:
    from surveytk.cli.main import main

    main(list(args))


def test_user_folder_with_extension_harmonises_from_the_command_line(
        delivery: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    folder = user_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    run_cli("harmonise", "--codebook-dir", str(folder), "--codebook", "cz_poll_2024",
            "--input-dir", str(delivery), "--out", "cz.parquet")
    t = pd.read_parquet(tmp_path / "cz.parquet")
    assert list(t["source"].astype(str)) == ["cz_poll"] * 4
    assert list(t["host_country"][:3]) == ["CZE"] * 3
    assert "harmonised 4 respondents with cz_poll_2024" in capsys.readouterr().out
    prov = json.loads((tmp_path / "cz.parquet.audit.json").read_text())["provenance"]
    assert prov["schema_version"] == "1.1.0+czech-0.1.0"   # the extension is on record
    # the same through the environment variable, and by the file's path (its folder's
    # extension applies): all three give the same table
    monkeypatch.setenv("SURVEYTK_CODEBOOK_PATH", os.pathsep.join(["", str(folder)]))
    run_cli("harmonise", "--codebook", "cz_poll_2024", "--input-dir", str(delivery),
            "--out", "env.parquet")
    monkeypatch.delenv("SURVEYTK_CODEBOOK_PATH")
    run_cli("harmonise", "--codebook", str(folder / "cz_poll_2024.yaml"),
            "--input-dir", str(delivery), "--out", "path.parquet")
    for name in ("env.parquet", "path.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / name), t)
    # tables and figures label the new source
    from surveytk.codebook.search import use_codebook_dirs
    from surveytk.report.term_labels import Labeller

    with use_codebook_dirs([folder]):
        assert Labeller.from_schema().level("source", "cz_poll") == "A Czech poll"
    # a built-in source pools with the user's one under the merged schema
    built_in = load_codebook("wodc_w1", dirs=[folder])
    assert "cz_poll" in built_in.schema.variables["source"].level_values
    assert built_in.path.parent.name == "sources"


def test_without_the_folder_the_new_source_is_unknown(delivery: Path, tmp_path: Path) -> None:
    from surveytk.errors import CodebookError

    user_folder(tmp_path)
    with pytest.raises(CodebookError, match=r"no codebook named .cz_poll_2024.*--codebook-dir"):
        load_codebook("cz_poll_2024")


def test_extension_adds_a_variable_and_a_lookup(delivery: Path, tmp_path: Path) -> None:
    from surveytk.errors import CodebookError

    extension = EXTENSION + textwrap.dedent("""
      host_region:
        type: string
        label: Host region
        description: The host country's region (from the folder's own lookup).
        derive: {function: lookup, args: {input: $host_country, table: regions.csv,
                                           key: iso3, value: region}}
      interviewer:
        type: string
        label: Interviewer
    missing_columns: [interviewer]
    """)
    folder = user_folder(tmp_path, extension)
    (folder / "lookups").mkdir()
    (folder / "lookups" / "regions.csv").write_text("iso3,region\nCZE,Central Europe\n"
                                                     "NLD,Western Europe\n", encoding="utf-8")
    # the folder's own crosswalk must give the variable its extension adds ...
    with pytest.raises(CodebookError, match="common variable 'interviewer' is not given"):
        load_codebook("cz_poll_2024", dirs=[folder])
    cw = folder / "cz_poll_2024.yaml"
    cw.write_text(cw.read_text(encoding="utf-8") + "  interviewer: {constant: K7}\n",
                  encoding="utf-8")
    t = harmonise(load_codebook("cz_poll_2024", dirs=[folder]), delivery).table
    assert list(t.columns[-2:]) == ["intention_category_missing", "interviewer_missing"]
    assert list(t["interviewer"]) == ["K7"] * 4
    assert list(t["host_region"][:3]) == ["Central Europe"] * 3 and pd.isna(t["host_region"][3])
    # ... while a built-in crosswalk, which cannot know it, leaves it missing (not_asked)
    wodc = load_codebook("wodc_w1", dirs=[folder])
    assert wodc.crosswalk.variables["interviewer"].missing_reason == "not_asked"
    assert "host_region" not in wodc.crosswalk.variables   # derived by the schema


@pytest.mark.parametrize(("change", "message"), [
    ("variables:\n  age: {range: [0, 99]}\n",
     r"schema.yaml:\d+: age.range is \[0, 99\] here but \[0, 120\] in the built-in schema"),
    ("variables:\n  source:\n    levels: [{value: wodc, label: Dutch survey}]\n",
     "level 'wodc' of source is labelled 'WODC LOCOV"),
    ("variables:\n  return_intention:\n    levels: [{value: maybe, label: Maybe}]\n",
     "return_intention is ordered: only category variables take new levels"),
    ("variables:\n  age_missing: {type: string, label: x}\n",
     "'age_missing' is the name of age's missing-reason column"),
    ("variables:\n  flag: {type: boolean, label: Flag, nullable: false}\n",
     "a new variable must be nullable"),
    ("variables:\n  d: {type: float, label: D, derive: {function: scale, args: "
     "{input: people.x, factor: 2}}}\n", "a schema derivation uses only \\$variables"),
    ("missing_columns: [age]\n", "only for the variables it adds"),
    ("colour: blue\n", "unknown key 'colour'"),
])
def test_extension_conflicts_are_reported_with_file_and_line(
        tmp_path: Path, change: str, message: str) -> None:
    from surveytk.errors import CodebookError

    folder = user_folder(tmp_path, 'extends: surveytk-common\nversion: "1"\n' + change)
    with pytest.raises(CodebookError, match=message):
        load_schema(dirs=[folder])


def test_a_whole_schema_copy_is_not_an_extension(tmp_path: Path) -> None:
    from surveytk.errors import CodebookError

    folder = user_folder(tmp_path, BUILTIN_SCHEMA.read_text(encoding="utf-8"))
    with pytest.raises(CodebookError, match="this is a whole schema, not an extension"):
        load_codebook(folder / "cz_poll_2024.yaml")


def test_two_extensions_must_agree(tmp_path: Path) -> None:
    from surveytk.errors import CodebookError

    a = user_folder(tmp_path)
    b = tmp_path / "other"
    b.mkdir()
    (b / "schema.yaml").write_text(
        'extends: surveytk-common\nversion: "2"\nvariables:\n  source:\n    levels:\n'
        '      - {value: cz_poll, label: "Czech panel"}\n', encoding="utf-8")
    with pytest.raises(CodebookError, match=r"labelled 'A Czech poll' in .*my_codebooks"):
        load_schema(dirs=[a, b])


def test_codebook_list_shows_every_codebook_and_its_origin(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    folder = user_folder(tmp_path)
    (folder / "sources").mkdir()
    shutil.copy(BUILTIN_SOURCES_DIR / "wodc_w1.yaml", folder / "sources" / "wodc_w1.yaml")
    env = tmp_path / "team"
    env.mkdir()
    (env / "fi_moi_2025.yaml").write_text(
        (BUILTIN_SOURCES_DIR / "fi_moi_2025.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("SURVEYTK_CODEBOOK_PATH", str(env))
    run_cli("codebook", "list", "--codebook-dir", str(folder))
    out = capsys.readouterr().out
    assert f"cz_poll_2024   {folder / 'cz_poll_2024.yaml'}  (--codebook-dir)" in out
    assert f"wodc_w1        {folder / 'sources' / 'wodc_w1.yaml'}  (--codebook-dir)" in out
    assert (f"wodc_w1        {BUILTIN_SOURCES_DIR / 'wodc_w1.yaml'}  (built-in; not used: "
            f"shadowed by {folder / 'sources' / 'wodc_w1.yaml'})") in out
    assert f"fi_moi_2025    {env / 'fi_moi_2025.yaml'}  (SURVEYTK_CODEBOOK_PATH)" in out
    assert "schema: surveytk-common 1.1.0+czech-0.1.0" in out
    assert load_codebook("wodc_w1", dirs=[folder]).path == folder / "sources" / "wodc_w1.yaml"


def test_a_missing_folder_on_the_path_stops(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from surveytk.errors import CodebookError

    monkeypatch.setenv("SURVEYTK_CODEBOOK_PATH", str(tmp_path / "gone"))
    with pytest.raises(CodebookError, match=r"gone: codebook folder not found "
                                            r"\(SURVEYTK_CODEBOOK_PATH\)"):
        load_codebook("wodc_w1")


def test_demo_ignores_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from surveytk.codebook.search import search_path, use_codebook_dirs

    monkeypatch.setenv("SURVEYTK_CODEBOOK_PATH", str(user_folder(tmp_path)))
    assert len(search_path().folders) == 2
    with use_codebook_dirs((), use_env=False):
        assert [f.origin for f in search_path().folders] == ["built-in"]


def test_pooling_a_user_source_needs_its_schema(delivery: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from surveytk.errors import SurveytkError

    folder = user_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    run_cli("harmonise", "--codebook-dir", str(folder), "--codebook", "cz_poll_2024",
            "--input-dir", str(delivery), "--out", "cz.parquet")
    run_cli("pool", "--codebook-dir", str(folder), "cz.parquet", "--out", "pooled.parquet")
    pooled = pd.read_parquet("pooled.parquet")
    assert list(pooled["source"].astype(str)) == ["cz_poll"] * 4
    # without it the new source is no level of `source`: stop rather than pool it as missing
    from surveytk.harmonise.pool import pool_tables

    with pytest.raises(SurveytkError, match=r"cz.parquet: source \['cz_poll'\] not a level "
                                            "of the schema in use; pool with the codebook"):
        pool_tables(["cz.parquet"], weights="none")


def test_a_spec_names_a_codebook_file_beside_it(delivery: Path, tmp_path: Path) -> None:
    from surveytk.analysis.runner import run_analysis

    user_folder(tmp_path)
    spec = tmp_path / "analysis.yaml"
    spec.write_text(textwrap.dedent(f"""
        name: czech
        version: "1"
        inputs:
          - {{source: cz_poll, codebook: my_codebooks/cz_poll_2024.yaml,
             input_dir: "{delivery}"}}
        pool_weights: none
        models: []
        """), encoding="utf-8")
    summary = run_analysis(spec, out_dir=tmp_path / "out")
    pooled = pd.read_parquet(summary.harmonised["pooled"])
    assert list(pooled["source"].astype(str)) == ["cz_poll"] * 4
