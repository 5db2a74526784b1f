"""Pooling harmonised sources: stacking, unique design ids, weight scaling, provenance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveytk.cli.main import main
from surveytk.errors import DesignError
from surveytk.harmonise.output import read_provenance
from surveytk.harmonise.pool import pool_tables, scale_weights
from surveytk.harmonise.run import harmonise_to_file
from surveytk.synth import write_synthetic_sources

BOOKS = {"unhcr_ris_r5": "unhcr_ris", "unhcr_ris_r6": "unhcr_ris", "wodc_w1": "wodc",
         "fi_moi_2025": "fi_moi"}


@pytest.fixture(scope="module")
def harmonised(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    raw = tmp_path_factory.mktemp("raw")
    write_synthetic_sources(raw, seed=5, scale=0.05, sources=["unhcr_ris", "wodc", "fi_moi"])
    out = tmp_path_factory.mktemp("harmonised")
    files = {}
    for book, source in BOOKS.items():
        files[book] = out / f"{book}.parquet"
        harmonise_to_file(book, raw / source, files[book])
    return files


def test_scale_sample_sums_to_n_per_source() -> None:
    w = np.array([2.0, 2.0, 0.0, 10.0, 30.0, 60.0])
    s = np.array(["a", "a", "a", "b", "b", "b"])
    out = scale_weights(w, s, "sample")
    # source a: 2 rows with positive weight → sum 2; zero weight stays zero
    assert out[:3].tolist() == [1.0, 1.0, 0.0]
    assert out[3:].tolist() == pytest.approx([0.3, 0.9, 1.8])  # 3 rows, sum 100


def test_scale_equal_gives_each_source_the_same_total() -> None:
    w = np.array([1.0, 3.0, 5.0, 5.0, 5.0, 5.0])
    s = np.array(["a", "a", "b", "b", "b", "b"])
    out = scale_weights(w, s, "equal")
    assert out[:2].sum() == pytest.approx(3.0) and out[2:].sum() == pytest.approx(3.0)
    assert out[1] / out[0] == pytest.approx(3.0)


def test_scale_rejects_bad_input() -> None:
    with pytest.raises(DesignError, match="expecting one of"):
        scale_weights(np.ones(2), np.array(["a", "a"]), "bogus")
    with pytest.raises(DesignError, match="sum to 0"):
        scale_weights(np.zeros(2), np.array(["a", "a"]), "sample")


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.01, 100.0), min_size=2, max_size=20),
       st.floats(0.1, 50.0))
def test_scaling_is_invariant_to_rescaling_a_source(weights: list[float], factor: float) -> None:
    w = np.asarray(weights)
    s = np.array(["a"] * (len(w) // 2) + ["b"] * (len(w) - len(w) // 2))
    w2 = np.where(s == "a", w * factor, w)
    for how in ("sample", "equal"):
        assert scale_weights(w, s, how) == pytest.approx(scale_weights(w2, s, how))


def test_pool_stacks_and_keeps_provenance(harmonised: dict[str, Path]) -> None:
    paths = list(harmonised.values())
    res = pool_tables(paths, weights="sample")
    t = res.table
    sizes = [len(pd.read_parquet(p)) for p in paths]
    assert len(t) == sum(sizes)
    assert t["respondent_id"].is_unique
    for _, group in t.groupby("source", observed=True):
        assert group["weight"].sum() == pytest.approx((group["weight_unscaled"] > 0).sum())
    # PSU/stratum ids never shared between two inputs
    per_input = t.assign(i=np.repeat(np.arange(len(paths)), sizes))
    for col in ("psu", "stratum"):
        owners = per_input.dropna(subset=[col]).groupby(col)["i"].nunique()
        assert (owners == 1).all()
    # Finland has no strata: it becomes one stratum of its own
    assert set(t.loc[t["source"] == "fi_moi", "stratum"]) == {"fi_moi:2025"}
    # ... and no clusters: each respondent is its own PSU, so the design is complete
    assert t["psu"].notna().all() and t["stratum"].notna().all()
    fi = t[t["source"] == "fi_moi"]
    assert (fi["psu"] == fi["respondent_id"]).all()
    inputs = res.provenance["pooled"]["inputs"]
    assert [i["file"] for i in inputs] == [p.name for p in paths]
    assert inputs[0]["provenance"]["codebook"] == "unhcr_ris_r5"


def test_pool_none_keeps_weights(harmonised: dict[str, Path]) -> None:
    t = pool_tables(list(harmonised.values()), weights="none").table
    assert (t["weight"] == t["weight_unscaled"]).all()


def test_pool_cli(harmonised: dict[str, Path], tmp_path: Path,
                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pooled.parquet"
    args = ["pool", *map(str, harmonised.values()), "--out", str(out), "--weights", "equal"]
    main(args)
    assert "pooled" in capsys.readouterr().out
    t = pd.read_parquet(out)
    totals = t.groupby("source", observed=True)["weight"].sum()
    assert np.allclose(totals.to_numpy(), totals.iloc[0])
    pooled = read_provenance(out)["pooled"]
    assert pooled["weights"] == "equal" and len(pooled["inputs"]) == len(harmonised)
    first = out.read_bytes()
    main(args)
    assert out.read_bytes() == first


def test_pool_same_file_twice_fails(harmonised: dict[str, Path], tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    p = str(harmonised["wodc_w1"])
    out = tmp_path / "x.parquet"
    with pytest.raises(SystemExit) as ex:
        main(["pool", p, p, "--out", str(out)])
    assert ex.value.code == 1
    assert "occur in more than one input" in capsys.readouterr().err
    assert not out.exists()
