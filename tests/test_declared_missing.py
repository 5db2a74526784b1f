"""Declared missing is missing in analyses of raw files; labels are used (surveytk.analysis_frame).

Reference numbers: tests/reference/declared_missing_reference.R (haven::read_sav with
its default user_na = FALSE, then R survey) on tests/data/spss/declared_missing.sav
(written by tests/reference/make_declared_missing.py with pyreadstat).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from surveytk.analysis_frame import analysis_frame, load_analysis_frame
from surveytk.cli.main import cli
from surveytk.io.readers import read_file
from surveytk.models.api import fit
from surveytk.tabulate import tabulate

DATA = Path(__file__).parent / "data" / "spss"
SAV = DATA / "declared_missing.sav"
REF = pd.read_csv(Path(__file__).parent / "reference" / "declared_missing_reference.csv")
DESIGN = {"weights": "w", "strata": "stratum", "psu": "psu"}


def _ref(fixture: str) -> pd.DataFrame:
    return REF[REF["fixture"] == fixture].set_index("term")


def _by_hand(path: Path) -> pd.DataFrame:
    """Declared codes set missing by hand from pyreadstat's own metadata (independent path)."""
    df, meta = pyreadstat.read_sav(str(path), user_missing=True)
    for name, declared in meta.missing_ranges.items():
        x = df[name]
        if not pd.api.types.is_numeric_dtype(x):
            df[name] = x.mask(x.isin([d["lo"] for d in declared]))
            continue
        bad = np.zeros(len(df), dtype=bool)
        for d in declared:
            bad |= (x >= d["lo"]).to_numpy() & (x <= d["hi"]).to_numpy()
        df[name] = x.mask(bad)
    return df


def test_linear_model_on_declared_missing_matches_r() -> None:
    res = fit(str(SAV), model="lpm", formula="y ~ x + C(group)", **DESIGN)
    ref = _ref("declared_lpm")
    terms = {"(Intercept)": "(Intercept)", "x": "x", "group[Centre]": "group:Centre",
             "group[South]": "group:South"}
    assert list(res.params.index) == list(terms)
    for ours, theirs in terms.items():
        assert res.params[ours] == pytest.approx(ref.loc[theirs, "estimate"], rel=1e-8)
        assert res.std_errors[ours] == pytest.approx(ref.loc[theirs, "std_error"], rel=1e-6)
    assert res.df_resid == ref["df"].iloc[0]
    assert any("y: 49 values set missing" in n and '99 "Refused", 90 to 98' in n
               for n in res.notes)
    counts = {d["variable"]: d["n"] for d in res.extra["declared_missing"]}
    assert counts == {"y": 49, "x": 28, "group": 21}
    assert res.extra["variable_labels"]["y"] == "Outcome score"


@pytest.mark.parametrize(
    ("path", "formula"),
    [
        (SAV, "y ~ x + C(group)"),
        (DATA / "employee_data.sav", "SALARY ~ EDUC + C(JOBCAT) + PREVEXP + C(MINORITY)"),
        (DATA / "sample_missing.sav", "mynum ~ myord"),
        (DATA / "spssio_test.sav", "Income2 ~ Age"),
    ],
)
def test_fit_equals_the_valid_rows_only(path: Path, formula: str) -> None:
    ours = fit(str(path), model="lpm", formula=formula, value_labels=False)
    hand = _by_hand(path)
    parsed_cols = ["y", "x", "group"] if path == SAV else None
    theirs = fit(hand, model="lpm", formula=formula)
    np.testing.assert_allclose(ours.params, theirs.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.std_errors, theirs.std_errors, rtol=1e-8, atol=1e-10)
    # and the same estimates on the complete rows only, physically subset
    cols = parsed_cols or [c for c in hand.columns if c in formula]
    valid = hand.dropna(subset=cols).reset_index(drop=True)
    only = fit(valid, model="lpm", formula=formula)
    np.testing.assert_allclose(ours.params, only.params, rtol=1e-8, atol=1e-10)


def test_keep_user_missing_keeps_codes_and_says_so() -> None:
    res = fit(str(SAV), model="lpm", formula="y ~ x", keep_user_missing=True, **DESIGN)
    raw = read_file(SAV).data
    assert res.design.n_obs == len(raw)
    assert any("kept as values" in n for n in res.notes)


def test_tabulation_matches_r_and_shows_labels() -> None:
    af = load_analysis_frame(SAV)
    tab = tabulate(af, ["group"], dropna=True, **DESIGN)
    ref = _ref("declared_tab")
    cells = tab.cells.set_index("level")
    assert list(cells.index) == ["1", "2", "3"]
    for code, label in (("1", "North"), ("2", "Centre"), ("3", "South")):
        assert cells.loc[code, "share"] == pytest.approx(ref.loc[label, "estimate"], rel=1e-8)
        assert cells.loc[code, "std_error"] == pytest.approx(ref.loc[label, "std_error"],
                                                             rel=1e-6)
    assert cells["df"].iloc[0] == ref["df"].iloc[0]
    assert any("group: 21 values set missing" in n for n in tab.notes)
    # the same computation on the valid rows only
    hand = _by_hand(SAV).dropna(subset=["group"]).reset_index(drop=True)
    only = tabulate(hand, ["group"], **DESIGN).cells.set_index("level")
    np.testing.assert_allclose(cells["share"], only["share"], rtol=1e-8)


