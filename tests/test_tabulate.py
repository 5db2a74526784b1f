"""`tabulate`: origin reference table, domains, missing values, suppression, invariances."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveytk.codebook.origin_areas import read_origin_lookup
from surveytk.disclosure import SUPPRESSED_MARKER
from surveytk.errors import DesignError, FormulaError, OutputError
from surveytk.report.render_tabulation import render_tabulation
from surveytk.report.term_labels import Labeller
from surveytk.survey.shares import share_scores
from surveytk.tabulate import MISSING_LEVEL, origin_ratio, tabulate


@pytest.fixture(scope="module")
def wodc(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """A harmonised synthetic WODC file (synth → harmonise), as a user would make it."""
    from surveytk.harmonise.run import harmonise_to_file
    from surveytk.synth import write_synthetic_sources

    root = tmp_path_factory.mktemp("wodc")
    write_synthetic_sources(root, sources=["wodc"], scale=0.2)
    out = root / "wodc.parquet"
    harmonise_to_file("wodc_w1", root / "wodc", out)
    from surveytk.io.readers import read_file

    return read_file(out).data


def small_frame(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 400
    area = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    group = rng.choice(["x", "y"], size=n)
    return pd.DataFrame(
        {
            "area": pd.Categorical(area, categories=["c", "b", "a", "unused"]),
            "group": group,
            "w": rng.uniform(0.5, 2.0, size=n),
            "stratum": rng.choice(["s1", "s2"], size=n),
        }
    )


# ---- origin reference ------------------------------------------------------------------


def weighted_shares(df: pd.DataFrame, by: list[str]) -> pd.Series:
    """Weighted shares of the last by-variable (within the first), by hand."""
    valid = df.dropna(subset=by)
    totals = valid.groupby(by, observed=False)["weight"].sum()
    if len(by) == 1:
        return totals / totals.sum()
    return totals / totals.groupby(level=0, observed=False).transform("sum")


def test_origin_reference_on_harmonised_wodc(wodc: pd.DataFrame) -> None:
    tab = tabulate(
        wodc, ["origin_area"], weights="weight", strata="stratum", reference="origin", dropna=True
    )
    lookup = read_origin_lookup()
    cells = tab.cells
    # areas in the order of the lookup file, pre-war shares from it
    assert list(cells["level"]) == list(lookup["origin_area"])
    np.testing.assert_allclose(cells["prewar_pct"], lookup["prewar_population_pct"])
    # every area has at least 10 respondents: nothing is suppressed
    counts = wodc["origin_area"].value_counts()
    assert counts.min() >= 10
    assert not cells["suppressed"].any()
    assert list(cells["n"]) == [counts[a] for a in cells["level"]]
    np.testing.assert_allclose(
        cells["ratio"], 100 * cells["share"] / cells["prewar_pct"], rtol=1e-12
    )
    # weighted shares of the valid areas, computed by hand
    by_hand = weighted_shares(wodc, ["origin_area"])
    np.testing.assert_allclose(cells["share"], by_hand[cells["level"]].to_numpy(), rtol=1e-12)


def test_origin_ratio_is_computed_not_copied() -> None:
    # Clingendael (2025), Tabel 1 (after WODC LOCOV wave 1; the source of
    # codebooks/lookups/origin_areas.csv): front line 31.3 % of respondents vs 27.4 % of the
    # pre-war population → 1.14 (the report prints 1.34)
    assert origin_ratio(np.array([0.313]), np.array([27.4]))[0] == pytest.approx(1.1423, abs=1e-4)
    assert np.isnan(origin_ratio(np.array([np.nan]), np.array([27.4]))[0])
    assert np.isnan(origin_ratio(np.array([0.2]), np.array([np.nan]))[0])


def test_origin_reference_keeps_missing_as_its_own_row(wodc: pd.DataFrame) -> None:
    assert wodc["origin_area"].isna().any()
    tab = tabulate(wodc, ["origin_area"], weights="weight", reference="origin", threshold=1)
    last = tab.cells.iloc[-1]
    assert last["level"] == MISSING_LEVEL and np.isnan(last["prewar_pct"])
    assert tab.cells["share"].sum() == pytest.approx(1.0)
    assert tab.n_total == len(wodc)


def test_origin_reference_needs_origin_area(wodc: pd.DataFrame) -> None:
    with pytest.raises(OutputError, match="origin_area"):
        tabulate(wodc, ["gender"], weights="weight", reference="origin")


def test_two_way_with_origin_reference_per_gender(wodc: pd.DataFrame) -> None:
    tab = tabulate(
        wodc, ["gender", "origin_area"], weights="weight", reference="origin", dropna=True
    )
    counts = wodc.dropna(subset=["gender"]).groupby(["gender", "origin_area"]).size()
    # the synthetic file has one cell under the threshold: male × lviv
    assert [key for key, n in counts.items() if n < 10] == [("male", "lviv")]
    # primary male × lviv; the line rule adds the smallest cell of its row (male × centre)
    # and of its column (female × lviv); column centre then has one suppressed cell, so
    # female × centre goes too. Every row and column now has two.
    hidden = {(str(r["domain"]), str(r["level"])) for _, r in tab.cells.iterrows()
              if r["suppressed"]}
    assert hidden == {("male", "lviv"), ("male", "centre"), ("female", "lviv"),
                      ("female", "centre")}
    assert not tab.domains["suppressed"].any()
    assert tab.n_total == int(counts.sum())
    by_hand = weighted_shares(wodc, ["gender", "origin_area"])
    for dom, rows in tab.cells.groupby("domain", sort=False):
        assert dom in {"female", "male"}
        shown = rows[~rows["suppressed"]]
        expected = by_hand[dom][shown["level"]].to_numpy()
        np.testing.assert_allclose(shown["share"], expected, rtol=1e-12)
        assert list(shown["n"]) == [counts[(dom, a)] for a in shown["level"]]
        # the shown shares and the (withheld) shares of the suppressed cells add up to one
        withheld = by_hand[dom][rows.loc[rows["suppressed"], "level"]].sum()
        assert shown["share"].sum() + withheld == pytest.approx(1.0, abs=1e-12)
        np.testing.assert_allclose(shown["ratio"], 100 * shown["share"] / shown["prewar_pct"])


# ---- domains, missing values, invariances ------------------------------------------------


def test_two_way_shares_sum_to_one_within_each_domain() -> None:
    df = small_frame()
    tab = tabulate(df, ["group", "area"], weights="w", strata="stratum", threshold=1)
    assert list(tab.domains["domain"]) == ["x", "y"]
    # unused categories are not shown; declared order kept
    assert list(tab.cells["level"].unique()) == ["c", "b", "a"]
    sums = tab.cells.groupby("domain")["share"].sum()
    np.testing.assert_allclose(sums, 1.0)
    counts = df.groupby(["group", "area"], observed=True).size()
    for _, r in tab.cells.iterrows():
        assert r["n"] == counts[(r["domain"], r["level"])]


def test_rescaling_weights_changes_nothing() -> None:
    df = small_frame()
    a = tabulate(df, ["area"], weights="w", strata="stratum")
    b = tabulate(df.assign(w=df["w"] * 37.5), ["area"], weights="w", strata="stratum")
    np.testing.assert_allclose(a.cells["share"], b.cells["share"], rtol=1e-12)
    np.testing.assert_allclose(a.cells["std_error"], b.cells["std_error"], rtol=1e-10)


def test_unweighted_shares_are_proportions_of_counts() -> None:
    df = small_frame()
    tab = tabulate(df, ["area"], weights="w", weighted=False)
    np.testing.assert_allclose(tab.cells["share"], tab.cells["n"] / len(df))
    # simple random sample: se² = p(1 − p)/(n − 1) (R svymean on an id=~1 design)
    p = tab.cells["share"].to_numpy()
    np.testing.assert_allclose(tab.cells["std_error"], np.sqrt(p * (1 - p) / (len(df) - 1)))
    assert tab.design.weights is None


def test_share_scores_sum_to_zero() -> None:
    y = np.eye(3)[[0, 1, 1, 2, 0, 0]]
    w = np.array([1.0, 2.0, 1.0, 0.5, 3.0, 1.0])
    share, scores, total = share_scores(y, w)
    np.testing.assert_allclose(scores.sum(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(share, [5.0 / 8.5, 3.0 / 8.5, 0.5 / 8.5], rtol=1e-15)
    assert total == 8.5


def test_missing_values_are_a_level_unless_dropna() -> None:
    df = small_frame()
    df["area"] = df["area"].where(np.arange(len(df)) % 9 != 0)
    n_missing = int(df["area"].isna().sum())
    tab = tabulate(df, ["area"], weights="w")
    row = tab.cells[tab.cells["level"] == MISSING_LEVEL].iloc[0]
    assert row["n"] == n_missing
    dropped = tabulate(df, ["area"], weights="w", dropna=True)
    assert MISSING_LEVEL not in set(dropped.cells["level"])
    assert dropped.n_total == len(df) - n_missing
    assert any("--dropna" in note for note in dropped.notes)


def test_zero_weights_are_counted_out_and_reported() -> None:
    df = small_frame()
    df.loc[:4, "w"] = 0.0
    tab = tabulate(df, ["area"], weights="w")
    assert tab.n_total == len(df) - 5
    assert any("weight 0" in note for note in tab.notes)


# ---- disclosure control in the tabulation --------------------------------------------------


def test_small_cell_and_its_complement_are_suppressed() -> None:
    df = small_frame()
    df = pd.concat([df, df.iloc[:4].assign(area="unused")], ignore_index=True)  # 4 in "unused"
    tab = tabulate(df, ["area"], weights="w")
    hidden = tab.cells.set_index("level")["suppressed"]
    assert hidden["unused"]
    assert hidden.sum() == 2  # complementary: the total would otherwise reveal the 4
    for col in ("n", "share", "std_error", "conf_low", "conf_high"):
        assert tab.cells.loc[tab.cells["suppressed"], col].isna().all()
        assert tab.cells.loc[~tab.cells["suppressed"], col].notna().all()
    text = render_tabulation(tab, "md").decode()
    assert text.count(SUPPRESSED_MARKER) >= 8
    assert "complementary suppression" in text


def test_two_way_small_domain_cannot_be_recovered_from_totals() -> None:
    df = small_frame()
    extra = df.iloc[:3].assign(group="z")  # a domain of 3 respondents
    both = pd.concat([df, extra], ignore_index=True)
    tab = tabulate(both, ["group", "area"], weights="w")
    totals = both.groupby("group").size()
    assert totals["x"] > totals["y"] >= 10
    # z (3) is primary; the grand total (shown) = x + y + z, so the smaller of the other
    # domain totals, y, is suppressed with it, and the grand total stays
    doms = tab.domains.set_index("domain")
    assert doms["suppressed"].to_dict() == {"x": False, "y": True, "z": True}
    assert doms.loc["x", "n"] == totals["x"]
    assert tab.n_total == len(both)
    # every cell of z is under the threshold; no row (with its total) or column has exactly
    # one suppressed cell, which subtraction would give away
    cells = tab.cells.set_index(["domain", "level"])["suppressed"].unstack()
    assert cells.loc["z"].all()
    rows = cells.assign(total=doms["suppressed"])
    for line in [*rows.itertuples(index=False), *cells.T.itertuples(index=False)]:
        assert sum(line) != 1
    counts = both.groupby(["group", "area"], observed=True).size()
    shown = tab.cells[~tab.cells["suppressed"]]
    keys = zip(shown["domain"], shown["level"], strict=True)
    assert list(shown["n"]) == [counts[key] for key in keys]


# ---- errors and output ---------------------------------------------------------------------


def test_errors_are_one_line() -> None:
    df = small_frame()
    cases = [
        (FormulaError, dict(by=["nope"], weights="w")),
        (FormulaError, dict(by=["area", "group", "stratum"], weights="w")),
        (FormulaError, dict(by=["area", "area"], weights="w")),
        (DesignError, dict(by=["area"], weights="absent")),
        (OutputError, dict(by=["area"], weights="w", reference="nuts")),
        (OutputError, dict(by=["area"], weights="w", threshold=0)),
    ]
    for error, kwargs in cases:
        with pytest.raises(error) as info:
            tabulate(df, **kwargs)  # type: ignore[arg-type]
        assert "\n" not in str(info.value)


def test_output_holds_aggregates_only(wodc: pd.DataFrame, tmp_path: Path) -> None:
    tab = tabulate(wodc, ["origin_area"], weights="weight", strata="stratum", reference="origin")
    labeller = Labeller.from_schema()
    for fmt in ("md", "csv", "html", "latex"):
        text = render_tabulation(tab, fmt, labeller=labeller).decode()
        for rid in wodc["respondent_id"].head(50):
            assert str(rid) not in text
        assert "Near the front line" in text
    # one row per area (+ missing + total) in the CSV body, nothing per respondent
    csv_text = render_tabulation(tab, "csv").decode()
    assert len(csv_text.splitlines()) < 20
