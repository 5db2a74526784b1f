"""Real deliveries harmonise: file names in another case, implausible values counted not fatal.

The synthetic SOEP and WODC deliveries at full scale get planted inconsistencies —
respondents whose arrival lies after their interview (the issue saw about 70 in SOEP
and 15 in WODC) — and must harmonise with exactly those respondents' months in the
host country missing as ``implausible`` and every other value unchanged.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveytk.cli.main import main
from surveytk.errors import HarmoniseError, ReadError
from surveytk.harmonise.engine import harmonise
from surveytk.harmonise.frames import delivered_path
from surveytk.io.readers import read_file
from surveytk.io.writers import write_labelled
from surveytk.synth import write_synthetic_sources

SEED = 11
PLANTED = {"soep_ukr": 70, "wodc": 15}
#: source → (codebook, file, arrival-year column)
ARRIVAL = {
    "soep_ukr": ("soep_ukr_2023", "biol.dta", "lr3130"),
    "wodc": ("wodc_w1", "locov_w1.sav", "aankomst_jaar"),
}


@pytest.fixture(scope="module")
def deliveries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deliveries")
    write_synthetic_sources(out, seed=SEED, scale=1.0, sources=list(PLANTED))
    return out


@pytest.fixture(scope="module")
def clean(deliveries: Path) -> dict[str, pd.DataFrame]:
    return {s: harmonise(ARRIVAL[s][0], deliveries / s).table for s in PLANTED}


def plant_late_arrivals(src: Path, source: str, n: int) -> None:
    """Set the arrival year of ``n`` respondents (with a valid one) after every interview."""
    _, name, column = ARRIVAL[source]
    lf = read_file(src / name)
    year = pd.to_numeric(lf.data[column], errors="coerce")
    valid = np.flatnonzero((year >= 1990).to_numpy())
    chosen = np.random.default_rng(5).choice(valid, size=n, replace=False)
    data = lf.data.copy()
    data.loc[chosen, column] = 2031
    write_labelled(type(lf)(data, lf.variables, lf.file), src / name)


def table_differences(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per column, the rows whose values differ (NA equal to NA)."""
    out: dict[str, np.ndarray] = {}
    for col in a.columns:
        x, y = a[col].astype(object), b[col].astype(object)
        same = (x == y).fillna(False).to_numpy(dtype=bool) | (x.isna() & y.isna()).to_numpy()
        if not same.all():
            out[col] = np.flatnonzero(~same)
    return out


