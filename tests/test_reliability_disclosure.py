"""Disclosure control wherever output leaves the process, and no row-level values in
error messages, warnings or logs.

1. Every output path built on counts (tabulations of ``surveytk run`` and
   ``surveytk tabulate``, frequencies in ``codebook docs``) shows no count under
   the threshold, and no additive line (row, column, block with its total) holds
   exactly one suppressed cell (complementary suppression).
2. Every error path we can provoke with a damaged delivery, a bad design or a bad
   model is scanned for the respondent ids and values planted in the delivery.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from surveytk.codebook.loader import load_codebook
from surveytk.disclosure import SUPPRESSED_MARKER
from surveytk.errors import SurveytkError
from surveytk.harmonise.engine import harmonise
from surveytk.synth import write_synthetic_sources

THRESHOLD = 10


# --------------------------------------------------------------------------- helpers


def _is_small_count(text: str) -> bool:
    return bool(re.fullmatch(r"\d+", text.strip())) and int(text) < THRESHOLD


def _small_cell_data(seed: int = 3) -> pd.DataFrame:
    """Two groups; group b has one level with 3 respondents (a small cell)."""
    rng = np.random.default_rng(seed)
    a = pd.DataFrame({"grp": "a", "level": rng.choice(["x", "y", "z"], 300)})
    b = pd.DataFrame({"grp": "b", "level": ["x"] * 150 + ["y"] * 60 + ["z"] * 3})
    df = pd.concat([a, b], ignore_index=True)
    df["weight"] = rng.uniform(0.5, 2.0, len(df))
    return df


def _check_blocks(rows: list[list[str]]) -> None:
    """In a rendered two-way tabulation: no small count; no block with one hidden n."""
    if rows and rows[0][:1] == ["domain_variable"]:
        _check_tidy_blocks(rows)
        return
    blocks: list[list[str]] = []
    for row in rows:
        if not row or not row[0]:
            continue
        if row[0].startswith("grp:"):
            blocks.append([])
        elif blocks and len(row) > 1 and row[0] != "Total":
            blocks[-1].append(row[1])
    assert blocks, rows
    for block in blocks:
        assert not [c for c in block if _is_small_count(c)], block
        hidden = sum(SUPPRESSED_MARKER in c for c in block)
        assert hidden != 1, f"one suppressed cell in a block with a public total: {block}"
    assert any(SUPPRESSED_MARKER in c for b in blocks for c in b)


def _check_tidy_blocks(rows: list[list[str]]) -> None:
    """The tidy CSV (one row per cell, numbers empty where suppressed): per domain no
    small count, never exactly one suppressed cell, and something suppressed."""
    header, *body = rows
    col = {name: i for i, name in enumerate(header)}
    blocks: dict[str, list[list[str]]] = {}
    for row in body:
        blocks.setdefault(row[col["domain"]], []).append(row)
    assert blocks, rows
    for domain, cells in blocks.items():
        counts = [r[col["n"]] for r in cells]
        assert not [c for c in counts if _is_small_count(c)], (domain, counts)
        hidden = [r for r in cells if r[col["suppressed"]] == "True"]
        assert all(r[col["n"]] == "" and r[col["share"]] == "" for r in hidden), hidden
        assert len(hidden) != 1, f"one suppressed cell in domain {domain}: {cells}"
    assert any(r[col["suppressed"]] == "True" for r in body)


# --------------------------------------------------------------------------- outputs


def test_tabulate_suppresses_with_complements() -> None:
    from surveytk.report.render_tabulation import render_tabulation
    from surveytk.tabulate import tabulate

    tab = tabulate(_small_cell_data(), ["grp", "level"], weights="weight", threshold=THRESHOLD)
    text = render_tabulation(tab, "csv").decode("utf-8")
    _check_blocks(list(csv.reader(io.StringIO(text))))


def test_run_tabulations_use_disclosure_control(tmp_path: Path) -> None:
    from surveytk.analysis.spec import TabulationSpec
    from surveytk.analysis.tabulations import write_tabulation

    spec = TabulationSpec(name="t", data="pooled", by=["grp", "level"], formats=["csv"])
    path = write_tabulation(_small_cell_data(), spec, tmp_path / "t.csv", "csv",
                            threshold=THRESHOLD)
    _check_blocks(list(csv.reader(io.StringIO(path.read_text(encoding="utf-8")))))


def test_tabulate_cli_uses_disclosure_control(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from surveytk.cli.main import cli

    data = tmp_path / "data.csv"
    _small_cell_data().to_csv(data, index=False)
    out = tmp_path / "t.csv"
    result = CliRunner().invoke(cli, ["tabulate", str(data), "--by", "grp", "--by", "level",
                                      "--weights", "weight", "--out", str(out)])
    assert result.exit_code == 0, result.output
    _check_blocks(list(csv.reader(io.StringIO(out.read_text(encoding="utf-8")))))


def test_codebook_docs_frequencies_suppress_with_complements() -> None:
    from surveytk.codebook.docs_site import frequencies

    table = pd.DataFrame({
        "source": ["wodc"] * 120 + ["fi_moi"] * 80,
        "gender": ["female"] * 113 + ["male"] * 7 + ["female"] * 40 + ["male"] * 40,
    })
    freq = frequencies([table], "gender", threshold=THRESHOLD)
    assert freq is not None
    for source in freq.columns:
        cells = [str(c) for c in freq[source]]
        assert not [c for c in cells if _is_small_count(c)], cells
        hidden = sum(not re.fullmatch(r"\d+", c) for c in cells)
        # the number of respondents per source is public (model tables, audit)
        assert hidden != 1, f"{source}: one suppressed cell is revealed by the total: {cells}"


# --------------------------------------------------------------------------- error messages


#: planted in the deliveries below; none may appear in any message
SENTINEL_IDS = ("HHSENT7391", "73914682")
SENTINEL_VALUES = ("ZZSENTINEL", "SENTINELDATE", "187", "-0.4242", "19451", "3021", "4711",
                   "1873", "ZZFREETEXT", "ZZCOUNTRYTEXT")


def _csv_edit(name: str, edit: Callable[[pd.DataFrame], None]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / name
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        edit(df)
        df.to_csv(path, index=False)
    return apply


def _sav_edit(edit: Callable[[pd.DataFrame], None]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / "fi_moi_2025.sav"
        df, meta = pyreadstat.read_sav(str(path), user_missing=True)
        edit(df)
        pyreadstat.write_sav(df, str(path), variable_value_labels=meta.variable_value_labels,
                             column_labels=meta.column_labels,
                             variable_format=meta.original_variable_types)
    return apply


def _set(col: str, value: object, row: int = 0) -> Callable[[pd.DataFrame], None]:
    def edit(df: pd.DataFrame) -> None:
        df.loc[row, col] = value
    return edit


def _dup(col: str, value: object) -> Callable[[pd.DataFrame], None]:
    def edit(df: pd.DataFrame) -> None:
        df.loc[0, col] = value
        df.loc[1, col] = value
    return edit


HH, IND = "ris_r6_households.csv", "ris_r6_individuals.csv"
DAMAGES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "duplicate household id": ("unhcr_ris", _csv_edit(HH, _dup("hhid", "HHSENT7391"))),
    "text in a numeric column": ("unhcr_ris", _csv_edit(IND, _set("age", "ZZSENTINEL"))),
    "age out of range": ("unhcr_ris", _csv_edit(IND, _set("age", "187"))),
    "negative weight": ("unhcr_ris", _csv_edit(HH, _set("weight", "-0.4242"))),
    "impossible year": ("unhcr_ris", _csv_edit(HH, _set("s4_year", "19451"))),
    "roster line without household": ("unhcr_ris", _csv_edit(IND, _set("hhid", "HHSENT7391"))),
    "respondent line not in roster": ("unhcr_ris", _csv_edit(HH, _set("resp_id", "4711"))),
    "duplicate respondent id": ("fi_moi", _sav_edit(_dup("id", 73914682.0))),
    "text that is no date": ("fi_moi", _sav_edit(_set("resp_date", "SENTINELDATE"))),
    "arrival in the future": ("fi_moi", _sav_edit(_set("q5", 3021.0))),
    "children out of range": ("fi_moi", _sav_edit(_set("q8", 1873.0))),
    "free text in a mapped text column": (
        "unhcr_ris", _csv_edit(HH, _set("q_employment", "ZZFREETEXT typed by one person"))),
    "free text in a looked-up column": (
        "unhcr_ris", _csv_edit(HH, _set("country", "ZZCOUNTRYTEXT"))),
}
CODEBOOK = {"unhcr_ris": "unhcr_ris_r6", "fi_moi": "fi_moi_2025"}


@pytest.fixture(scope="module")
def clean_delivery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clean")
    write_synthetic_sources(root, seed=11, scale=0.05, sources=list(CODEBOOK))
    return root


def _scan(text: str, where: Path) -> list[str]:
    text = text.replace(str(where), "<dir>")
    return [s for s in (*SENTINEL_IDS, *SENTINEL_VALUES)
            if re.search(rf"(?<![\w.:-]){re.escape(s)}(?![\w.])", text)]


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_error_paths_never_show_row_values(clean_delivery: Path, tmp_path: Path, damage: str,
                                           caplog: pytest.LogCaptureFixture) -> None:
    source, edit = DAMAGES[damage]
    folder = tmp_path / source
    shutil.copytree(clean_delivery / source, folder)
    edit(folder)
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = harmonise(load_codebook(CODEBOOK[source]), folder)
        except SurveytkError as exc:
            messages.append(str(exc))
        else:
            from surveytk.harmonise.audit import audit_json

            # accepted (as missing with a reason): the audit must not list the value either,
            # unless it is a code of a categorical source column
            messages.append(audit_json({"files": result.audit["files"]}))
    messages += [str(w.message) for w in caught]
    messages += [r.getMessage() for r in caplog.records]
    leaks = [s for m in messages for s in _scan(m, folder)]
    assert not leaks, f"{damage}: row-level values in messages: {leaks}"


def test_scan_would_catch_a_leak(tmp_path: Path) -> None:
    # the scanner itself: a message quoting a planted value is caught, a path is not
    assert _scan(f"{tmp_path}/x.csv: bad value 187 in age", tmp_path) == ["187"]
    assert _scan(f"{tmp_path}/x.csv: id HHSENT7391 twice", tmp_path) == ["HHSENT7391"]
    assert _scan("unhcr_ris_r6.yaml:187: bad", tmp_path) == []


def test_model_and_design_errors_never_show_row_values() -> None:
    from surveytk.models.options import FitOptions
    from surveytk.models.registry import family_fit

    rng = np.random.default_rng(1)
    n = 60
    df = pd.DataFrame({
        "y": rng.integers(0, 2, n).astype(float),
        "age": rng.uniform(20, 60, n),
        "w": rng.uniform(0.5, 2, n),
        "psu": [f"HHSENT7391-{i % 7}" for i in range(n)],
        "stratum": ["s1"] * (n - 1) + ["ZZSENTINEL"],
    })
    df.loc[5, "w"] = -0.4242
    attempts = [
        FitOptions(model="logit", formula="y ~ age", weights="w"),
        FitOptions(model="logit", formula="y ~ age", strata="stratum", psu="psu",
                   lonely_psu="fail"),
        FitOptions(model="logit", formula="y ~ agee"),
        FitOptions(model="logit", formula="age ~ y"),
    ]
    messages: list[str] = []
    for options in attempts:
        data = df if options.weights else df.assign(w=1.0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                family_fit(options.model)(data, options)
            except SurveytkError as exc:
                messages.append(str(exc))
        messages += [str(w.message) for w in caught]
    assert len(messages) >= 3
    leaks = [s for m in messages for s in ("-0.4242", "HHSENT7391") if s in m]
    assert not leaks, messages


# --------------------------------------------------------------------------- notes


def _small_counts(text: str) -> list[str]:
    """Counts under the threshold in a note: digits followed by a word about rows/people."""
    return [m for m in re.findall(r"(?<![\w.])(\d+)(?= (?:respondent|row))", text)
            if int(m) < THRESHOLD]


def _three_missing(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    df = pd.DataFrame({
        "y": rng.integers(0, 2, n).astype(float),
        "age": rng.uniform(20, 60, n),
        "grp": rng.choice(["a", "b"], n),
        "w": rng.uniform(0.5, 2, n),
    })
    df.loc[:2, "age"] = np.nan
    df.loc[:2, "grp"] = None
    df.loc[3:4, "w"] = 0.0
    return df


def test_notes_never_show_a_count_under_the_threshold() -> None:
    from surveytk.cli.fit import _short_summary
    from surveytk.models.api import fit
    from surveytk.tabulate import tabulate

    df = _three_missing()
    tab = tabulate(df, ["grp"], weights="w", dropna=True, threshold=THRESHOLD)
    notes = " ".join(tab.notes)
    assert "left out (--dropna)" in notes and "weight 0" in notes, notes
    assert not _small_counts(notes), notes
    result = fit(df, model="logit", formula="y ~ age + C(grp)", weights="w")
    for text in (result.summary(), _short_summary(result)):
        assert "rows left out" in text
        assert "fewer than 10" in text and not re.search(r"age:? 3\b", text), text
    with pytest.raises(SurveytkError) as err:
        fit(df.assign(age=np.nan), model="logit", formula="y ~ age", weights="w")
    assert "rows missing per column" in str(err.value)
    assert not re.search(r"\bw:? [1-9]\b", str(err.value)), str(err.value)


def test_the_note_scanner_would_catch_a_small_count() -> None:
    assert _small_counts("3 respondents with missing age left out") == ["3"]
    assert _small_counts("fewer than 10 respondents with missing age; 12 rows") == []


def test_published_json_counts_are_withheld_under_the_threshold() -> None:
    from surveytk.disclosure import counts_text, withhold_counts

    assert withhold_counts({"age": 3, "total": 12, "w": 0}) == {
        "age": "fewer than 10", "total": 12, "w": 0}
    assert counts_text({"age": 3, "total": 1234, "w": 0}) == "age: fewer than 10, total: 1,234"


def test_model_terms_of_small_categories_are_flagged() -> None:
    from surveytk.models.api import fit

    df = pd.read_csv(Path(__file__).parent / "data" / "survey" / "apistrat.csv")
    df["hi"] = (df["api00"] > 650).astype(float)
    df.loc[:2, "stype"] = "Z"  # 3 schools
    df.loc[3:14, "stype"] = "Y"  # 12 schools: over the threshold
    res = fit(df, model="logit", formula="hi ~ ell + C(stype) + C(stype):ell", weights="pw")
    assert res.extra["small_categories"] == ["stype[Z]", "stype[Z]:ell"]
    assert any("stype[Z]" in n and "fewer than 10" in n for n in res.notes), res.notes
    assert not any("stype[Y]" in n for n in res.notes)
    # in a domain without them, nothing is flagged
    clean = fit(df, model="logit", formula="hi ~ ell + C(stype)", weights="pw",
                subpop='stype != "Z"')
    assert "small_categories" not in clean.extra


def test_small_category_coefficients_are_left_out_of_published_tables(tmp_path: Path) -> None:
    """#16 class 6: a category of 3 respondents is flagged by fit and not shown by table."""
    import pandas as pd
    from click.testing import CliRunner

    from surveytk.cli.main import cli

    data = pd.read_csv(Path(__file__).parent / "data" / "survey" / "apistrat.csv")
    data["grp"] = "A"
    data.loc[data.index[:60], "grp"] = "B"
    data.loc[data.index[:3], "grp"] = "C"
    csv = tmp_path / "small.csv"
    data.to_csv(csv, index=False)
    fit_json = tmp_path / "fit.json"
    runner = CliRunner()
    fitted = runner.invoke(cli, ["fit", str(csv), "--model", "logit", "--formula",
                                 'I(awards == "Yes") ~ C(grp) + meals', "--weights", "pw",
                                 "--strata", "stype", "--out", str(fit_json)])
    assert fitted.exit_code == 0, fitted.output
    hidden, shown = tmp_path / "hidden.md", tmp_path / "shown.md"
    assert runner.invoke(cli, ["table", str(fit_json), "-o", str(hidden)]).exit_code == 0
    assert runner.invoke(cli, ["table", str(fit_json), "-o", str(shown),
                               "--show-small-cells"]).exit_code == 0
    hidden_text, shown_text = hidden.read_text(), shown.read_text()
    row = re.compile("^\\| \u2003(\\w) \\|", re.MULTILINE)  # level rows: em-space indent
    assert set(row.findall(hidden_text)) == {"B"}
    assert "Not shown: grp\\[C\\]" in hidden_text
    assert set(row.findall(shown_text)) == {"B", "C"} and "Not shown" not in shown_text
