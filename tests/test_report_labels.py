"""Labels for terms, levels and thresholds from the common schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from surveytk.errors import OutputError
from surveytk.report.examples import EXAMPLE_SCHEMA
from surveytk.report.term_labels import (
    Labeller,
    parse_schema_labels,
    parse_term_part,
    split_interaction,
)


@pytest.fixture()
def labeller() -> Labeller:
    return Labeller(parse_schema_labels(EXAMPLE_SCHEMA, "schema.yaml"))


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("age", ("age", None)),
        ("origin_area[frontline]", ("origin_area", "frontline")),
        ("origin_area[T.frontline]", ("origin_area", "frontline")),
        ("C(origin_area)[T.frontline]", ("origin_area", "frontline")),
        ("C(origin_area, Treatment('kyiv'))[T.frontline]", ("origin_area", "frontline")),
        ("employed[T.True]", ("employed", "True")),
    ],
)
def test_parse_term_part(part: str, expected: tuple[str, str | None]) -> None:
    assert parse_term_part(part) == expected


def test_split_interaction_ignores_colons_inside_brackets() -> None:
    assert split_interaction("age:C(origin_area)[T.a:b]") == ["age", "C(origin_area)[T.a:b]"]


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Intercept", "Intercept"),
        ("(Intercept)", "Intercept"),
        ("age", "Age (years)"),
        ("employed", "Employed"),
        ("employed[T.True]", "Employed"),
        ("origin_area[kyiv]", "Origin area: Kyiv"),
        ("C(origin_area)[T.frontline]", "Origin area: Front line"),
        ("age:employed[T.True]", "Age (years) × Employed"),
        ("log(distance_km)", "log(Distance to Ukraine (km))"),
        ("unknown_var", "unknown_var"),
        ("origin_area[T.nowhere]", "Origin area: nowhere"),
    ],
)
def test_term_labels(labeller: Labeller, term: str, expected: str) -> None:
    assert labeller.term(term) == expected


def test_threshold_label_uses_outcome_levels(labeller: Labeller) -> None:
    assert labeller.threshold("stay|undecided", "return_intention") == "Stay | Undecided"


def test_raw_names_keep_everything(labeller: Labeller) -> None:
    raw = Labeller(parse_schema_labels(EXAMPLE_SCHEMA, "s"), enabled=False)
    assert raw.term("C(origin_area)[T.frontline]") == "C(origin_area)[T.frontline]"
    assert raw.level("intention_category", "move_on") == "move_on"


def test_schema_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(yaml.safe_dump(EXAMPLE_SCHEMA, allow_unicode=True), encoding="utf-8")
    lab = Labeller.from_schema(path)
    assert lab.level("intention_category", "move_on") == "Move on"
    assert lab.variable("age") == "Age (years)"


def test_missing_schema_falls_back_to_raw_names(tmp_path: Path) -> None:
    lab = Labeller.from_schema(tmp_path / "absent.yaml")
    assert lab.term("C(origin_area)[T.frontline]") == "origin_area: frontline"


def test_schema_without_variables_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text("version: 1\n", encoding="utf-8")
    with pytest.raises(OutputError, match=r"schema\.yaml.*variables"):
        Labeller.from_schema(path)


def test_unreadable_schema_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text("variables: [unclosed\n", encoding="utf-8")
    with pytest.raises(OutputError, match="--raw-names"):
        Labeller.from_schema(path)


def test_fit_on_a_labelled_file_reads_its_labels_into_the_table() -> None:
    """A fit on a Stata file: variable labels from the file, levels named by their value
    labels under their variable; no reference is guessed when nothing names it."""
    from pathlib import Path

    from surveytk.io.delivered_frame import LabelledFrame, VariableMeta
    from surveytk.io.readers import read_file
    from surveytk.models.api import fit
    from surveytk.models.results import FitResult
    from surveytk.report.render_md import render_markdown
    from surveytk.report.table_format import text_grid
    from surveytk.report.table_model import build_table

    path = Path(__file__).resolve().parent / "data" / "soep_practice" / "practice_dataset_eng.dta"
    lf = read_file(path)
    d = lf.data
    d = d[d["gesund_org"].between(1, 5) & (d["lebensz_org"] >= 0) & (d["alter"] > 0)].copy()
    d["happy"] = (d["lebensz_org"] >= 8).astype(float)
    variables = {**lf.variables, "happy": VariableMeta("happy", label="Satisfied (8-10)")}
    result = fit(LabelledFrame(d, variables, lf.file), model="logit",
                 formula="happy ~ C(gesund_org) + alter")
    assert isinstance(result, FitResult)
    back = FitResult.from_json(result.to_json())  # the labels survive the results file
    md = render_markdown(text_grid(build_table([back], labeller=Labeller(enabled=True))))
    assert "| subj. Health |  |" in md
    assert "| \u2003\\[2\\] Well |" in md
    assert "| Age of Individual |" in md
    assert "Coefficients: Satisfied (8-10)" in md
    # with the reference named in the formula, the heading says it
    named = fit(LabelledFrame(d, variables, lf.file), model="logit",
                formula='happy ~ C(gesund_org, ref="[1] Very well") + alter')
    assert isinstance(named, FitResult)
    md = render_markdown(text_grid(build_table([named], labeller=Labeller(enabled=True))))
    assert "| subj. Health (ref.: \\[1\\] Very well) |  |" in md