def test_tabulate_cli_prints_labels_not_codes(tmp_path: Path) -> None:
    run = CliRunner().invoke(
        cli, ["tabulate", str(SAV), "--by", "group", "--weights", "w", "--strata", "stratum",
              "--psu", "psu"])
    assert run.exit_code == 0, run.output
    assert "| North |" in run.output and "| South |" in run.output
    assert "| 9 |" not in run.output and "No answer |" not in run.output
    assert "Group of respondent" in run.output
    assert "group: 21 values set missing" in run.output
    codes = CliRunner().invoke(
        cli, ["tabulate", str(SAV), "--by", "group", "--weights", "w", "--codes"])
    assert "| 1 |" in codes.output and "North" not in codes.output


def test_fit_cli_writes_counts_to_json(tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    run = CliRunner().invoke(
        cli, ["fit", str(SAV), "--model", "lpm", "--formula", "y ~ x + C(group)",
              "--weights", "w", "--strata", "stratum", "--psu", "psu", "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "note: x: 28 values set missing (declared user-missing in the file: -9, -8)" in (
        run.output)
    saved = json.loads(out.read_text())
    assert {d["variable"] for d in saved["extra"]["declared_missing"]} == {"y", "x", "group"}
    assert "group[Centre]" in saved["coef"]["terms"]


def test_small_counts_respect_the_disclosure_threshold() -> None:
    af = load_analysis_frame(DATA / "sample_missing.sav")
    notes = " ".join(af.notes())
    assert "fewer than 10 values" in notes
    rep = af.report()
    assert all(r["n"] is None and r["n_below_threshold"] for r in rep)


def test_string_user_missing_and_ranges(tmp_path: Path) -> None:
    path = tmp_path / "s.sav"
    df = pd.DataFrame({"a": [1.0, 2.0, 97.0, 98.0, 5.0], "s": ["x", "NA", "y", "x", "DK"]})
    pyreadstat.write_sav(df, str(path), missing_ranges={
        "a": [{"lo": 96.0, "hi": 99.0}], "s": ["NA", "DK"]})
    af = analysis_frame(read_file(path))
    assert af.data["a"].isna().tolist() == [False, False, True, True, False]
    assert af.data["s"].isna().tolist() == [False, True, False, False, True]


def test_stata_extended_missing_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "e.dta"
    df = pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0], "z": [1.0, 0.0, 1.0, 0.0]})
    df = df.astype(object)
    df.loc[1, "v"] = "a"
    df.loc[3, "v"] = "b"
    df["z"] = df["z"].astype(float)
    pyreadstat.write_dta(df, str(path), missing_user_values={"v": ["a", "b"]})
    lf = read_file(path)
    af = analysis_frame(lf, keep_user_missing=True)  # Stata's .a-.z stay missing
    assert af.data["v"].dtype == np.float64
    assert af.data["v"].isna().tolist() == [False, True, False, True]
    assert [(m.variable, m.reason, m.n) for m in af.set_missing] == [
        ("v", "extended_missing", 2)]


def test_table_rows_use_the_files_variable_labels(tmp_path: Path) -> None:
    from surveytk.report.tables import write_table
    from surveytk.report.term_labels import Labeller

    res = fit(str(SAV), model="lpm", formula="y ~ x + C(group)", **DESIGN)
    out = tmp_path / "t.md"
    write_table([res], out, labeller=Labeller(enabled=True))
    text = out.read_text()
    # levels sit under their variable (tables name a categorical variable once)
    assert "| Exposure |" in text and "| Group of respondent |" in text
    assert "| \u2003Centre |" in text
    assert "x: 28 values set missing" in text  # the notes under the table
    write_table([res], out, labeller=Labeller(enabled=False))
    assert "| x |" in out.read_text()


def test_estimate_cli_sets_declared_missing_missing(tmp_path: Path) -> None:
    """`estimate` reads through the same loader: a mean on the file equals the mean of the
    valid rows only (codes set missing by hand), and the notes count what was set missing."""
    out = tmp_path / "e.csv"
    run = CliRunner().invoke(
        cli, ["estimate", str(SAV), "--mean", "x", "--prop", "group", "--weights", "w",
              "--strata", "stratum", "--psu", "psu", "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "x: 28 values set missing (declared user-missing in the file: -9, -8)" in run.output
    got = pd.read_csv(out, dtype={"level": str})
    hand = _by_hand(SAV)
    valid = hand.dropna(subset=["x"])
    expected = float(np.average(valid["x"], weights=valid["w"]))
    mean = got[(got["statistic"] == "mean") & (got["variable"] == "x")]
    assert mean["estimate"].iloc[0] == pytest.approx(expected, rel=1e-10)
    props = got[got["statistic"] == "prop"].set_index("level")
    assert set(props.index) == {"North", "Centre", "South"}
    ref = _ref("declared_tab")
    for label in ("North", "Centre", "South"):
        assert props.loc[label, "estimate"] == pytest.approx(ref.loc[label, "estimate"], rel=1e-8)
        assert props.loc[label, "std_error"] == pytest.approx(ref.loc[label, "std_error"],
                                                              rel=1e-6)