@pytest.mark.parametrize("source", list(PLANTED))
def test_arrival_after_interview_is_implausible_and_nothing_else_changes(
    source: str, deliveries: Path, clean: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    src = tmp_path / source
    shutil.copytree(deliveries / source, src)
    plant_late_arrivals(src, source, PLANTED[source])
    result = harmonise(ARRIVAL[source][0], src)
    before, after = clean[source], result.table
    assert list(after["respondent_id"]) == list(before["respondent_id"])
    diff = table_differences(before, after)
    assert set(diff) == {"months_in_host", "months_in_host_missing"}
    rows = diff["months_in_host_missing"]
    assert np.array_equal(rows, diff["months_in_host"])
    assert (after.loc[rows, "months_in_host_missing"] == "implausible").all()
    assert after.loc[rows, "months_in_host"].isna().all()
    assert before.loc[rows, "months_in_host"].notna().all()
    # one respondent per planted person in WODC; SOEP persons answer in several years
    assert len(rows) >= PLANTED[source]
    audit = result.audit["variables"]["months_in_host"]
    assert audit["checks"]["implausible"] == {"n": len(rows), "why": "outside [0, 600]"}
    assert audit["missing"]["implausible"] == len(rows)
    assert result.warnings == (
        f"months_in_host: {len(rows)} values outside [0, 600] set missing as implausible "
        "(counted in the audit; --strict makes this an error)",
    )
    with pytest.raises(HarmoniseError, match=r"months_in_host are outside \[0, 600\].*--strict"):
        harmonise(ARRIVAL[source][0], src, strict=True)


def test_cli_warns_with_variable_and_count_and_strict_fails(
    deliveries: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "wodc"
    shutil.copytree(deliveries / "wodc", src)
    plant_late_arrivals(src, "wodc", 3)  # under the disclosure threshold
    out = tmp_path / "w.parquet"
    args = ["harmonise", "--codebook", "wodc_w1", "--input-dir", str(src), "--out", str(out)]
    main(args)
    captured = capsys.readouterr()
    assert "warning: months_in_host: fewer than 10 values outside [0, 600] set missing" in (
        captured.err
    )
    assert out.is_file()
    out.unlink()
    with pytest.raises(SystemExit) as info:
        main([*args, "--strict"])
    assert info.value.code != 0
    err = capsys.readouterr().err
    assert "outside [0, 600]" in err and "Traceback" not in err
    assert not out.exists()


def test_codebook_out_of_range_error_still_stops(deliveries: Path, tmp_path: Path) -> None:
    from surveytk.codebook.loader import load_codebook

    src = tmp_path / "wodc"
    shutil.copytree(deliveries / "wodc", src)
    plant_late_arrivals(src, "wodc", 2)
    text = load_codebook("wodc_w1").path.read_text(encoding="utf-8")
    text = text.replace("  months_in_host:\n", "  months_in_host:\n    out_of_range: error\n")
    book = tmp_path / "wodc_w1.yaml"
    book.write_text(text, encoding="utf-8")
    with pytest.raises(HarmoniseError, match="set out_of_range: implausible"):
        harmonise(book, src)


# ----------------------------------------------------------------------------- file names


def test_file_names_match_case_insensitively(
    deliveries: Path, clean: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    src = tmp_path / "soep_ukr"
    shutil.copytree(deliveries / "soep_ukr", src)
    (src / "biol.dta").rename(src / "BIOL.dta")
    (src / "pl.dta").rename(src / "Pl.DTA")
    result = harmonise("soep_ukr_2023", src)
    pd.testing.assert_frame_equal(result.table, clean["soep_ukr"])
    assert result.provenance["inputs"]["biol"]["file"] == "BIOL.dta"


def test_ambiguous_file_name_lists_the_candidates(deliveries: Path, tmp_path: Path) -> None:
    src = tmp_path / "soep_ukr"
    shutil.copytree(deliveries / "soep_ukr", src)
    shutil.copy(src / "biol.dta", src / "Biol.dta")
    (src / "biol.dta").rename(src / "BIOL.dta")
    expected = r"2 files match 'biol.dta' up to case \(BIOL.dta, Biol.dta\)"
    with pytest.raises(ReadError, match=expected):
        harmonise("soep_ukr_2023", src)


def test_delivered_path_in_subfolders(tmp_path: Path) -> None:
    (tmp_path / "Round6").mkdir()
    (tmp_path / "Round6" / "ris_R6_households.csv").write_text("a\n1\n", encoding="utf-8")
    found = delivered_path(tmp_path, "round6/ris_r6_households.csv")
    assert found == tmp_path / "Round6" / "ris_R6_households.csv"
    assert delivered_path(tmp_path, "round6/other.csv") is None
    exact = tmp_path / "Round6" / "ris_r6_households.csv"
    exact.write_text("a\n2\n", encoding="utf-8")
    assert delivered_path(tmp_path, "Round6/ris_r6_households.csv") == exact  # exact wins


def test_codebook_sheet_reads_one_sheet_of_a_workbook(tmp_path: Path) -> None:
    """A delivered workbook with several sheets, named in another case, read by `sheet:`."""
    import textwrap

    from test_harmonise_newsource import CROSSWALK, delivery

    from surveytk.codebook.loader import load_codebook, load_schema
    from surveytk.paths import BUILTIN_CODEBOOK_DIR as CODEBOOK_DIR

    d = delivery.__wrapped__(tmp_path)  # type: ignore[attr-defined]
    visits = pd.read_csv(d / "visits.csv")
    (d / "visits.csv").unlink()
    with pd.ExcelWriter(d / "Visits.XLSX") as xl:
        pd.DataFrame({"note": ["not the data"]}).to_excel(xl, sheet_name="readme", index=False)
        visits.to_excel(xl, sheet_name="Visits", index=False)
    schema_text = (CODEBOOK_DIR / "schema.yaml").read_text(encoding="utf-8")
    anchor = '      - {value: fi_moi, label: "Finnish Ministry of the Interior survey"}\n'
    schema_path = tmp_path / "schema.yaml"
    schema_path.write_text(schema_text.replace(
        anchor, anchor + '      - {value: cz_poll, label: "A Czech poll"}\n'), encoding="utf-8")
    text = textwrap.dedent(CROSSWALK).replace("path: visits.csv", "path: visits.xlsx")
    cw = tmp_path / "cz_poll_2024.yaml"
    cw.write_text(text, encoding="utf-8")
    book = load_codebook(cw, schema=load_schema(schema_path))
    with pytest.raises(ReadError, match=r"2 sheets \(1: 'readme', 2: 'Visits'\)"):
        harmonise(book, d)
    cw.write_text(text.replace("path: visits.xlsx", "path: visits.xlsx\n    sheet: visits"),
                  encoding="utf-8")
    table = harmonise(load_codebook(cw, schema=load_schema(schema_path)), d).table
    assert list(table["host_country"][:3]) == ["CZE"] * 3
    assert table["interview_date"].dt.strftime("%Y-%m-%d").tolist()[:3] == [
        "2024-05-17", "2024-06-01", "2024-06-02"]
