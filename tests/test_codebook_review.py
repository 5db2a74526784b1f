"""`codebook check` as a reviewer, `codebook new` drafts, ISO 3166 lookups, YAML errors."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml

from surveytk.codebook.author import register_source
from surveytk.codebook.draft import draft_crosswalk, plausible_column
from surveytk.codebook.loader import load_codebook
from surveytk.codebook.suggest import describe_yaml_error, did_you_mean
from surveytk.codebook.yaml_document import read_yaml
from surveytk.errors import CodebookError, ProblemList
from surveytk.harmonise.delivery_check import check_delivery, draft_problems
from surveytk.io.delivered_frame import VariableMeta
from surveytk.paths import BUILTIN_LOOKUP_DIR

TUTORIAL_TEST = Path(__file__).with_name("test_codebook_tutorial.py")


def _tutorial():  # the fifth survey and the tutorial's crosswalk, shared with that test
    import importlib.util

    spec = importlib.util.spec_from_file_location("codebook_tutorial", TUTORIAL_TEST)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A user folder with the fifth survey's delivery and the finished crosswalk."""
    t = _tutorial()
    (tmp_path / "delivery").mkdir()
    t.write_fifth_survey(tmp_path / "delivery" / "ces_2024.dta")
    (tmp_path / "mycb").mkdir()
    register_source(tmp_path / "mycb" / "schema.yaml", "ces", "Czech emigrant survey")
    (tmp_path / "mycb" / "ces_2024.yaml").write_text(t.tutorial_crosswalk(), encoding="utf-8")
    return tmp_path


def edit(folder: Path, old: str, new: str) -> Path:
    p = folder / "mycb" / "ces_2024.yaml"
    text = p.read_text(encoding="utf-8")
    assert old in text, old
    p.write_text(text.replace(old, new), encoding="utf-8")
    return p


def messages(folder: Path, **kw: bool) -> list[str]:
    report = check_delivery(folder / "mycb" / "ces_2024.yaml", folder / "delivery", **kw)
    return [p.message for p in report.problems]


# ------------------------------------------------------------------------- review


def test_finished_crosswalk_passes_with_unread_columns_as_notes(folder: Path) -> None:
    report = check_delivery(folder / "mycb" / "ces_2024.yaml", folder / "delivery")
    assert report.ok, report.summary()
    assert any("income (Monthly household income)" in n for n in report.notes)
    strict = check_delivery(folder / "mycb" / "ces_2024.yaml", folder / "delivery",
                            fail_on_unread=True)
    assert not strict.ok and "2 of 12 delivered columns" in strict.problems[0].message


def test_each_placeholder_is_a_problem_with_its_line(folder: Path) -> None:
    p = edit(folder, 'wave: {constant: "2024"}', "wave: {constant: TODO}   # TODO: the wave")
    line = next(i for i, t in enumerate(p.read_text().splitlines(), 1) if "wave:" in t)
    got = messages(folder)
    assert f"ces_2024.yaml:{line}: variables.wave.constant is still the draft placeholder " \
           "'TODO'; give the wave's label, e.g. W1 or 2024" in got
    # the TODO comment on the same line is not reported twice
    assert sum(f"ces_2024.yaml:{line}:" in m for m in got) == 1


def test_a_todo_comment_alone_fails_but_comment_lines_do_not(folder: Path) -> None:
    edit(folder, "  household_id: {missing_reason: not_asked}",
         "  # TODO: this listing line is a comment only\n"
         "  household_id: {missing_reason: not_asked}   # TODO: ask the data owner")
    got = messages(folder)
    assert len(got) == 1 and "TODO marker left on variables.household_id" in got[0]


def test_todo_inside_a_quoted_value_is_a_placeholder_not_a_comment(folder: Path) -> None:
    edit(folder, 'question: "Gender of respondent"', 'question: "# TODO wording"')
    got = messages(folder)
    assert len(got) == 1 and "variables.gender.question is still the draft" in got[0]


