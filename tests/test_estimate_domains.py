"""Fast paths of `estimate`: compacted --by domains, means and shares of every domain from
one sort, raking on the cross-table.

A ``--by`` domain's design is compacted to the domain's rows
(:func:`surveytk.survey.estimators.split_domains`); its numbers must be exactly
those of the full design narrowed by a mask. Means and shares of linearised designs
are estimated from each domain's rows, sorted once, without a design per domain
(:func:`surveytk.survey.estimators.survey_means_by`, ``survey_shares_by``); their
numbers must be exactly those of the compacted domains. Raking and its variance
projection run on the cross-table of the margins; they must agree with the
row-by-row iterations they replace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import surveytk.survey.estimators as estimators
from surveytk.errors import DesignError
from surveytk.estimate import EstimateRequest, category_codes, estimate
from surveytk.survey.calibration import (
    RAKE_VARIANCE_SWEEPS,
    CrossCells,
    Totals,
    poststratify_weights,
    rake_weights,
)
from surveytk.survey.design import SurveyDesign
from surveytk.survey.estimators import (
    DesignEstimate,
    EmptyDomainError,
    indicators,
    split_domains,
    survey_mean,
    survey_means_by,
    survey_ratio,
    survey_shares_by,
    survey_total,
)
from surveytk.survey.quantiles import survey_quantiles

DATA = Path(__file__).parent / "data" / "survey"


def _apistrat() -> pd.DataFrame:
    return pd.read_csv(DATA / "apistrat.csv")


def _apiclus1() -> pd.DataFrame:
    return pd.read_csv(DATA / "apiclus1.csv")


DESIGNS = {
    "strata_fpc": (_apistrat, {"weights": "pw", "strata": "stype", "fpc": "fpc"}, "cname"),
    "clusters": (_apiclus1, {"weights": "pw", "psu": "dnum", "fpc": "fpc"}, "stype"),
    "clusters_adjust": (
        _apiclus1,
        {"weights": "pw", "psu": "dnum", "lonely_psu": "adjust", "adjust_domain_lonely": True},
        "cname",
    ),
    "two_stage": (
        _apiclus1,
        {"weights": "pw", "psu": ["dnum", "snum"], "fpc": ["fpc", "fpc"], "lonely_psu": "adjust"},
        "stype",
    ),
    "jk1": (_apiclus1, {"weights": "pw", "psu": "dnum", "reptype": "jk1"}, "stype"),
    "bootstrap": (
        _apistrat,
        {"weights": "pw", "strata": "stype", "replicates": 30, "seed": 4},
        "stype",
    ),
    "subpop": (
        _apistrat,
        {"weights": "pw", "strata": "stype", "fpc": "fpc", "subpop": "api00 > 600"},
        "stype",
    ),
}


def _both(
    f: Callable[[SurveyDesign, Any], Any], part: SurveyDesign, masked: SurveyDesign, rows: Any
) -> tuple[Any, Any]:
    """``f`` of the compacted domain (rows taken) and of the masked full design (all rows);
    an empty domain must fail in both."""
    try:
        full = f(masked, slice(None))
    except EmptyDomainError:
        with pytest.raises(EmptyDomainError):
            f(part, rows)
        return None, None
    return f(part, rows), full


def _same(a: DesignEstimate | None, b: DesignEstimate | None) -> None:
    if a is None or b is None:
        assert a is None and b is None
        return
    for field in ("estimate", "cov", "deff"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert (a.df, a.n) == (b.df, b.n)


@pytest.mark.parametrize("name", list(DESIGNS))
def test_compacted_domains_give_the_numbers_of_masked_designs(name: str) -> None:
    make, options, by = DESIGNS[name]
    d = make()
    d.loc[d.index[::9], "api00"] = np.nan  # missing values leave the domains too
    design = SurveyDesign.from_options(d, options)
    codes, levels = category_codes(d, by)
    y, x = d["api00"].to_numpy(dtype=float), d["enroll"].to_numpy(dtype=float)
    compared = 0
    for j, part in enumerate(split_domains(design, codes, levels, by)):
        masked = design.subset(codes == j)
        if part is None:
            assert masked.n_obs == 0
            continue
        assert part.rows is not None
        rows = part.rows
        assert part.design.df == masked.df
        _same(*_both(lambda des, r: survey_mean(y[r], des), part.design, masked, rows))
        _same(*_both(lambda des, r: survey_total(y[r], des), part.design, masked, rows))
        _same(*_both(lambda des, r: survey_ratio(y[r], x[r], des), part.design, masked, rows))
        q_part, q_masked = _both(
            lambda des, r: [astuple(q) for q in survey_quantiles(y[r], des, [0.25, 0.5])],
            part.design,
            masked,
            rows,
        )
        np.testing.assert_equal(q_part, q_masked)
        compared += 1
    assert compared >= 2


def _random_design(seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Strata with a lonely PSU, domains inside one PSU of a stratum, an empty domain,
    a domain without values, zero weights and missing values."""
    rng = np.random.default_rng(seed)
    n = 1500
    d = pd.DataFrame({"st": rng.integers(0, 12, n)})
    d["psu"] = d["st"] * 10 + rng.integers(0, 3, n)
    d.loc[d["st"] == 4, "psu"] = 40  # a lonely PSU
    d["ssu"] = rng.integers(0, 3, n)
    d["w"] = rng.uniform(0.5, 4.0, n)
    d.loc[d.index[::40], "w"] = 0.0
    d["fpc1"], d["fpc2"] = 20.0, 6.0
    d["dom"] = rng.integers(0, 6, n).astype(float)
    d.loc[d["psu"].isin([11, 22, 40]), "dom"] = 6.0  # one PSU per stratum in the domain
    d.loc[d.index[::23], "dom"] = np.nan
    d.loc[d["w"] == 0, "dom"] = 7.0  # rows only outside the design's domain: no domain
    d["y"] = rng.normal(10.0, 3.0, n)
    d.loc[d.index[::11], "y"] = np.nan
    d.loc[d["dom"] == 5, "y"] = np.nan  # a domain without values
    d["z"] = rng.integers(0, 4, n).astype(float)
    d.loc[d.index[::13], "z"] = np.nan
    rule = ["adjust", "certainty", "remove", "average"][seed % 4]
    options: dict[str, Any] = {
        "weights": "w",
        "strata": "st",
        "psu": "psu",
        "lonely_psu": rule,
        "adjust_domain_lonely": seed < 4,
    }
    if seed % 3 == 1:
        options["subpop"] = "y > 8 | z == 2"
    if seed % 3 == 2:  # two stages with fpc: the second stage enters the variance
        options.update(psu=["psu", "ssu"], fpc=["fpc1", "fpc2"])
    return d, options


