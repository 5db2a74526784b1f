"""Analysis specs: every problem reported together, with the file's line."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveytk.analysis.spec import load_spec
from surveytk.errors import SpecError
from surveytk.paths import BUILTIN_ANALYSES_DIR

HEAD = "name: x\ninputs: [{source: wodc, codebook: wodc_w1, input_dir: d}]\n"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "spec.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_default_spec_is_valid() -> None:
    spec = load_spec(BUILTIN_ANALYSES_DIR / "return_intentions.yaml")
    assert {m.name for m in spec.models} >= {"pooled", "pooled_ordinal", "pooled_categories"}


def test_validation_error_names_the_line(tmp_path: Path) -> None:
    p = _write(tmp_path, HEAD + "models:\n  - name: m\n    model: lgit\n    data: wodc\n"
               "    formula: 'y ~ x'\n")
    with pytest.raises(SpecError, match=r"spec\.yaml:5: models\.0\.model"):
        load_spec(p)


def test_duplicate_key_is_reported(tmp_path: Path) -> None:
    p = _write(tmp_path, HEAD + "seed: 1\nseed: 2\nmodels: []\n")
    with pytest.raises(SpecError, match=r"spec\.yaml:4: duplicate key 'seed'"):
        load_spec(p)


def test_all_reference_problems_together(tmp_path: Path) -> None:
    p = _write(tmp_path, HEAD + "models:\n  - {name: m, model: logit, data: nowhere, "
               "formula: 'y ~ x'}\ntables:\n  - {name: t, models: [m, ghost]}\n")
    with pytest.raises(SpecError) as exc:
        load_spec(p)
    assert "'nowhere'" in exc.value.message and "'ghost'" in exc.value.message


def test_formula_and_rule_problems_together(tmp_path: Path) -> None:
    p = _write(tmp_path, HEAD + "sample: {rules: ['age >= 18 ; import os']}\n"
               "models:\n  - {name: m, model: logit, data: wodc, formula: 'y ~ x.__class__'}\n")
    with pytest.raises(SpecError, match=r"2 problems"):
        load_spec(p)


@pytest.mark.parametrize(
    ("predict", "problem"),
    [
        ("{x: age, values: [20, 30], levls: [a]}", r"predict\.levls.*[Ee]xtra"),
        ("{x: age, values: []}", r"predict\.values"),
        ("{x: age, values: [20], by: gender}", r"`by: VAR` and `levels: \[\.\.\.\]` go together"),
        ("{x: age, values: [20], levels: [a]}", r"`by: VAR` and `levels: \[\.\.\.\]` go together"),
    ],
)
def test_a_wrong_predict_stops_at_load(tmp_path: Path, predict: str, problem: str) -> None:
    """A misspelt or incomplete `predict:` stops the run before any fit, naming the line,
    instead of being ignored (or failing only after the fits)."""
    p = _write(tmp_path, HEAD + "models:\n  - {name: m, model: logit, data: wodc, "
               f"formula: 'y ~ age', predict: {predict}}}\n")
    with pytest.raises(SpecError, match=problem) as exc:
        load_spec(p)
    assert "spec.yaml:4" in exc.value.message


def test_predict_on_a_model_without_predictions_stops_at_load(tmp_path: Path) -> None:
    p = _write(tmp_path, HEAD + "models:\n  - {name: m, model: mlogit, data: wodc, "
               "formula: 'y ~ age', predict: {x: age, values: [20]}}\n")
    with pytest.raises(SpecError, match=r"predictions are available for binary models"):
        load_spec(p)


@pytest.mark.parametrize("name", ["pooled.csv", "pooled.dta", "pooled"])
def test_a_harmonised_input_must_be_parquet(tmp_path: Path, name: str) -> None:
    """A harmonised CSV used to be copied to a .parquet name and failed in the Parquet
    reader; it now stops at load, naming the input and what to do."""
    p = _write(tmp_path, f"name: x\ninputs: [{{source: wodc, harmonised: {name}}}]\n"
               "models:\n  - {name: m, model: logit, data: wodc, formula: 'y ~ x'}\n")
    with pytest.raises(SpecError, match=r"spec\.yaml:2: .*harmonised must be a \.parquet file"):
        load_spec(p)
