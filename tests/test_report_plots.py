"""Figures: forest plots and predicted probabilities, written, opened, and rerun."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import pytest

from surveytk.errors import OutputError
from surveytk.models.results import FitResult
from surveytk.report.examples import (
    EXAMPLE_SCHEMA,
    example_binary,
    example_multinomial,
    example_ordinal,
)
from surveytk.report.plots import forest_plot, forest_points, term_matches, write_plot
from surveytk.report.term_labels import Labeller, parse_schema_labels


@pytest.fixture(scope="module")
def labeller() -> Labeller:
    return Labeller(parse_schema_labels(EXAMPLE_SCHEMA, "schema.yaml"))


@pytest.fixture(scope="module")
def two_binary() -> list[FitResult]:
    return [example_binary("SOEP"), example_binary("WODC", seed=5, scale=0.8)]


def test_term_matching_by_variable() -> None:
    assert term_matches("C(origin_area)[T.kyiv]", ["origin_area"])
    assert term_matches("age:employed[T.True]", ["employed"])
    assert term_matches("age", ["age"])
    assert not term_matches("age", ["employed"])


def test_forest_points_leave_out_intercept_and_thresholds(two_binary: list[FitResult]) -> None:
    points = forest_points([example_ordinal()], ["o"], ame=False)
    assert {p.term for p in points} == {
        "age", "employed", "origin_area[frontline]", "origin_area[kyiv]"
    }
    binary = forest_points(two_binary, ["a", "b"], ame=False, terms=["origin_area"])
    assert {p.term for p in binary} == {"origin_area[frontline]", "origin_area[kyiv]"}
    assert {p.series for p in binary} == {0, 1}


def test_forest_points_exp_bounds(two_binary: list[FitResult]) -> None:
    (p,) = forest_points(two_binary[:1], ["a"], ame=False, exp=True, terms=["employed"])
    ci = two_binary[0].conf_int().loc["employed"]
    assert p.low == pytest.approx(float(pytest.importorskip("numpy").exp(ci["conf_low"])))
    assert p.low < p.estimate < p.high


def test_forest_plot_has_one_tick_per_term(two_binary: list[FitResult], labeller: Labeller) -> None:
    fig = forest_plot(two_binary, kind="coef", labeller=labeller)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "Age (years)",
        "Employed",
        "Origin area: Front line",
        "Origin area: Kyiv",
        "Distance to Ukraine (km)",
    ]
    # one panel per source, each with its own x scale, titled by the source
    panels = [a for a in fig.axes if a.axison]
    assert [a.get_title() for a in panels] == ["SOEP", "WODC"]
    assert panels[0].get_xlim() != panels[1].get_xlim()
    assert not fig.legends


def test_each_facet_spans_its_own_intervals(two_binary: list[FitResult]) -> None:
    fig = forest_plot(two_binary, kind="coef", terms=["age"])
    for ax, result in zip([a for a in fig.axes if a.axison], two_binary, strict=True):
        ci = result.conf_int().loc["age"]
        low, high = ax.get_xlim()
        assert low <= ci["conf_low"] and ci["conf_high"] <= high
        # the facet is scaled to its own interval (and the zero line), not the other's
        assert high - low < 3 * max(ci["conf_high"], 0) - 3 * min(ci["conf_low"], 0) + 1e-12


def test_scale_multiplies_the_effect_and_names_the_unit(two_binary: list[FitResult]) -> None:
    (p1,) = forest_points(two_binary[:1], ["a"], ame=False, terms=["age"])
    (p10,) = forest_points(two_binary[:1], ["a"], ame=False, terms=["age"],
                           scale=[("age", 10.0, "years")])
    assert p10.estimate == pytest.approx(10 * p1.estimate)
    assert p10.high - p10.low == pytest.approx(10 * (p1.high - p1.low))
    fig = forest_plot(two_binary[:1], kind="coef", terms=["age"], scale=[("age", 10.0, "years")])
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["age (per 10 years)"]


def test_ame_panels_per_outcome_level(labeller: Labeller) -> None:
    fig = forest_plot([example_multinomial(), example_ordinal()], kind="ame", labeller=labeller)
    titles = [ax.get_title() for ax in fig.axes if ax.axison]
    assert titles == [
        "Finland — Return",
        "Finland — Stay",
        "UNHCR R6 — Stay",
        "Finland — Move on",
        "Finland — Undecided",
        "UNHCR R6 — Undecided",
        "UNHCR R6 — Return some day",
        "UNHCR R6 — Return within 12 months",
    ]


@pytest.mark.parametrize(
    ("kind", "suffix", "exp"),
    [
        ("coef", "png", False),
        ("coef", "svg", True),
        ("ame", "pdf", False),
        ("predicted", "png", False),
    ],
)
def test_figures_written_and_rerun_byte_identical(
    two_binary: list[FitResult],
    labeller: Labeller,
    tmp_path: Path,
    kind: str,
    suffix: str,
    exp: bool,
) -> None:
    opts = {"kind": kind, "exp": exp, "labeller": labeller, "dpi": 100}
    a = write_plot(two_binary, tmp_path / f"a.{suffix}", **opts)  # type: ignore[arg-type]
    b = write_plot(two_binary, tmp_path / f"b.{suffix}", **opts)  # type: ignore[arg-type]
    assert a.stat().st_size > 1000
    assert a.read_bytes() == b.read_bytes()
    if suffix == "png":
        image = mpimg.imread(a)
        height, width = image.shape[:2]
        assert width >= 400 and height >= 250


def test_predicted_needs_stored_predictions(tmp_path: Path) -> None:
    bare = example_ordinal()
    with pytest.raises(OutputError, match="no predictions"):
        write_plot([bare], tmp_path / "p.png", kind="predicted", labeller=Labeller(enabled=False))
    assert not (tmp_path / "p.png").exists()


def test_predicted_rejects_incomplete_records(tmp_path: Path) -> None:
    res = FitResult.from_dict(
        {**example_binary().to_dict(), "extra": {"predictions": [{"x": 1.0}]}}
    )
    with pytest.raises(OutputError, match="lacks one of"):
        write_plot([res], tmp_path / "p.png", kind="predicted", labeller=Labeller(enabled=False))


def test_unknown_x_variable(two_binary: list[FitResult], tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="no predictions by 'gender'"):
        write_plot(two_binary, tmp_path / "p.png", kind="predicted", x_var="gender")


def test_bad_figure_suffix_and_exp_on_ame(two_binary: list[FitResult], tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="png, svg, pdf"):
        write_plot(two_binary, tmp_path / "p.jpg")
    with pytest.raises(OutputError, match="--exp"):
        write_plot(two_binary, tmp_path / "p.png", kind="ame", exp=True)
    with pytest.raises(OutputError, match="nothing to plot"):
        write_plot(two_binary, tmp_path / "p.png", terms=["gender"])


def test_predicted_categorical_x_by_outcome_level(labeller: Labeller, tmp_path: Path) -> None:
    records = [
        {
            "x_var": "origin_area",
            "x": area,
            "group_var": "employed",
            "group": group,
            "y_level": level,
            "estimate": 0.3,
            "conf_low": 0.25,
            "conf_high": 0.35,
        }
        for group in ("False", "True")
        for area in ("occupied", "frontline", "kyiv")
        for level in ("stay", "return_soon")
    ]
    res = FitResult.from_dict({**example_ordinal().to_dict(), "extra": {"predictions": records}})
    from surveytk.report.plots import predicted_plot

    fig = predicted_plot([res], labeller=labeller)
    assert [ax.get_title() for ax in fig.axes] == ["Stay", "Return within 12 months"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [
        "Occupied",
        "Front line",
        "Kyiv",
    ]
    legend = fig.axes[-1].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["No", "Yes"]


def test_mixed_binary_and_ordinal_ame_panels(labeller: Labeller) -> None:
    fig = forest_plot([example_binary(), example_ordinal()], kind="ame", labeller=labeller)
    titles = [ax.get_title() for ax in fig.axes if ax.axison]
    assert titles[0] == "SOEP"  # the binary outcome: one panel under its source
    assert titles[1:] == [f"UNHCR R6 — {lv}" for lv in
                          ("Stay", "Undecided", "Return some day", "Return within 12 months")]