def _same_or_same_error(
    one_pass: estimators.DomainEstimates, j: int, values: np.ndarray, part: SurveyDesign
) -> None:
    """Domain ``j`` of ``one_pass`` equals ``survey_mean`` of its compacted design, or both
    fail with the same error."""
    a = _one_by_one(lambda: one_pass.get(j))
    b = _one_by_one(lambda: survey_mean(values, part, deff=False))
    if isinstance(b, tuple):
        assert a == b
        return
    _same(a, b)
    assert a.sum_weights == b.sum_weights


def _one_by_one(f: Callable[[], Any]) -> Any:
    try:
        return f()
    except (EmptyDomainError, DesignError) as exc:
        return type(exc), exc.message


@pytest.mark.parametrize("seed", range(8))
def test_sorted_domains_give_the_numbers_of_compacted_domains(seed: int) -> None:
    d, options = _random_design(seed)
    design = SurveyDesign.from_options(d, options)
    by, levels = category_codes(d, "dom")
    z, z_levels = category_codes(d, "z")
    k = len(z_levels)
    y = d["y"].to_numpy(dtype=float)
    means = survey_means_by(y, design, by, len(levels))
    got = survey_shares_by(z, k, design, by, len(levels))
    assert means is not None and got is not None
    shares, counts = got
    parts = split_domains(design, by, levels, "dom")
    assert parts[levels.index("7")] is None
    for j, part in enumerate(parts):
        if part is None:
            continue
        rows = part.rows
        assert rows is not None
        _same_or_same_error(means, j, y[rows], part.design)
        _same_or_same_error(shares, j, indicators(z[rows], k), part.design)
        used = part.design.subset(z[rows] >= 0).domain
        np.testing.assert_array_equal(counts(j), np.bincount(z[rows][used], minlength=k))


