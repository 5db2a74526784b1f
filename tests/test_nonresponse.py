"""Nonresponse adjustment within weighting classes: weights, linearised rows, replicates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveytk.errors import DesignError
from surveytk.survey.design import SurveyDesign

API = Path(__file__).parent / "data" / "survey"
NR = {"weights": "pw", "psu": "dnum", "fpc": "fpc", "nonresponse": "stype",
      "respondent": "responded"}  # fmt: skip


def _data() -> pd.DataFrame:
    d = pd.read_csv(API / "apiclus1.csv")
    d["responded"] = (d["snum"] % 3 != 0).astype(int)  # about a third do not respond
    return d


def _adjusted_total(w: np.ndarray, d: pd.DataFrame) -> float:
    """Σ_c (N̂_c / N̂_rc) Σ_{respondents of c} w y, written out."""
    total = 0.0
    r = d["responded"].to_numpy() == 1
    y = d["api00"].to_numpy(dtype=float)
    for c in d["stype"].unique():
        in_c = (d["stype"] == c).to_numpy()
        total += w[in_c].sum() / w[in_c & r].sum() * (w[in_c & r] * y[in_c & r]).sum()
    return total


def test_weights_keep_every_class_total() -> None:
    d = _data()
    des = SurveyDesign.from_options(d, NR)
    w = d["pw"].to_numpy()
    for c in d["stype"].unique():
        in_c = (d["stype"] == c).to_numpy()
        assert des.weights[in_c].sum() == pytest.approx(w[in_c].sum(), rel=1e-12)
    assert np.all(des.weights[d["responded"].to_numpy() == 0] == 0)
    assert des.n_obs == int(d["responded"].sum())
    assert des.nonresponse is not None and "nonresponse" in (des.adjustments_text or "")


def test_linearised_rows_are_the_derivatives_of_the_adjusted_total() -> None:
    d = _data()
    des = SurveyDesign.from_options(d, NR)
    assert des.nonresponse is not None
    y = d["api00"].to_numpy(dtype=float)
    z = des.nonresponse.residuals((des.weights * y)[:, None])[:, 0]
    w = d["pw"].to_numpy(dtype=float)
    eps = 1e-6
    numeric = np.empty_like(w)
    for j in range(len(w)):
        up, down = w.copy(), w.copy()
        up[j] *= 1 + eps
        down[j] *= 1 - eps
        numeric[j] = (_adjusted_total(up, d) - _adjusted_total(down, d)) / (2 * eps)
    np.testing.assert_allclose(z, numeric, rtol=1e-6, atol=1e-6 * np.abs(numeric).max())
    # nonrespondents keep an influence: the class totals they estimate are random
    assert np.all(z[d["responded"].to_numpy() == 0] != 0)


def test_replicates_repeat_the_adjustment() -> None:
    d = _data()
    des = SurveyDesign.from_options(d, {**NR, "reptype": "jk1"})
    base = SurveyDesign.from_options(d, {"weights": "pw", "psu": "dnum", "fpc": "fpc",
                                         "reptype": "jk1"})  # fmt: skip
    y = d["api00"].to_numpy(dtype=float)
    for r in (0, 7):
        full = base.replicate_weights(r)
        np.testing.assert_allclose(des.replicate_weights(r) @ y, _adjusted_total(full, d),
                                   rtol=1e-12)  # fmt: skip


def test_nonresponse_errors() -> None:
    d = _data()
    with pytest.raises(DesignError, match="both --nonresponse"):
        SurveyDesign.from_options(d, {"weights": "pw", "nonresponse": "stype"})
    bad = d.assign(responded=d["responded"] * 2)
    with pytest.raises(DesignError, match="must be 0/1"):
        SurveyDesign.from_options(bad, NR)
    none_h = d.assign(responded=np.where(d["stype"] == "H", 0, d["responded"]))
    with pytest.raises(DesignError, match="no respondent"):
        SurveyDesign.from_options(none_h, NR)
