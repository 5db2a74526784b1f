"""Average marginal effects, average predictions and odds ratios (surveytk.models.margins)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from formulaic import model_matrix
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import special

from surveytk.errors import ModelError
from surveytk.models.api import fit
from surveytk.models.binary_links import BinaryPredictor, binary_predictor
from surveytk.models.formula import ModelFrame, build_model_frame
from surveytk.models.margins import (
    average_marginal_effects,
    odds_ratios,
    predict_at,
)
from surveytk.models.results import EffectBlock

# Tolerances. R's AMEs (binary_reference.R) are computed from the same coefficients
# with analytic derivatives; ours use a central difference in x (truncation ~(βh)²),
# so estimates agree to ~1e-10 and we ask 1e-6; SEs to 1e-5 relative (brief).
R_AME_RTOL = 1e-6
R_SE_RTOL = 1e-5
# Brute force: the same AMEs by modifying the data frame and rebuilding X with formulaic.
BRUTE_RTOL = 1e-6
# Numerical (no avg_jacobian) vs analytic delta-method gradients.
NUMJAC_RTOL = 1e-6

FORMULA_R = "y ~ age + female + employed + children + distance + area"
R_NAMES = {"areab": "area[b]", "areac": "area[c]"}


# ---- R reference (tests/reference/binary_reference.R) ---------------------------------


def _read_ref(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=["NA"])


@pytest.fixture(scope="module")
def design_binary(reference_dir: Path) -> pd.DataFrame:
    d = pd.read_csv(reference_dir / "data" / "design_binary.csv")
    # 0/1 dummies enter R's AMEs by discrete change: make them booleans here
    for col in ("female", "employed", "children"):
        d[col] = d[col].astype(bool)
    return d


@pytest.fixture(scope="module")
def binary_ref(reference_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (
        _read_ref(reference_dir / "binary_reference.csv"),
        _read_ref(reference_dir / "binary_reference_vcov.csv"),
    )


def _r_fit(
    ref: tuple[pd.DataFrame, pd.DataFrame], fixture: str, model: str
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    tidy, vcov = ref
    sel = (tidy.fixture == fixture) & (tidy.model == model)
    coef = tidy[sel & (tidy.effect == "coefficient")]
    terms = coef.term.tolist()
    v = vcov[(vcov.fixture == fixture) & (vcov.model == model) & (vcov.effect == "coefficient")]
    V = v.pivot(index="row_term", columns="col_term", values="value").loc[terms, terms]
    return coef.estimate.to_numpy(), V.to_numpy(), tidy[sel & (tidy.effect == "ame")]


CASES = [
    ("design_binary_lin", "logit", None),
    ("design_binary_lin", "probit", None),
    ("design_binary_lin", "linear", None),
    ("design_binary_lin_fpc", "logit", None),
    ("design_binary_jk1", "logit", None),
    ("design_binary_subpop_female", "logit", "female"),
    ("design_binary_subpop_female", "probit", "female"),
]


@pytest.mark.parametrize(("fixture", "model", "subpop"), CASES)
def test_ames_match_r_delta_method(
    design_binary: pd.DataFrame,
    binary_ref: tuple[pd.DataFrame, pd.DataFrame],
    fixture: str,
    model: str,
    subpop: str | None,
) -> None:
    params, V, r_ame = _r_fit(binary_ref, fixture, model)
    assert not r_ame.empty, f"binary_reference.csv has no AME rows for {fixture}/{model}"
    d = design_binary
    formula = FORMULA_R
    if subpop is not None:
        d = d[d[subpop]]
        formula = formula.replace(" + female", "")
    frame = build_model_frame(formula, d)
    predict = binary_predictor("lpm" if model == "linear" else model)
    block = average_marginal_effects(predict, params, V, frame, d["w"].to_numpy())
    expected_terms = [R_NAMES.get(t, t) for t in r_ame.term]
    assert list(block.terms) == expected_terms
    assert set(block.y_levels) == {""}
    np.testing.assert_allclose(block.estimates, r_ame.estimate.to_numpy(), rtol=R_AME_RTOL)
    np.testing.assert_allclose(block.std_errors, r_ame.std_error.to_numpy(), rtol=R_SE_RTOL)


def test_ames_through_fit_match_r(
    design_binary: pd.DataFrame, binary_ref: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    _, _, r_ame = _r_fit(binary_ref, "design_binary_lin", "logit")
    res = fit(
        design_binary,
        model="logit",
        formula=FORMULA_R,
        weights="w",
        strata="stratum",
        psu="psu",
        ame=True,
    )
    assert res.ame is not None
    # the fit's own estimates differ from R's in the last digits: looser than above
    np.testing.assert_allclose(res.ame.estimates, r_ame.estimate.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(res.ame.std_errors, r_ame.std_error.to_numpy(), rtol=1e-5)


# ---- brute force on data with interactions and I() -------------------------------------


def _toy(n: int = 300, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "age": rng.normal(40, 12, n),
            "female": rng.integers(0, 2, n).astype(bool),
            "area": pd.Categorical(rng.choice(["a", "b", "c"], n)),
            "w": rng.uniform(0.5, 3.0, n),
        }
    )


TOY_FORMULA = "y ~ C(area, ref='b')*age + I(age**2/100) + female + female:age"
TOY_FORMULAIC = (
    "y ~ C(area, contr.treatment('b'), levels=['a','b','c'])*age + I(age**2/100) "
    "+ female + female:age"
)


def _toy_fit(d: pd.DataFrame) -> tuple[ModelFrame, np.ndarray, np.ndarray]:
    frame = build_model_frame(TOY_FORMULA, d)
    rng = np.random.default_rng(5)
    params = rng.normal(0, 0.3, frame.X.shape[1]) / np.maximum(1, frame.X.std(axis=0))
    A = rng.normal(size=(params.size, params.size))
    V = 1e-3 * (A @ A.T + np.eye(params.size))
    return frame, params, V


def _brute_mean_p(d: pd.DataFrame, params: np.ndarray, link: str) -> float:
    X = model_matrix(TOY_FORMULAIC, d).rhs.to_numpy(dtype=float)
    p = BinaryPredictor(link)(params, X)[:, 0]  # type: ignore[arg-type]
    return float(np.average(p, weights=d["w"]))


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_ames_equal_brute_force(link: str) -> None:
    d = _toy()
    frame, params, V = _toy_fit(d)
    block = average_marginal_effects(BinaryPredictor(link), params, V, frame, d["w"].to_numpy())  # type: ignore[arg-type]
    got = dict(zip(block.terms, block.estimates, strict=True))

    h = 1e-5
    brute_age = (
        _brute_mean_p(d.assign(age=d.age + h), params, link)
        - _brute_mean_p(d.assign(age=d.age - h), params, link)
    ) / (2 * h)
    np.testing.assert_allclose(got["age"], brute_age, rtol=BRUTE_RTOL)

    def at_area(level: str) -> pd.DataFrame:
        return d.assign(area=pd.Categorical([level] * len(d), categories=["a", "b", "c"]))

    for level in ("a", "c"):
        brute = _brute_mean_p(at_area(level), params, link) - _brute_mean_p(
            at_area("b"), params, link
        )
        np.testing.assert_allclose(got[f"area[{level}]"], brute, rtol=BRUTE_RTOL)
    brute_f = _brute_mean_p(d.assign(female=True), params, link) - _brute_mean_p(
        d.assign(female=False), params, link
    )
    np.testing.assert_allclose(got["female"], brute_f, rtol=BRUTE_RTOL)
    assert block.terms == ("area[a]", "area[c]", "age", "female")


def test_numeric_jacobian_matches_analytic() -> None:
    d = _toy()
    frame, params, V = _toy_fit(d)
    analytic = average_marginal_effects(BinaryPredictor("logit"), params, V, frame, d["w"])

    def plain(p: np.ndarray, X: np.ndarray) -> np.ndarray:  # no avg_jacobian attribute
        return np.asarray(special.expit(X @ p))[:, None]

    numeric = average_marginal_effects(plain, params, V, frame, d["w"])
    np.testing.assert_allclose(numeric.estimates, analytic.estimates, rtol=1e-12)
    np.testing.assert_allclose(numeric.cov, analytic.cov, rtol=NUMJAC_RTOL, atol=1e-14)


def test_weights_over_all_input_rows_are_subset() -> None:
    d = _toy()
    d.loc[::7, "age"] = np.nan
    frame, params, V = _toy_fit(d)
    full = average_marginal_effects(BinaryPredictor("logit"), params, V, frame, d["w"])
    used = average_marginal_effects(
        BinaryPredictor("logit"), params, V, frame, d["w"].to_numpy()[frame.row_mask]
    )
    np.testing.assert_array_equal(full.estimates, used.estimates)
    with pytest.raises(ModelError, match="weights have 5 values"):
        average_marginal_effects(BinaryPredictor("logit"), params, V, frame, np.ones(5))


def test_discrete_option_for_numeric_dummy() -> None:
    d = _toy().assign(female=lambda x: x.female.astype(int))
    frame = build_model_frame("y ~ age + female", d)
    params, V = np.array([-1.0, 0.02, 0.5]), np.eye(3) * 1e-3
    block = average_marginal_effects(
        BinaryPredictor("logit"), params, V, frame, d.w, discrete=["female"]
    )
    X1, X0 = frame.X.copy(), frame.X.copy()
    X1[:, 2], X0[:, 2] = 1.0, 0.0
    a = d.w.to_numpy() / d.w.sum()
    expected = a @ (special.expit(X1 @ params) - special.expit(X0 @ params))
    np.testing.assert_allclose(block.estimates[1], expected, rtol=1e-12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scale=st.floats(min_value=1e-3, max_value=1e4))
def test_rescaling_weights_leaves_ames_unchanged(scale: float) -> None:
    d = _toy(n=120)
    frame, params, V = _toy_fit(d)
    base = average_marginal_effects(BinaryPredictor("logit"), params, V, frame, d["w"])
    scaled = average_marginal_effects(BinaryPredictor("logit"), params, V, frame, d["w"] * scale)
    np.testing.assert_allclose(scaled.estimates, base.estimates, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(scaled.cov, base.cov, rtol=1e-9, atol=1e-18)


# ---- several outcome levels ------------------------------------------------------------


def test_multi_level_outcome_ames_sum_to_zero() -> None:
    rng = np.random.default_rng(2)
    n = 200
    d = pd.DataFrame(
        {
            "c": rng.choice(["return", "stay", "undecided"], n),
            "age": rng.normal(40, 10, n),
            "female": rng.integers(0, 2, n).astype(bool),
        }
    )
    frame = build_model_frame("c ~ age + female", d, outcome_kind="nominal")
    k = frame.X.shape[1]

    def softmax_predict(p: np.ndarray, X: np.ndarray) -> np.ndarray:
        B = np.column_stack([np.zeros(k), p.reshape(2, k).T])  # base level first
        return np.asarray(special.softmax(X @ B, axis=1))

    params = rng.normal(0, 0.05, 2 * k)
    V = np.eye(2 * k) * 1e-3
    block = average_marginal_effects(softmax_predict, params, V, frame)
    assert block.y_levels == ("return",) * 2 + ("stay",) * 2 + ("undecided",) * 2
    assert block.terms == ("age", "female") * 3
    # probabilities sum to one, so effects over outcome levels sum to zero
    np.testing.assert_allclose(block.estimates.reshape(3, 2).sum(axis=0), 0.0, atol=1e-12)
    G_sum = np.ones(3)  # and so does the variance of that sum
    cov3 = block.cov.reshape(3, 2, 3, 2)[:, 0, :, 0]
    assert abs(G_sum @ cov3 @ G_sum) < 1e-14


# ---- predict_at and odds ratios ----------------------------------------------------------


def test_predict_at_averages_predictions_and_matches_ame() -> None:
    d = _toy()
    frame, params, V = _toy_fit(d)
    pred = BinaryPredictor("logit")
    out = predict_at(pred, params, V, frame, {"female": [False, True]}, d["w"])
    assert list(out.columns) == [
        "female",
        "y_level",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
    ]
    for flag in (False, True):
        brute = _brute_mean_p(d.assign(female=flag), params, "logit")
        est = out.loc[out.female == flag, "estimate"].item()
        np.testing.assert_allclose(est, brute, rtol=1e-12)
    ame = average_marginal_effects(pred, params, V, frame, d["w"], variables=["female"])
    np.testing.assert_allclose(np.diff(out.estimate.to_numpy()), ame.estimates, rtol=1e-12)

    # numeric SE check: delta method with a central-difference gradient
    def mean_p(p: np.ndarray) -> float:
        return _brute_mean_p(d.assign(female=True), p, "logit")

    g = np.array(
        [(mean_p(params + e) - mean_p(params - e)) / 2e-6 for e in np.eye(params.size) * 1e-6]
    )
    np.testing.assert_allclose(out.std_error.iloc[1], np.sqrt(g @ V @ g), rtol=1e-6)


def test_predict_at_grid_over_two_variables() -> None:
    d = _toy()
    frame, params, V = _toy_fit(d)
    out = predict_at(
        BinaryPredictor("probit"), params, V, frame, {"area": ["a", "c"], "age": [30, 50]}, d["w"]
    )
    assert out[["area", "age"]].values.tolist() == [["a", 30], ["a", 50], ["c", 30], ["c", 50]]
    for i, (area, age) in enumerate(out[["area", "age"]].values.tolist()):
        brute = _brute_mean_p(d.assign(area=pd.Categorical([area] * len(d),
                                                           categories=["a", "b", "c"]), age=age),
                              params, "probit")  # fmt: skip
        np.testing.assert_allclose(out.estimate.iloc[i], brute, rtol=1e-12)
    # no df: normal 95% intervals, estimate ± 1.959964·se
    half = special.ndtri(0.975) * out.std_error
    np.testing.assert_allclose(out.conf_low, out.estimate - half, rtol=1e-12)
    np.testing.assert_allclose(out.conf_high, out.estimate + half, rtol=1e-12)


def test_odds_ratios_delta_method() -> None:
    block = EffectBlock(
        terms=("a", "b"),
        effects=("coefficient",) * 2,
        y_levels=("", ""),
        estimates=np.array([0.5, -1.0]),
        cov=np.array([[0.04, 0.01], [0.01, 0.09]]),
    )
    est, se = odds_ratios(block)
    np.testing.assert_allclose(est, np.exp([0.5, -1.0]))
    np.testing.assert_allclose(se, np.exp([0.5, -1.0]) * np.array([0.2, 0.3]))


def test_unknown_variable_and_bad_cov() -> None:
    d = _toy()
    frame, params, V = _toy_fit(d)
    with pytest.raises(ModelError, match="'agee' is not a variable"):
        average_marginal_effects(BinaryPredictor("logit"), params, V, frame, variables=["agee"])
    with pytest.raises(ModelError, match="covariance is"):
        average_marginal_effects(BinaryPredictor("logit"), params, V[:2, :2], frame)
    with pytest.raises(ModelError, match="expecting one of"):
        BinaryPredictor("cloglog")  # type: ignore[arg-type]
