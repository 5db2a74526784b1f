"""docs/codebooks.md "Add a survey in 30 minutes", end to end, from the command line only
(``surveytk.cli.main.main`` with argv, as the console script runs it).

A synthetic fifth survey (source ``ces``) is delivered as one Stata file with a known
content. The test follows the tutorial: ``inspect``, ``codebook new --codebook-dir``
into a user folder, ``codebook check`` on the untouched draft (which must fail on every
placeholder and note every unread column), the crosswalk as printed in the tutorial,
``codebook check`` OK, ``harmonise`` (values compared with the generated data), and
``codebook docs`` of all five sources (index, styled pages, DDI). surveytk's built-in
files are compared before and after: never written.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from surveytk.cli.main import main
from surveytk.paths import BUILTIN_CODEBOOK_DIR, PACKAGE_DIR

TUTORIAL = PACKAGE_DIR.parent / "docs" / "codebooks.md"
N = 400
LABELS = {"idno": "Respondent number", "cntry": "Country of residence (ISO 3166-1 alpha-2)",
          "inwyy": "Year of interview", "inwmm": "Month of interview", "yrbrn": "Year of birth",
          "gndr": "Gender of respondent", "pdwrk": "Doing last 7 days: paid work",
          "chldhm": "Children living at home", "rtrn": "Do you plan to return to Ukraine?",
          "pspwght": "Post-stratification weight", "income": "Monthly household income",
          "comment": "Interviewer comment"}
VALUE_LABELS = {"gndr": {1: "Male", 2: "Female", 9: "No answer"},
                "pdwrk": {1: "Yes", 2: "No"},
                "rtrn": {1: "Yes, soon", 2: "Yes, some day", 3: "No, I will stay",
                         4: "Don't know"}}


def write_fifth_survey(path: Path, seed: int = 17) -> pd.DataFrame:
    """The delivery: one .dta with value labels, an ISO2 country, birth year, weights,
    and two columns the schema has no place for (income, free-text comment)."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "idno": np.arange(1001, 1001 + N),
        "cntry": rng.choice(["CZ", "SK", "PL"], size=N, p=[0.6, 0.25, 0.15]),
        "inwyy": np.full(N, 2024),
        "inwmm": rng.integers(3, 7, size=N),
        "yrbrn": rng.integers(1950, 2005, size=N),
        "gndr": rng.choice([1, 2, 9], size=N, p=[0.4, 0.55, 0.05]),
        "pdwrk": rng.choice([1, 2], size=N, p=[0.45, 0.55]),
        "chldhm": rng.poisson(0.8, size=N),
        "rtrn": rng.choice([1, 2, 3, 4], size=N, p=[0.2, 0.3, 0.3, 0.2]),
        "pspwght": np.round(rng.uniform(0.5, 2.0, size=N), 4),
        "income": np.round(rng.lognormal(9, 0.5, size=N)),
        "comment": rng.choice(["", "ok", "tired", "asked twice"], size=N),
    })
    pyreadstat.write_dta(df, str(path), column_labels=[LABELS[c] for c in df.columns],
                         variable_value_labels=VALUE_LABELS, version=15)
    return df


def cli(*args: str) -> tuple[int, str]:
    """Run ``surveytk ARGS`` as the console script does; exit code and stdout + stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue() + err.getvalue()


def tutorial_crosswalk() -> str:
    text = TUTORIAL.read_text(encoding="utf-8")
    m = re.search(r"<!-- tutorial: mycb/ces_2024\.yaml -->\n```yaml\n(.*?)```", text, re.S)
    assert m, "the tutorial's crosswalk block is missing from docs/codebooks.md"
    return m.group(1)


def tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(folder)).encode() + p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def four_sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four built-in sources, synthetic and harmonised (for the five-source docs)."""
    out = tmp_path_factory.mktemp("four")
    code, text = cli("synth", "--out", str(out / "raw"), "--scale", "0.05", "--seed", "5")
    assert code == 0, text
    for name, folder in (("soep_ukr_2023", "soep_ukr"), ("unhcr_ris_r5", "unhcr_ris"),
                         ("unhcr_ris_r6", "unhcr_ris"), ("wodc_w1", "wodc"),
                         ("fi_moi_2025", "fi_moi")):
        code, text = cli("harmonise", "--codebook", name, "--input-dir",
                         str(out / "raw" / folder), "--out", str(out / f"{name}.parquet"))
        assert code == 0, text
    return out