@pytest.mark.parametrize("seed", range(8))
def test_sorted_domain_tables_equal_the_tables_of_domain_designs(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    d, options = _random_design(seed)
    design = SurveyDesign.from_options(d, options)
    request = EstimateRequest(mean=("y",), prop=("z",), by="dom", threshold=1)
    fast = _one_by_one(lambda: estimate(d, design, request))
    monkeypatch.setattr(estimators, "_domain_rows", lambda *a: None)  # on domain designs
    slow = _one_by_one(lambda: estimate(d, design, request))
    if isinstance(slow, tuple):  # --lonely-psu average with nothing to average
        assert fast == slow
        return
    pd.testing.assert_frame_equal(fast.rows, slow.rows, check_exact=True)
    assert fast.notes == slow.notes
    assert any("no respondent in the domain has a value" in n for n in fast.notes)


def test_calibrated_design_keeps_every_row_in_its_domains() -> None:
    d = _apiclus1()
    design = SurveyDesign.from_options(
        d,
        {
            "weights": "pw",
            "psu": "dnum",
            "fpc": "fpc",
            "calibrate": str(DATA.parent.parent / "reference" / "data" / "totals_rake.csv"),
            "calibration": "rake",
        },
    )
    codes, levels = category_codes(d, "stype")
    parts = split_domains(design, codes, levels, "stype")
    assert all(p is not None and p.rows is None for p in parts)
    table = estimate(d, design, EstimateRequest(mean=("api00",), by="stype"))
    for j, lv in enumerate(levels):
        direct = survey_mean(d["api00"].to_numpy(dtype=float), design.subset(codes == j))
        row = table.rows[table.rows["domain"] == lv].iloc[0]
        assert row["estimate"] == direct.estimate[0]
        assert row["std_error"] == direct.std_error[0]


def _rowwise_rake(
    w: np.ndarray, margins: list[np.ndarray], targets: list[np.ndarray]
) -> np.ndarray:
    """Iterative post-stratification of the rows, sweep by sweep (R ``rake``)."""
    cross = CrossCells.of(margins).codes
    old = np.bincount(cross, weights=w)
    for _ in range(200):
        for cells, target in zip(margins, targets, strict=True):
            w = poststratify_weights(w, cells, target)
        new = np.bincount(cross, weights=w, minlength=old.size)
        if np.max(np.abs(new - old)) < 1e-12 * w.sum():
            return w
        old = new
    raise AssertionError("no convergence")


def _margins(n: int, seed: int) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.5, 3.0, n)
    margins = [rng.integers(0, k, n) for k in (2, 5, 7)]
    targets = []
    for cells in margins:
        share = np.bincount(cells, weights=w) * rng.uniform(0.8, 1.2, cells.max() + 1)
        targets.append(share / share.sum() * 10_000.0)
    return w, margins, targets


@pytest.mark.parametrize("seed", [1, 2])
def test_raking_on_the_cross_table_equals_raking_the_rows(seed: int) -> None:
    w, margins, targets = _margins(3000, seed)
    raked = rake_weights(w, margins, targets)
    np.testing.assert_allclose(raked, _rowwise_rake(w, margins, targets), rtol=1e-12)
    for cells, target in zip(margins, targets, strict=True):
        np.testing.assert_allclose(np.bincount(cells, weights=raked), target, rtol=1e-9)


def test_raking_projection_on_the_cross_table_equals_the_row_sweeps() -> None:
    w, margins, targets = _margins(2000, 3)
    d = pd.DataFrame({f"m{i}": c for i, c in enumerate(margins)})
    d["w"] = w
    totals = Totals(
        categorical={
            f"m{i}": {str(level): float(t) for level, t in enumerate(target)}
            for i, target in enumerate(targets)
        }
    )
    design = SurveyDesign.from_frame(d, weights="w").calibrate(d, totals, "rake")
    cal = design.calibration
    assert cal is not None and cal.new_weights is not None
    rng = np.random.default_rng(7)
    x = rng.normal(size=(len(d), 2)) * cal.new_weights[:, None]
    # R svyrecvar: ten sweeps of x - w * (plain cell mean of x / w) over the margins
    expected = x.copy()
    wc = cal.new_weights[:, None]
    for _ in range(RAKE_VARIANCE_SWEEPS):
        for cells in cal.cells:
            ratio = expected / wc
            means = np.stack(
                [np.bincount(cells, weights=ratio[:, j]) / np.bincount(cells) for j in range(2)],
                1,
            )
            expected = expected - wc * means[cells]
    np.testing.assert_allclose(cal.residuals(x), expected, rtol=1e-9, atol=1e-12)