def test_all_not_asked_fails(folder: Path, tmp_path: Path) -> None:
    text = (folder / "mycb" / "ces_2024.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    keep = {"wave", "respondent_id", "weight", "weight_kind", "psu", "stratum"}
    lines = [f"  {k}: {{missing_reason: not_asked}}" for k in data["variables"] if k not in keep]
    head = text.split("variables:")[0]
    body = "\n".join([
        'variables:', '  wave: {constant: "2024"}',
        "  respondent_id:",
        "    derive: {function: make_id, args: {parts: [ces, $wave, ces_2024.idno]}}",
        "  weight: {from: ces_2024.pspwght}", "  weight_kind: {constant: design}",
        "  psu: {missing_reason: not_applicable}", "  stratum: {missing_reason: not_applicable}",
        *lines, ""])
    (folder / "mycb" / "ces_2024.yaml").write_text(head + body, encoding="utf-8")
    book = load_codebook(folder / "mycb" / "ces_2024.yaml")
    got = [p.message for p in draft_problems(book)]
    assert got and "no survey question is mapped" in got[-1]


def test_missing_column_has_line_and_suggestion(folder: Path) -> None:
    p = edit(folder, "from: ces_2024.gndr", "from: ces_2024.gender")
    line = next(i for i, t in enumerate(p.read_text().splitlines(), 1) if "ces_2024.gender" in t)
    assert messages(folder) == [f"ces_2024.yaml:{line}: variable 'gender' is not in "
                                "ces_2024.dta; did you mean 'gndr'?"]


def test_unknown_names_get_suggestions(folder: Path) -> None:
    edit(folder, "function: make_id", "function: make_ids")
    edit(folder, "table: iso3166_countries.csv", "table: iso3166_country.csv")
    edit(folder, "to: return_soon", "to: return_son")
    edit(folder, "  n_children_u18:\n", "  n_children_u81:\n")
    with pytest.raises(CodebookError) as exc:
        load_codebook(folder / "mycb" / "ces_2024.yaml")
    text = exc.value.message
    assert "unknown derivation 'make_ids'; did you mean 'make_id'?" in text
    assert "lookup table 'iso3166_country.csv' not found" in text
    assert "did you mean 'iso3166_countries.csv'" in text
    assert "'return_son' is not a valid ordered value of return_intention" in text
    assert "did you mean 'return_soon'" in text
    assert "'n_children_u81' is not a variable of the common schema; did you mean " \
           "'n_children_u18'" in text


def test_lookup_column_checked_when_loading(folder: Path) -> None:
    edit(folder, "key: iso2, value: iso3", "key: iso_2, value: iso3")
    with pytest.raises(CodebookError, match=r"ces_2024.yaml:\d+: lookup table "
                       r"iso3166_countries.csv has no column 'iso_2' .*did you mean 'iso2'"):
        load_codebook(folder / "mycb" / "ces_2024.yaml")


def test_broken_lookup_is_blamed_on_its_input_once(folder: Path) -> None:
    p = edit(folder, "      function: lookup\n      args: {input: ces_2024.cntry, table: "
             "iso3166_countries.csv, key: iso2, value: iso3,\n             match: text}",
             "      function: lookup\n      args: {input: ces_2024.cntry, table: "
             "iso3166_countries.csv, key: iso2, value: iso2,\n             match: text}")
    line = next(i for i, t in enumerate(p.read_text().splitlines(), 1)
                if t.startswith("  host_country:"))
    got = messages(folder)
    # ISO2 where the schema's CEPII lookups (distance_km, distance_capital_km, neighbour)
    # expect ISO3: one problem, at the line that makes host_country
    assert len(got) == 1, got
    assert got[0].startswith(f"ces_2024.yaml:{line}: host_country has values ")
    assert "geodist_ukr.csv" in got[0]


def test_problem_list_keeps_identical_messages_once() -> None:
    problems = ProblemList()
    for _ in range(3):
        problems.add("x.yaml:3: same")
    problems.add("x.yaml:4: other")
    assert len(problems) == 2


# ------------------------------------------------------------------------- YAML errors


@pytest.mark.parametrize(("text", "line", "words"), [
    ("a: 1\nvariables:\n  gender\n    from: x.y\n", 3, "has no ':'"),
    ("a: 1\nquestion: Where: here\n", 2, "put the whole value in quotes"),
    ('a: 1\nb: "open\nc: 2\nd: 3\n', 2, "never closed"),
    ("a: 1\nb: {to: male, label: Man\nc: 2\n", 2, "is not closed"),
    ("a: 1\nb:\n\tc: 2\n", 3, "tab character"),
    ("variables:\n  gender:\n    from: x.y\n   map: {}\n", 4, "indentation"),
    ("a: 1\nb: @x\n", 2, "put the value in quotes"),
])
def test_yaml_syntax_errors_in_plain_words(tmp_path: Path, text: str, line: int,
                                           words: str) -> None:
    p = tmp_path / "cb.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(CodebookError) as exc:
        read_yaml(p)
    message = exc.value.message
    assert message.startswith(f"cb.yaml:{line}: not valid YAML: ") and words in message
    assert "\n" not in message and "<block" not in message and "scanning" not in message


def test_describe_yaml_error_falls_back_to_the_parser_text() -> None:
    try:
        yaml.safe_load("a: !!python/object/apply:os.system ['true']\n")
    except yaml.YAMLError as exc:
        line, text = describe_yaml_error(exc, "a: !!python/object/apply:os.system ['true']\n")
    assert line == 1 and "YAML syntax" in text


def test_did_you_mean() -> None:
    assert did_you_mean("gender", ["gndr", "agea"]) == "; did you mean 'gndr'?"
    assert did_you_mean("Weight", ["weight"]) == "; did you mean 'weight'?"
    assert did_you_mean("zzz", ["gndr"]) == ""


# ------------------------------------------------------------------------- drafts


def _wide_file(path: Path, n_cols: int = 600) -> None:
    """An ESS-like file: a few known names among many numbered items."""
    rng = np.random.default_rng(1)
    cols = {"idno": np.arange(50), "cntry": ["DE"] * 50, "gndr": rng.integers(1, 3, 50),
            "agea": rng.integers(18, 90, 50), "pspwght": rng.uniform(0.5, 2, 50)}
    for i in range(n_cols - len(cols)):
        cols[f"item{i:03d}"] = rng.integers(1, 6, 50)
    df = pd.DataFrame(cols)
    labels = {c: f"Item {c}" for c in df.columns}
    labels |= {"gndr": "Gender", "agea": "Age of respondent, calculated",
               "cntry": "Country", "pspwght": "Post-stratification weight"}
    vl = {f"item{i:03d}": {1: "Agree strongly", 5: "Disagree strongly"} for i in range(30)}
    vl["gndr"] = {1: "Male", 2: "Female"}
    pyreadstat.write_dta(df, str(path), column_labels=[labels[c] for c in df.columns],
                         variable_value_labels=vl)


def test_wide_file_drafts_compactly_and_matches_ess_names(tmp_path: Path) -> None:
    path = tmp_path / "ess.dta"
    _wide_file(path)
    text = draft_crosswalk("ess", [str(path)])
    lines = text.splitlines()
    assert len(lines) < 800  # 600 listing lines and the schema, not thousands
    assert "Agree strongly" not in text  # no map templates for unmatched columns
    assert "#   ess.item000: Item item000 [numeric, 2 value labels]" in lines
    assert "    # from: ess.gndr" in lines and '    # question: "Gender"' in lines
    assert "    # from: ess.agea" in lines and "    # from: ess.pspwght" in lines
    assert "keys: [idno]" in text


def test_vars_drafts_only_chosen_columns(tmp_path: Path) -> None:
    path = tmp_path / "ess.dta"
    _wide_file(path, 40)
    text = draft_crosswalk("ess", [str(path)], variables=["idno", "gndr"])
    assert "ess.gndr" in text and "ess.agea" not in text and "item001" not in text
    with pytest.raises(CodebookError, match=r"'gnder' is not a column.*did you mean 'gndr'"):
        draft_crosswalk("ess", [str(path)], variables=["gnder"])


def test_plausible_column_prefers_names_over_labels() -> None:
    metas = [("f", VariableMeta("q1", label="What is your sex?")),
             ("f", VariableMeta("sex_hh", label="Sex of household member")),
             ("f", VariableMeta("income", label="Household income"))]
    assert plausible_column("gender", metas) == metas[1]
    assert plausible_column("household_id", metas) is None  # ids: names only
    assert plausible_column("stratum", metas) is None


def test_register_source_extends_an_existing_extension(tmp_path: Path) -> None:
    ext = tmp_path / "schema.yaml"
    assert register_source(ext, "ces", "Czech emigrant survey")
    text = ext.read_text(encoding="utf-8")
    ext.write_text(text.replace("version:", "# a comment of the author\nversion:"),
                   encoding="utf-8")
    assert register_source(ext, "pl_poll", "Polish poll")
    assert not register_source(ext, "ces", "Czech emigrant survey")
    doc = read_yaml(ext)
    assert [lv["value"] for lv in doc.data["variables"]["source"]["levels"]] == ["ces",
                                                                                 "pl_poll"]
    assert "# a comment of the author" in doc.text


def test_register_source_refuses_a_layout_it_cannot_edit(tmp_path: Path) -> None:
    ext = tmp_path / "schema.yaml"
    ext.write_text('extends: surveytk-common\nversion: "1"\nvariables:\n  source: '
                   "{levels: [{value: a, label: A}]}\n", encoding="utf-8")
    with pytest.raises(CodebookError, match="by hand"):
        register_source(ext, "b", "B")


# ------------------------------------------------------------------------- ISO lookups


def _rows(name: str) -> list[dict[str, str]]:
    with (BUILTIN_LOOKUP_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_iso3166_table_is_complete_and_unique() -> None:
    rows = _rows("iso3166_countries.csv")
    assert len(rows) == 249  # ISO 3166-1 officially assigned codes
    for key in ("iso2", "iso3", "numeric"):
        assert len({r[key] for r in rows}) == len(rows)
    by2 = {r["iso2"]: r for r in rows}
    assert (by2["UA"]["iso3"], by2["UA"]["numeric"]) == ("UKR", "804")
    assert by2["NA"]["iso3"] == "NAM"  # Namibia: "NA" stays text
    assert (by2["DE"]["name_de"], by2["NL"]["name_nl"], by2["FI"]["name_fi"]) == \
        ("Deutschland", "Nederland", "Suomi")
    assert by2["UA"]["name_uk"] == "Україна" and by2["SE"]["name_sv"] == "Sverige"
    geodist = {r["iso3"] for r in _rows("geodist_ukr.csv")}
    assert {"CZE", "SVK", "POL", "DEU", "NLD", "FIN"} <= geodist & {r["iso3"] for r in rows}


def test_iso3166_names_identify_one_country_each() -> None:
    import unicodedata

    rows = _rows("iso3166_names.csv")
    keys = [unicodedata.normalize("NFC", r["name"]).strip().casefold() for r in rows]
    assert len(keys) == len(set(keys))
    names = {r["name"]: r["iso3"] for r in rows}
    assert names["Tschechien"] == names["Чехія"] == names["Tšekki"] == "CZE"


# ------------------------------------------------------------------------- generic drafts


def _ess_file(path: Path) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 200
    df = pd.DataFrame({
        "idno": np.arange(1, n + 1), "cntry": rng.choice(["DE", "NL"], n),
        "trstprl": rng.choice([0, 3, 5, 7, 10, 77, 88], n),
        "hinctnta": rng.choice([1, 2, 3, 77, 88], n),
        "happy": rng.integers(0, 11, n), "pspwght": rng.uniform(0.5, 2, n),
    })
    pyreadstat.write_dta(df, str(path), column_labels=[
        "Respondent's identification number", "Country", "Trust in country's parliament",
        "Household's total net income, all sources", "How happy are you",
        "Post-stratification weight"], variable_value_labels={
        "trstprl": {0: "No trust at all", 10: "Complete trust", 77: "Refusal",
                    88: "Don't know"},
        "hinctnta": {1: "J - 1st decile", 2: "R - 2nd decile", 3: "C - 3rd decile",
                     77: "Refusal", 88: "Don't know"}})
    return df


def test_generic_draft_adds_new_variables_to_the_user_schema(tmp_path: Path) -> None:
    from surveytk.codebook.author import new_source
    from surveytk.harmonise.run import harmonise_to_file

    (tmp_path / "ess").mkdir()
    truth = _ess_file(tmp_path / "ess" / "ess10.dta")
    (tmp_path / "cb").mkdir()
    made = new_source(tmp_path / "cb", "ess", [str(tmp_path / "ess" / "ess10.dta")],
                      name="ess10", add_variables=True)
    assert made.new_variables == ("trstprl", "hinctnta", "happy")
    ext = read_yaml(tmp_path / "cb" / "schema.yaml").data["variables"]
    assert ext["hinctnta"]["type"] == "category"
    assert [lv["value"] for lv in ext["hinctnta"]["levels"]] == ["j_1st_decile",
                                                                 "r_2nd_decile",
                                                                 "c_3rd_decile"]
    # a scale with labelled end points is a number; its missing codes stay missing
    assert ext["trstprl"]["type"] == "integer" and ext["happy"]["type"] == "integer"
    draft = (tmp_path / "cb" / "ess10.yaml").read_text(encoding="utf-8")
    assert "77: refused" in draft and "88: dont_know" in draft
    assert "TODO: review the new variable" in draft  # check fails until reviewed
    # the author's review: placeholders filled, TODO comments removed
    done = (draft.replace("unit: TODO one row per respondent and wave", "unit: respondent")
            .replace("constant: TODO   # TODO: the wave label, e.g. W1", 'constant: "10"')
            .replace("constant: TODO   # TODO: ISO 3166-1 alpha-3", "constant: DEU   # x"))
    done = "\n".join(line.split("   # TODO")[0] if not line.lstrip().startswith("#") else line
                     for line in done.splitlines()) + "\n"
    (tmp_path / "cb" / "ess10.yaml").write_text(done, encoding="utf-8")
    report = check_delivery(tmp_path / "cb" / "ess10.yaml", tmp_path / "ess")
    assert report.ok, report.summary()
    out = tmp_path / "ess10.parquet"
    harmonise_to_file(tmp_path / "cb" / "ess10.yaml", tmp_path / "ess", out)
    got = pd.read_parquet(out)
    valid = ~truth["trstprl"].isin([77, 88])
    assert list(got.loc[valid, "trstprl"].astype(int)) == list(truth.loc[valid, "trstprl"])
    assert got.loc[~valid, "trstprl"].isna().all()
    names = {1: "j_1st_decile", 2: "r_2nd_decile", 3: "c_3rd_decile"}
    ok = truth["hinctnta"].isin(names)
    assert list(got.loc[ok, "hinctnta"].astype(str)) == [names[c] for c in
                                                        truth.loc[ok, "hinctnta"]]


def test_add_variables_on_a_wide_file_needs_vars(tmp_path: Path) -> None:
    from surveytk.codebook.draft import make_draft

    path = tmp_path / "ess.dta"
    _wide_file(path, 100)
    with pytest.raises(CodebookError, match="choose the ones to add with --vars"):
        make_draft("ess", [str(path)], add_variables=True)


def test_missing_labels_in_the_sources_languages() -> None:
    from surveytk.codebook.generic import missing_reason_of

    assert missing_reason_of("Refusal") == "refused"
    assert missing_reason_of("weiß nicht") == "dont_know"
    assert missing_reason_of("Keine Angabe") == "dont_know"
    assert missing_reason_of("niet van toepassing") == "not_applicable"
    assert missing_reason_of("Complete trust") is None