def test_add_a_survey_in_30_minutes(tmp_path: Path, four_sources: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SURVEYTK_CODEBOOK_PATH", raising=False)
    builtin_before = tree_digest(BUILTIN_CODEBOOK_DIR)
    Path("delivery").mkdir()
    truth = write_fifth_survey(Path("delivery/ces_2024.dta"))

    # 1. inspect: summaries of unlabelled columns, never free text
    code, text = cli("inspect", "delivery/ces_2024.dta")
    assert code == 0, text
    summary = text.split("unlabelled columns")[1]
    assert re.search(r"yrbrn\s+numeric\s+min \S+\s+max \S+\s+distinct \d+", summary)
    assert re.search(r"comment\s+text\s+distinct 4\s+missing", summary)
    assert "asked twice" not in text and "tired" not in text

    # 2. draft into the user's folder; the source is registered in its extension
    Path("mycb").mkdir()
    code, text = cli("codebook", "new", "--source", "ces", "--name", "ces_2024", "--label",
                     "Czech emigrant survey", "--codebook-dir", "mycb", "delivery/ces_2024.dta")
    assert code == 0, text
    draft = Path("mycb/ces_2024.yaml").read_text(encoding="utf-8")
    extension = Path("mycb/schema.yaml").read_text(encoding="utf-8")
    assert "{value: ces, label: \"Czech emigrant survey\"}" in extension
    assert '# question: "Gender of respondent"' in draft  # question from the variable label
    assert "# from: ces_2024.gndr" in draft and "table: iso3166_countries.csv" in draft

    # 3. the untouched draft fails the review: each placeholder, each unread column
    code, text = cli("codebook", "check", "--codebook", "ces_2024", "--codebook-dir", "mycb",
                     "--input-dir", "delivery")
    assert code == 1
    assert re.search(r"ces_2024\.yaml:\d+: unit is still the draft placeholder", text)
    assert re.search(r"ces_2024\.yaml:\d+: variables\.wave\.constant is still the draft "
                     r"placeholder 'TODO'", text)
    assert re.search(r"ces_2024\.yaml:\d+: variables\.host_country\.constant is still", text)
    assert re.search(r"TODO marker left on variables\.gender\.missing_reason", text)
    assert "no survey question is mapped" in text
    unread_line = next(line for line in text.splitlines() if "read by no variable" in line)
    for column in ("cntry", "yrbrn", "gndr", "rtrn", "income", "comment"):
        assert f" {column} (" in unread_line

    # 4. the author's edits: the crosswalk exactly as printed in the tutorial
    Path("mycb/ces_2024.yaml").write_text(tutorial_crosswalk(), encoding="utf-8")
    code, text = cli("codebook", "check", "--codebook", "ces_2024", "--codebook-dir", "mycb",
                     "--input-dir", "delivery")
    assert code == 0, text
    assert text.startswith(f"OK: ces_2024 v1.0.0 fits the delivery: ces_2024 ({N} rows)")
    assert "income (Monthly household income), comment (Interviewer comment)" in text
    code, text = cli("codebook", "check", "--codebook", "ces_2024", "--codebook-dir", "mycb",
                     "--input-dir", "delivery", "--fail-on-unread")
    assert code == 1 and "2 of 12 delivered columns are read by no variable" in text

    # 5. harmonise, and every value is right
    code, text = cli("harmonise", "--codebook", "ces_2024", "--codebook-dir", "mycb",
                     "--input-dir", "delivery", "--out", "ces_2024.parquet")
    assert code == 0, text
    got = pd.read_parquet("ces_2024.parquet")
    assert list(got["respondent_id"]) == [f"ces:2024:{i}" for i in truth["idno"]]
    iso3 = {"CZ": "CZE", "SK": "SVK", "PL": "POL"}
    assert list(got["host_country"].astype(str)) == [iso3[c] for c in truth["cntry"]]
    dates = pd.to_datetime(got["interview_date"])
    assert list(dates) == [pd.Timestamp(2024, m, 1) for m in truth["inwmm"]]
    # birth month unknown: completed years = 2024 - birth year (age_from_birth's rule)
    assert list(got["age"].astype(int)) == list(2024 - truth["yrbrn"])
    code_to_gender = {1: "male", 2: "female", 9: None}
    assert [None if pd.isna(g) else g for g in got["gender"]] == \
        [code_to_gender[c] for c in truth["gndr"]]
    assert set(got.loc[(truth["gndr"] == 9).to_numpy(), "gender_missing"].astype(str)) == \
        {"dont_know"}
    assert list(got["employed"].astype(bool)) == list(truth["pdwrk"] == 1)
    ret = {1: "return_soon", 2: "return_someday", 3: "stay", 4: "undecided"}
    assert list(got["return_intention"].astype(str)) == [ret[c] for c in truth["rtrn"]]
    np.testing.assert_allclose(got["weight"].to_numpy(float), truth["pspwght"].to_numpy())
    assert got["distance_km"].notna().all()  # the schema's CEPII lookup on the ISO3 codes

    # 6. documentation of all five sources: index, styled pages, DDI
    data = [str(p) for p in sorted(four_sources.glob("*.parquet"))] + ["ces_2024.parquet"]
    code, text = cli("codebook", "docs", "--codebook-dir", "mycb", "--out", "site",
                     "--format", "html", "--format", "ddi",
                     *[a for d in data for a in ("--data", d)])
    assert code == 0, text
    index = Path("site/index.html").read_text(encoding="utf-8")
    assert "<style>" in index and "http" not in index.split("</head>")[0]
    for codebook in ("ces_2024", "fi_moi_2025", "soep_ukr_2023", "unhcr_ris_r5", "wodc_w1"):
        assert f"<th>{codebook}</th>" in index
    assert '<a href="gender.html">' in index
    page = Path("site/return_intention.html").read_text(encoding="utf-8")
    assert "Czech emigrant survey" in page and "Do you plan to return to Ukraine?" in page
    order = [page.index(f"<td>{v}</td>") for v in ("stay", "undecided", "return_someday",
                                                   "return_soon")]
    assert order == sorted(order)  # categories in code order
    root = ET.parse("site/codebook.ddi.xml").getroot()
    ns = {"d": "ddi:codebook:2_5"}
    assert len(root.findall("d:fileDscr", ns)) == 6
    gender = root.find("d:dataDscr/d:var[@name='gender']", ns)
    assert gender is not None
    assert "Gender of respondent" in [q.text for q in gender.findall("d:qstn/d:qstnLit", ns)]

    assert tree_digest(BUILTIN_CODEBOOK_DIR) == builtin_before
