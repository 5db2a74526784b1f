"""Acceptance: the synthetic deliveries harmonise to B's truth, per source and variable;
broken deliveries stop with one clear line, a non-zero exit and no output file."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from surveytk.cli.main import main
from surveytk.harmonise.engine import harmonise
from surveytk.synth import generate_truth, write_synthetic_sources

SEED, SCALE = 11, 0.05
BOOKS = {
    "soep_ukr": ["soep_ukr_2023"],
    "unhcr_ris": ["unhcr_ris_r5", "unhcr_ris_r6"],
    "wodc": ["wodc_w1"],
    "fi_moi": ["fi_moi_2025"],
}
TRUTH_COLUMNS = [
    "source", "wave", "respondent_id", "household_id", "interview_date", "host_country",
    "distance_km", "distance_capital_km", "neighbour", "age", "age_is_banded", "age_group",
    "gender", "n_children_u18", "has_children_u18", "employed", "employment_status",
    "origin_oblast", "origin_area", "spouse_child_in_ukraine", "months_in_host",
    "return_intention", "intends_return", "intention_category", "weight", "psu", "stratum",
]


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    write_synthetic_sources(out, seed=SEED, scale=SCALE)
    return out


_CACHE: dict[str, tuple[pd.DataFrame, pd.DataFrame]] = {}


def harmonised_and_truth(source: str, synth_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    if source not in _CACHE:
        parts = [harmonise(cb, synth_dir / source).table for cb in BOOKS[source]]
        ours = pd.concat(parts, ignore_index=True).set_index("respondent_id")
        truth = generate_truth(seed=SEED, scale=SCALE, source=source).set_index("respondent_id")
        if ours.index.is_unique and set(ours.index) == set(truth.index):
            truth = truth.loc[ours.index]
        _CACHE[source] = (ours, truth)
    return _CACHE[source]


@pytest.mark.parametrize("source", list(BOOKS))
def test_same_respondents_as_truth(source: str, synth_dir: Path) -> None:
    ours, truth = harmonised_and_truth(source, synth_dir)
    assert ours.index.is_unique
    assert sorted(ours.index) == sorted(truth.index)


def _compare(ours: pd.Series, truth: pd.Series) -> int:
    a, b = ours.astype(object), truth.astype(object)
    both_na = a.isna().to_numpy() & b.isna().to_numpy()
    if pd.api.types.is_float_dtype(truth.dtype):
        x = pd.to_numeric(a).to_numpy(dtype=float)
        y = pd.to_numeric(b).to_numpy(dtype=float)
        same = np.isclose(x, y, rtol=1e-12, atol=0) | both_na
    else:
        same = (a == b).fillna(False).to_numpy(dtype=bool) | both_na
    return int((~same).sum())


@pytest.mark.parametrize("source", list(BOOKS))
@pytest.mark.parametrize("variable", [c for c in TRUTH_COLUMNS if c != "respondent_id"])
def test_values_equal_truth(source: str, variable: str, synth_dir: Path) -> None:
    ours, t = harmonised_and_truth(source, synth_dir)
    assert _compare(ours[variable], t[variable]) == 0
    reason = f"{variable}_missing"
    if reason in t.columns:
        assert _compare(ours[reason], t[reason]) == 0


def test_synthetic_values_have_missing_reasons(synth_dir: Path) -> None:
    """The comparison is not vacuous: missing codes occur and map to reasons."""
    ours, _ = harmonised_and_truth("fi_moi", synth_dir)
    assert ours["gender_missing"].notna().sum() > 0
    assert ours["age_is_banded"].all()


# ----------------------------------------------------------------------------- CLI, broken


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def copy_source(synth_dir: Path, source: str, tmp_path: Path) -> Path:
    dst = tmp_path / source
    shutil.copytree(synth_dir / source, dst)
    return dst


def rewrite_sav(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    from surveytk.io.writers import write_sav

    df, meta = pyreadstat.read_sav(str(path), user_missing=True)
    labels = {k: dict(v) for k, v in meta.variable_value_labels.items()}
    df = change(df, labels)
    write_sav(df, path, value_labels={k: v for k, v in labels.items() if k in df.columns},
              user_missing={k: [v for v in vals if not isinstance(v, dict)] for k, vals in
                            meta.missing_user_values.items() if k in df.columns})


def rewrite_dta(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    from surveytk.io.writers import write_dta

    df, meta = pyreadstat.read_dta(str(path))
    labels = {k: dict(v) for k, v in meta.variable_value_labels.items()}
    df = change(df, labels)
    write_dta(df, path, value_labels=labels)


def harmonise_args(book: str, src: Path, out: Path) -> list[str]:
    return ["harmonise", "--codebook", book, "--input-dir", str(src), "--out", str(out)]


def assert_one_line_failure(code: int, err: str, out: Path, *needles: str,
                            problems: int = 1) -> None:
    """Non-zero exit, no output; one line per problem (a headline above several)."""
    assert code != 0
    lines = err.strip().splitlines()
    assert lines[0].startswith("surveytk: error: ")
    if problems == 1:
        assert len(lines) == 1, err
    else:
        assert f"({problems} problems)" in lines[0] and len(lines) == problems + 1, err
    for line in lines[1:] or lines:
        for n in needles:
            assert n in line, (n, line)
    assert not out.exists()
    assert not list(out.parent.glob(f".{out.name}*"))


def test_cli_harmonises_and_is_deterministic(synth_dir: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    for out in (a, b):
        code, text, _ = run_cli(harmonise_args("wodc_w1", synth_dir / "wodc", out), capsys)
        assert code == 0 and "harmonised" in text
    assert a.read_bytes() == b.read_bytes()
    assert (tmp_path / "a.parquet.audit.json").read_bytes() == (
        tmp_path / "b.parquet.audit.json").read_bytes()
    from surveytk.harmonise.output import read_provenance

    prov = read_provenance(a)
    assert prov["codebook"] == "wodc_w1" and prov["codebook_version"] == "1.0.0"
    assert len(prov["codebook_sha256"]) == 64
    assert prov["inputs"]["locov"]["sha256"] != "" and "surveytk_version" in prov


def test_audit_row_accounting_soep(synth_dir: Path) -> None:
    res = harmonise("soep_ukr_2023", synth_dir / "soep_ukr")
    files = res.audit["files"]
    for entry in files.values():
        assert entry["rows_in"] == entry["rows_out"] + sum(entry["rows_excluded"].values())
    # ppathl lists household members who were not interviewed: excluded with a reason
    assert sum(files["ppathl"]["rows_excluded"].values()) > 0
    assert files["pl"]["rows_out"] == len(res.table)
    codes = res.audit["variables"]["employed"]["codes"]
    assert sum(c["n"] for c in codes) == len(res.table)
    # derived variables list every combination of source codes and where it went
    combos = res.audit["variables"]["return_intention"]["codes"]
    assert sum(c["n"] for c in combos) == len(res.table)
    soon = [c for c in combos if c["code"] == ["2", "1"]]
    assert soon and soon[0]["to"] == "return_soon"
    assert soon[0]["n"] == int((res.table["return_intention"] == "return_soon").sum())


def test_unknown_code(synth_dir: Path, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    src = copy_source(synth_dir, "fi_moi", tmp_path)

    def change(df: pd.DataFrame, labels: dict) -> pd.DataFrame:  # type: ignore[type-arg]
        df.loc[df.index[:3], "q15"] = 9.0
        return df

    rewrite_sav(src / "fi_moi_2025.sav", change)
    out = tmp_path / "o.parquet"
    code, _, err = run_cli(harmonise_args("fi_moi_2025", src, out), capsys)
    # q15 feeds employed and employment_status: one line for each
    assert_one_line_failure(code, err, out, "fi_moi_2025.sav", "q15", "value 9",
                            "fewer than 10 rows",
                            "fi_moi_2025.yaml", problems=2)


def test_code_whose_label_changed(synth_dir: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    src = copy_source(synth_dir, "fi_moi", tmp_path)

    def change(df: pd.DataFrame, labels: dict) -> pd.DataFrame:  # type: ignore[type-arg]
        labels["q30"][3.0] = "Return to Ukraine next year"
        return df

    rewrite_sav(src / "fi_moi_2025.sav", change)
    out = tmp_path / "o.parquet"
    code, _, err = run_cli(harmonise_args("fi_moi_2025", src, out), capsys)
    assert code != 0 and not out.exists()
    # q30 feeds two variables: both mismatches are listed
    assert "q30 code 3" in err and "'Return to Ukraine next year'" in err
    assert "expects 'Stay in Finland'" in err


def test_unknown_label_text_in_csv(synth_dir: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    src = copy_source(synth_dir, "unhcr_ris", tmp_path)
    path = src / "ris_r6_households.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[df.index[0], "spouse_child_ukr"] = "Maybe"
    df.to_csv(path, index=False)
    out = tmp_path / "o.parquet"
    code, _, err = run_cli(harmonise_args("unhcr_ris_r6", src, out), capsys)
    assert_one_line_failure(code, err, out, "ris_r6_households.csv", "spouse_child_ukr",
                            "text value held by fewer than 10 rows", "unhcr_ris_r6.yaml")
    assert "Maybe" not in err  # one respondent's text: not quoted (disclosure)


def test_missing_variable(synth_dir: Path, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    src = copy_source(synth_dir, "wodc", tmp_path)
    rewrite_sav(src / "locov_w1.sav", lambda df, labels: df.drop(columns=["betaald_werk"]))
    out = tmp_path / "o.parquet"
    code, _, err = run_cli(harmonise_args("wodc_w1", src, out), capsys)
    assert code != 0 and not out.exists()
    assert "'betaald_werk' not found" in err and "locov_w1.sav" in err


def test_missing_file(synth_dir: Path, tmp_path: Path,
                      capsys: pytest.CaptureFixture[str]) -> None:
    src = copy_source(synth_dir, "soep_ukr", tmp_path)
    (src / "hl.dta").unlink()
    (src / "biol.dta").unlink()
    out = tmp_path / "o.parquet"
    code, _, err = run_cli(harmonise_args("soep_ukr_2023", src, out), capsys)
    assert_one_line_failure(code, err, out, "hl.dta", "biol.dta", "missing file")


def test_truncated_file(synth_dir: Path, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    src = copy_source(synth_dir, "wodc", tmp_path)
    path = src / "locov_w1.sav"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    out = tmp_path / "o.parquet"
    code, _, err = run_cli(harmonise_args("wodc_w1", src, out), capsys)
    assert_one_line_failure(code, err, out, "locov_w1.sav")


def test_duplicate_respondent_ids(synth_dir: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    src = copy_source(synth_dir, "fi_moi", tmp_path)

    def change(df: pd.DataFrame, labels: dict) -> pd.DataFrame:  # type: ignore[type-arg]
        return pd.concat([df, df.iloc[:2]], ignore_index=True)

    rewrite_sav(src / "fi_moi_2025.sav", change)
    out = tmp_path / "o.parquet"
    code, _, err = run_cli(harmonise_args("fi_moi_2025", src, out), capsys)
    assert_one_line_failure(code, err, out, "fewer than 10 rows share a respondent_id",
                            "fi_moi_2025.sav")


def test_household_without_partner_is_reported_not_dropped(synth_dir: Path,
                                                          tmp_path: Path) -> None:
    src = copy_source(synth_dir, "soep_ukr", tmp_path)
    rewrite_dta(src / "hl.dta", lambda df, labels: df.iloc[3:].reset_index(drop=True))
    full = harmonise("soep_ukr_2023", synth_dir / "soep_ukr")
    res = harmonise("soep_ukr_2023", src)
    assert len(res.table) == len(full.table)
    lost = (res.audit["files"]["hl"]["join"]["base_rows_without_partner"]
            - full.audit["files"]["hl"]["join"]["base_rows_without_partner"])
    assert lost > 0
    assert res.audit["files"]["hl"]["join"]["without_partner_becomes"] == "missing:not_asked"
    extra = (res.table["has_children_u18_missing"] == "not_asked").sum() - (
        full.table["has_children_u18_missing"] == "not_asked").sum()
    assert extra == lost


def test_respondent_without_ppathl_row_stops(synth_dir: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    src = copy_source(synth_dir, "soep_ukr", tmp_path)
    pl, _ = pyreadstat.read_dta(str(src / "pl.dta"), usecols=["pid", "syear"])
    first = pl.iloc[0]

    def change(df: pd.DataFrame, labels: dict) -> pd.DataFrame:  # type: ignore[type-arg]
        drop = (df["pid"] == first["pid"]) & (df["syear"] == first["syear"])
        return df[~drop].reset_index(drop=True)

    rewrite_dta(src / "ppathl.dta", change)
    out = tmp_path / "o.parquet"
    code, _, err = run_cli(harmonise_args("soep_ukr_2023", src, out), capsys)
    assert_one_line_failure(code, err, out, "1 rows of pl have no partner in ppathl",
                            "soep_ukr_2023.yaml")


@pytest.mark.parametrize("fmt", ["dta", "sav", "csv"])
def test_other_output_formats(fmt: str, synth_dir: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    from surveytk.io.readers import read_file

    out = tmp_path / f"fi.{fmt}"
    args = [*harmonise_args("fi_moi_2025", synth_dir / "fi_moi", out), "--format", fmt]
    code, _, _ = run_cli(args, capsys)
    assert code == 0
    back = read_file(out)
    ours, _ = harmonised_and_truth("fi_moi", synth_dir)
    assert len(back) == len(ours)
    if fmt != "csv":
        labels = back.meta("return_intention").value_labels
        assert labels[1] == "Stay" and labels[4] == "Return within 12 months"
