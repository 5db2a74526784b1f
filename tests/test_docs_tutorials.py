"""The tutorials (docs/tutorials/*.md) run as printed.

Every ```` ```bash ```` block of a tutorial runs, in page order, in one fresh folder, with
this interpreter's ``surveytk`` (``docs_blocks.run_page``); then the files the page says
it writes are checked, and the numbers of the calibration tutorial are compared with R's
(``tests/reference/design_survey_reference.csv``). The codebook tutorial
(docs/codebooks.md) has its own test, ``tests/test_codebook_tutorial.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from docs_blocks import DOCS, ROOT, run_page, runnable

from surveytk.models.results import FitResult

TUTORIALS = DOCS / "tutorials"
R_DESIGN = ROOT / "tests" / "reference" / "design_survey_reference.csv"


def _r(fixture: str, quantity: str, term: str) -> tuple[float, float]:
    ref = pd.read_csv(R_DESIGN)
    row = ref[(ref.fixture == fixture) & (ref.quantity == quantity) & (ref.term == term)]
    assert len(row) == 1, (fixture, quantity, term)
    return float(row.estimate.iloc[0]), float(row.std_error.iloc[0])


def _close(ours: float, r: float, what: str) -> None:
    assert ours == pytest.approx(r, rel=1e-6), f"{what}: surveytk {ours!r}, R {r!r}"


def check_demo(folder: Path, out: str) -> None:
    manifest = json.loads((folder / "demo" / "manifest.json").read_text())
    assert {"soep_ukr", "unhcr_ris", "wodc", "fi_moi", "pooled"} <= set(manifest["row_accounting"])
    assert "| Employed |" in (folder / "demo" / "tables" / "coefficients.md").read_text()
    res = FitResult.load(folder / "pooled.json")
    assert res.ame is not None and "employed" in res.ame.terms
    assert res.design.variance == "linearized" and res.design.psu == "psu"
    assert "Employed" in (folder / "pooled_ame.md").read_text()
    assert (folder / "pooled_ame.png").stat().st_size > 0


def check_harmonise(folder: Path, out: str) -> None:
    assert "OK: wodc_w1" in out
    audit = json.loads((folder / "wodc.parquet.audit.json").read_text())
    assert audit, "empty audit"
    pooled = pd.read_parquet(folder / "pooled.parquet")
    assert set(pooled["source"].astype(str)) == {"wodc", "fi_moi"}
    assert "Intention" in out and "Share (%)" in out


def check_raw_file(folder: Path, out: str) -> None:
    res = FitResult.load(folder / "wodc.json")
    assert any("Vrouw" in t for t in res.coef.terms), res.coef.terms  # labels name levels
    assert res.dropped.get("would_return", 0) > 0  # 98/99 of terugkeer_veilig are missing
    assert res.ame is not None
    shares = pd.read_csv(folder / "shares.csv")
    levels = set(shares[shares.variable == "terugkeer_veilig"].level)
    assert levels == {"Ja", "Nee", "Twijfel"}
    assert shares[shares.variable == "terugkeer_veilig"].estimate.sum() == pytest.approx(1.0)
    kept = pd.read_csv(folder / "shares_kept.csv")
    assert set(kept.level) == levels | {"Weet niet", "Wil niet zeggen"}
    assert "declared user-missing" in out


def check_calibration(folder: Path, out: str) -> None:
    raked = pd.read_csv(folder / "raked.csv")
    for stat, var in (("mean", "api00"), ("mean", "enroll"), ("total", "api00")):
        row = raked[(raked.statistic == stat) & (raked.variable == var)].iloc[0]
        est, se = _r("apiclus1_rake", stat, var)
        _close(row.estimate, est, f"raked {stat} {var}")
        _close(row.std_error, se, f"raked {stat} {var} SE")
    two = pd.read_csv(folder / "twostage.csv").iloc[0]
    est, se = _r("apiclus2_2stage", "mean", "api00")
    _close(two.estimate, est, "two-stage mean")
    _close(two.std_error, se, "two-stage mean SE")
    logit = pd.read_csv(folder / "raked_logit.csv").set_index("term")
    for term in ("(Intercept)", "ell", "meals"):
        est, se = _r("apiclus1_rake", "glm", term)
        _close(logit.loc[term, "estimate"], est, f"raked logit {term}")
        _close(logit.loc[term, "std_error"], se, f"raked logit {term} SE")
    assert "weights raked to totals of stype, sch.wide" in out


def check_report(folder: Path, out: str) -> None:
    report = folder / "report"
    manifest = json.loads((report / "manifest.json").read_text())
    assert set(manifest["models"]) == {"wodc", "wodc_calibrated", "pooled", "categories"}
    for name in ("tables/logits.md", "tables/logits.html", "tables/effects.md",
                 "tables/categories.md", "figures/ame.png", "figures/by_age.png",
                 "tabulations/intentions.md"):
        assert name in manifest["outputs"], name
        assert (report / name).stat().st_size > 0, name
    cal = FitResult.load(report / "results" / "wodc_calibrated.json")
    assert cal.design.calibration and "post-stratified" in cal.design.calibration
    plain = FitResult.load(report / "results" / "wodc.json")
    assert plain.design.calibration is None
    assert (folder / "wodc_compare.docx").stat().st_size > 0


CHECKS: dict[str, Callable[[Path, str], None]] = {
    "demo.md": check_demo,
    "harmonise.md": check_harmonise,
    "raw-file.md": check_raw_file,
    "calibration.md": check_calibration,
    "report.md": check_report,
}


def test_every_tutorial_is_run_here() -> None:
    pages = {p.name for p in TUTORIALS.glob("*.md") if runnable(p)}
    assert pages == set(CHECKS), "a tutorial page without a check here (or a check without page)"


@pytest.mark.parametrize("page", sorted(CHECKS))
def test_tutorial_runs(page: str, tmp_path: Path) -> None:
    proc = run_page(TUTORIALS / page, tmp_path)
    assert proc.returncode == 0, f"{page} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    CHECKS[page](tmp_path, proc.stdout + proc.stderr)
