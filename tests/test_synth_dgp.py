"""The generator as a whole: determinism, seeds, scale, streams, known effects, CLI."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from surveytk.cli.main import cli
from surveytk.errors import SurveytkError
from surveytk.synth import TRUE_EFFECTS, generate_truth, write_synthetic_sources
from surveytk.synth.dgp import draw_intention, expit, solve_thresholds

SCALE = 0.05


def _hashes(written: dict[str, list[Path]], root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for paths in written.values()
        for p in paths
    }


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("a")
    return root, _hashes(write_synthetic_sources(root, seed=1, scale=SCALE), root)


def test_every_file_is_written(first: tuple[Path, dict[str, str]]) -> None:
    _, hashes = first
    assert sorted(hashes) == sorted(
        [f"soep_ukr/{n}.dta" for n in ("ppathl", "pl", "hl", "biol", "hbrutto", "design")]
        + [
            f"unhcr_ris/ris_{r}_{t}.csv"
            for r in ("r5", "r6")
            for t in ("households", "individuals")
        ]
        + ["wodc/locov_w1.sav", "fi_moi/fi_moi_2025.sav"]
    )


def test_same_seed_same_bytes(first: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    _, hashes = first
    again = write_synthetic_sources(tmp_path, seed=1, scale=SCALE)
    assert _hashes(again, tmp_path) == hashes
    assert not [p for p in tmp_path.rglob("*.part")]


def test_different_seed_different_bytes(first: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    _, hashes = first
    other = _hashes(write_synthetic_sources(tmp_path, seed=2, scale=SCALE), tmp_path)
    assert all(other[k] != hashes[k] for k in hashes)


def test_sources_have_independent_streams(
    first: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    _, hashes = first
    only = _hashes(write_synthetic_sources(tmp_path, seed=1, scale=SCALE, sources=["fi_moi"]),
                   tmp_path)  # fmt: skip
    assert only == {"fi_moi/fi_moi_2025.sav": hashes["fi_moi/fi_moi_2025.sav"]}


@pytest.mark.parametrize("source", ["soep_ukr", "unhcr_ris", "wodc", "fi_moi"])
def test_scale_changes_n(source: str) -> None:
    small = generate_truth(1, 0.05, source)
    larger = generate_truth(1, 0.1, source)
    assert len(larger) == pytest.approx(2 * len(small), rel=0.15)
    assert small["respondent_id"].is_unique
    assert small["respondent_id"].str.startswith(f"{source}:").all()
    assert not small["respondent_id"].str.contains(r"\.0$").any()


def test_truth_is_deterministic_and_typed() -> None:
    a = generate_truth(4, 0.05, "wodc")
    b = generate_truth(4, 0.05, "wodc")
    pd.testing.assert_frame_equal(a, b)
    assert a["return_intention"].cat.ordered
    assert list(a["return_intention"].cat.categories) == [
        "stay", "undecided", "return_someday", "return_soon",
    ]  # fmt: skip
    assert str(a["age"].dtype) == "Int16"
    assert str(a["employed"].dtype) == "boolean"
    # every missing value has a reason and every reason a missing value
    for col in ("age", "gender", "employed", "return_intention", "origin_oblast"):
        assert (a[col].isna() == a[f"{col}_missing"].notna()).all(), col


def test_bad_arguments() -> None:
    with pytest.raises(SurveytkError, match="unknown source 'nope'"):
        write_synthetic_sources("/nonexistent", sources=["nope"])
    with pytest.raises(SurveytkError, match="scale must be"):
        generate_truth(1, 0.0, "wodc")


def test_true_effects_frozen_and_signed() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        TRUE_EFFECTS.employed = 0.0  # type: ignore[misc]
    c = TRUE_EFFECTS.coefficients()
    assert c["employed"] < 0 and c["male"] < 0 and c["has_children_u18"] < 0
    assert c["age"] > 0 and c["distance_km"] < 0 and c["spouse_child_in_ukraine"] > 0
    assert c["origin_area[occupied]"] < 0 < c["origin_area[lviv]"]
    for key, cuts in TRUE_EFFECTS.thresholds.items():
        assert list(cuts) == sorted(cuts), key


def test_ordinal_draw_has_polr_probabilities() -> None:
    """P(Y <= k) = expit(zeta_k - eta): check the draw against the formula."""
    rng = np.random.default_rng(0)
    eta = np.repeat([-1.0, 0.5], 40_000)
    cuts = (-0.5, 0.7, 2.0)
    y = draw_intention(rng, eta, cuts)
    for value in (-1.0, 0.5):
        sel = y[eta == value]
        for k, z in enumerate(cuts):
            assert (sel <= k).mean() == pytest.approx(expit(np.array(z - value)), abs=0.01)
    solved = solve_thresholds(eta, (0.2, 0.3, 0.4, 0.1))
    assert expit(solved[0] - eta).mean() == pytest.approx(0.2, abs=1e-6)
    assert expit(solved[2] - eta).mean() == pytest.approx(0.9, abs=1e-6)


def test_known_effects_recovered_from_truth() -> None:
    """An ordered logit on the truth's UNHCR R5 rows gives back TRUE_EFFECTS (within 4 SE)."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    t = generate_truth(20240601, 1.0, "unhcr_ris")
    t = t[t["wave"] == "R5"].dropna(subset=["age", "employed", "return_intention"])
    x = pd.DataFrame(
        {
            "employed": t["employed"].astype(float),
            "male": (t["gender"] == "male").astype(float),
            "has_children_u18": t["has_children_u18"].astype(float),
            "age": t["age"].astype(float),
            "distance_km": t["distance_km"],
            "spouse_child_in_ukraine": t["spouse_child_in_ukraine"].astype(float),
        }
    )
    for area in ("occupied", "frontline", "kyiv", "lviv", "west"):
        x[f"origin_area[{area}]"] = (t["origin_area"] == area).astype(float)
    y = t["return_intention"].cat.codes.to_numpy()
    res = OrderedModel(y, x.to_numpy(), distr="logit").fit(method="newton", disp=False, maxiter=50)
    truth = TRUE_EFFECTS.coefficients()
    z = [(res.params[i] - truth[name]) / res.bse[i] for i, name in enumerate(x.columns)]
    assert max(abs(v) for v in z) < 4.0, dict(zip(x.columns, np.round(z, 2), strict=True))


def test_cli_synth(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["synth", "--out", str(tmp_path), "--scale", "0.02", "--source", "wodc"]
    )
    assert result.exit_code == 0, result.output
    assert "locov_w1.sav" in result.output and "61 rows" in result.output
    assert (tmp_path / "wodc" / "locov_w1.sav").is_file()
    assert not (tmp_path / "soep_ukr").exists()
    assert runner.invoke(cli, ["synth", "--help"]).exit_code == 0
    bad = runner.invoke(cli, ["synth", "--out", str(tmp_path), "--source", "nope"])
    assert bad.exit_code != 0
