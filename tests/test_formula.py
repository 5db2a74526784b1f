"""The restricted formula grammar and the model matrix (surveytk.models.formula)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from formulaic import model_matrix

from surveytk.errors import FormulaError
from surveytk.models.formula import INTERCEPT, build_model_frame, parse_formula


@pytest.fixture
def df() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 40
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "age": rng.normal(40, 10, n).round(1),
            "distance_km": rng.uniform(300, 2500, n),
            "female": rng.integers(0, 2, n).astype(bool),
            "area": pd.Categorical(rng.choice(["a", "b", "c"], n)),
            "g": pd.Series(rng.choice(["u", "v"], n), dtype="str"),
        }
    )


# ---- grammar: accepted forms, compared with formulaic ------------------------------

# (our formula, the same formula in formulaic's syntax)
SAME_AS_FORMULAIC = [
    ("y ~ age + female + area", "y ~ age + female + area"),
    ("y ~ C(area) + g", "y ~ C(area) + g"),
    ("y ~ C(area, ref='b') + age", "y ~ C(area, contr.treatment('b')) + age"),
    ('y ~ C(area, Treatment(reference="c")) + age', "y ~ C(area, contr.treatment('c')) + age"),
    ("y ~ C(area, Treatment('c'))", "y ~ C(area, contr.treatment('c'))"),
    ("y ~ area*age", "y ~ area*age"),
    ("y ~ area + age + area:age", "y ~ area + age + area:age"),
    ("y ~ area*g", "y ~ area*g"),
    ("y ~ age + I(age**2) + I(age/10)", "y ~ age + I(age**2) + I(age/10)"),
    ("y ~ I(distance_km/1000) + I((age - 40) * 2)", "y ~ I(distance_km/1000) + I((age - 40) * 2)"),
    ("y ~ age + female - 1", "y ~ age + female - 1"),
    ("y ~ 0 + area + g", "y ~ 0 + area + g"),
    ("y ~ area*g - 1", "y ~ area*g - 1"),
    ("y ~ age + age:area", "y ~ age + age:area"),
    ("y ~ (age + female):area", "y ~ (age + female):area"),
    ("y ~ 1", "y ~ 1"),
    ("y ~ age*female*g", "y ~ age*female*g"),
    ("y ~ area*age - age", "y ~ area*age - age"),
    # the expression language inside formulas
    ("y ~ log(distance_km) + abs(age - 40)", "y ~ np.log(distance_km) + np.abs(age - 40)"),
    ("y ~ sqrt(distance_km) + exp(age / 100)", "y ~ np.sqrt(distance_km) + np.exp(age / 100)"),
    ("y ~ I(age > 40) + I(female == 1)", "y ~ I((age > 40) * 1.0) + I((female == 1) * 1.0)"),
    ("y ~ I(2 - y + age)", "y ~ I(2 - y + age)"),
    ("y ~ `age` + Q('female')", "y ~ age + female"),
    ("y ~ C(area, levels=['c', 'a', 'b'])", "y ~ C(area, levels=['c', 'a', 'b'])"),
]


@pytest.mark.parametrize(("ours", "theirs"), SAME_AS_FORMULAIC)
def test_model_matrix_equals_formulaic(df: pd.DataFrame, ours: str, theirs: str) -> None:
    mf = build_model_frame(ours, df)
    ref = model_matrix(theirs, df).rhs
    assert mf.X.shape == ref.shape
    np.testing.assert_allclose(mf.X, ref.to_numpy(dtype=float), rtol=0, atol=1e-12)
    # same columns up to naming: formulaic "Intercept", "area[T.b]", "C(area, ...)[T.b]"
    assert len(mf.terms) == len(ref.columns)
    assert mf.X.dtype == np.float64
    assert mf.X.flags["C_CONTIGUOUS"]


def test_term_names_are_readable_and_intercept_first(df: pd.DataFrame) -> None:
    mf = build_model_frame("y ~ C(area, ref='b')*age + female + I(age**2)", df)
    assert mf.terms == (
        INTERCEPT,
        "area[a]",
        "area[c]",
        "age",
        "female",
        "I(age ** 2)",
        "area[a]:age",
        "area[c]:age",
    )


def test_term_groups_describe_variables(df: pd.DataFrame) -> None:
    mf = build_model_frame("y ~ C(area, ref='b')*age + female + I(age**2)", df)
    v = mf.variables
    assert v["area"].kind == "categorical"
    assert v["area"].levels == ("b", "a", "c")
    assert v["area"].reference == "b"
    assert v["female"].kind == "boolean"
    assert v["age"].kind == "numeric"
    # age enters its main effect, I(age**2) and both interaction columns
    assert [mf.terms[j] for j in v["age"].columns] == [
        "age",
        "I(age ** 2)",
        "area[a]:age",
        "area[c]:age",
    ]


def test_statsmodels_design_matches(df: pd.DataFrame) -> None:
    # statsmodels builds its design with patsy; compare the numbers column by column
    import statsmodels.formula.api as smf

    mod = smf.logit("y ~ age + female + C(area, Treatment('b')) + I(age**2)", data=df)
    mf = build_model_frame("y ~ age + female + C(area, ref='b') + I(age**2)", df)
    sm_cols = dict(zip(mod.exog_names, mod.exog.T, strict=True))
    ours = dict(zip(mf.terms, mf.X.T, strict=True))
    np.testing.assert_allclose(ours["age"], sm_cols["age"])
    np.testing.assert_allclose(ours["female"], sm_cols["female[T.True]"])
    np.testing.assert_allclose(ours["area[c]"], sm_cols["C(area, Treatment('b'))[T.c]"])
    np.testing.assert_allclose(ours["I(age ** 2)"], sm_cols["I(age ** 2)"])


def test_ordered_category_levels_follow_category_order() -> None:
    cat = pd.CategoricalDtype(["low", "mid", "high"], ordered=True)
    d = pd.DataFrame(
        {"y": [0, 1, 0, 1, 1, 0], "lvl": pd.Series(["high", "low", "mid"] * 2, dtype=cat)}
    )
    mf = build_model_frame("y ~ lvl", d)
    assert mf.terms == (INTERCEPT, "lvl[mid]", "lvl[high]")


def test_unused_category_levels_are_dropped() -> None:
    cat = pd.CategoricalDtype(["a", "b", "c", "unused"])
    d = pd.DataFrame({"y": [0, 1, 0, 1], "k": pd.Series(["a", "b", "c", "b"], dtype=cat)})
    assert build_model_frame("y ~ k", d).terms == (INTERCEPT, "k[b]", "k[c]")


# ---- grammar: rejected forms ---------------------------------------------------------

INJECTIONS = [
    ("y ~ __import__('os')", "`__import__`"),
    ("y ~ a.__class__", "`.`"),
    ("y ~ lambda: 1", "`lambda`"),
    ('y ~ open("x")', "`open(...)`"),
    ("y ~ x[0]", "`[`"),
    ("y ~ exec('1')", "`exec(...)`"),
    ("y ~ 'abc'", "string"),
    ('y ~ age + "x"', "string"),
    ("y ~ I(age.real)", "`.`"),
    ("y ~ I(absolute(age))", "`absolute(...)`"),
    ("y ~ log(age, 2)", "expected `)`"),
    ("y ~ cut(age, 18)", "expected `[`"),
    ("y ~ C(area, levels=['a'], ref='b')", "not among levels"),
    ("y ~ I(age[0])", "`[`"),
    ("y ~ I(lambda: age)", "`lambda`"),
    ("y ~ I('a')", "string"),
    ("y ~ I(2)", "at least one column"),
    ("y ~ C(area, ref=open('x'))", "reference level"),
    ("y ~ C(area, foo='a')", "C()"),
    ("y ~ age; import os", "`;`"),
    ("y ~ age\nimport os", "`import`"),
    ("y ~ age ~ b", "one `~`"),
    ("y + z ~ age", "`+`"),
    ("y ~ 2", "number 2"),
    ("y ~ age +", "ends too early"),
    ("", "non-empty"),
    ("y ~ @age", "`@`"),
    ("y ~ age if 1 else 0", "`if`"),
]


@pytest.mark.parametrize(("text", "piece"), INJECTIONS)
def test_rejects_outside_grammar(text: str, piece: str) -> None:
    with pytest.raises(FormulaError) as err:
        parse_formula(text)
    msg = str(err.value)
    assert piece in msg
    assert "\n" not in msg


def test_rejection_names_the_allowed_pieces() -> None:
    with pytest.raises(FormulaError, match=r"use column names, C\(x\), I\(arithmetic\), : and \*"):
        parse_formula("y ~ __import__('os')")


def test_unknown_column_lists_close_matches(df: pd.DataFrame) -> None:
    with pytest.raises(FormulaError, match=r"'agee' .* not in the data; close matches: age"):
        build_model_frame("y ~ agee + female", df)


def test_unknown_reference_level(df: pd.DataFrame) -> None:
    with pytest.raises(FormulaError, match=r"reference level 'z' of C\(area\).*levels: a, b, c"):
        build_model_frame("y ~ C(area, ref='z')", df)


def test_string_column_in_arithmetic(df: pd.DataFrame) -> None:
    with pytest.raises(FormulaError, match="'g' is not numeric"):
        build_model_frame("y ~ I(g * 2)", df)


def test_division_by_zero_in_arithmetic(df: pd.DataFrame) -> None:
    d = df.assign(zero=0.0)
    with pytest.raises(FormulaError, match=r"I\(age / zero\).*non-finite"):
        build_model_frame("y ~ I(age/zero)", d)


# ---- outcomes ------------------------------------------------------------------------


def test_binary_outcome_must_be_zero_one(df: pd.DataFrame) -> None:
    with pytest.raises(FormulaError, match="other than 0/1"):
        build_model_frame("age ~ female", df)
    with pytest.raises(FormulaError, match="boolean or 0/1"):
        build_model_frame("g ~ age", df)
    mf = build_model_frame("female ~ age", df)
    np.testing.assert_array_equal(mf.y, df["female"].to_numpy(dtype=float))


def test_ordinal_outcome_levels_in_order() -> None:
    cat = pd.CategoricalDtype(["stay", "undecided", "return_someday", "return_soon"], ordered=True)
    d = pd.DataFrame(
        {
            "r": pd.Series(["return_soon", "stay", "undecided", "stay", "return_soon"], dtype=cat),
            "x": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    mf = build_model_frame("r ~ x", d, outcome_kind="ordinal")
    assert mf.y_levels == ("stay", "undecided", "return_soon")  # unused level dropped
    np.testing.assert_array_equal(mf.y, [2, 0, 1, 0, 2])
    with pytest.raises(FormulaError, match="ordered category or integers"):
        build_model_frame("r ~ x", d.assign(r=d["r"].astype(str)), outcome_kind="ordinal")


def test_nominal_outcome_and_integer_ordinal() -> None:
    d = pd.DataFrame(
        {"c": ["stay", "return", "move_on", "stay"], "k": [3, 1, 2, 3], "x": [1.0] * 4}
    )
    mf = build_model_frame("c ~ x", d, outcome_kind="nominal")
    assert mf.y_levels == ("move_on", "return", "stay")
    np.testing.assert_array_equal(mf.y, [2, 1, 0, 2])
    mf = build_model_frame("k ~ x", d, outcome_kind="ordinal")
    assert mf.y_levels == ("1", "2", "3")


def test_bad_outcome_kind(df: pd.DataFrame) -> None:
    with pytest.raises(FormulaError, match="expecting one of"):
        build_model_frame("y ~ age", df, outcome_kind="count")  # type: ignore[arg-type]


# ---- missing values ------------------------------------------------------------------


def test_dropped_rows_are_counted_per_variable_and_total() -> None:
    d = pd.DataFrame(
        {
            "y": pd.array([1, 0, None, 1, 0, 1, 0, 1], dtype="Int8"),
            "age": pd.array([30, None, None, 40, 50, 60, 20, 25], dtype="Int16"),
            "female": pd.array(
                [True, False, True, None, False, True, False, True], dtype="boolean"
            ),
            "area": pd.Series(["a", "b", "a", "b", None, "a", "b", "b"], dtype="str"),
            "w": [1.0, 1.0, 1.0, 1.0, 1.0, np.nan, 2.0, 3.0],
        }
    )
    mf = build_model_frame("y ~ age + female + area", d, also_required=["w"])
    assert dict(mf.dropped) == {"y": 1, "age": 2, "female": 1, "area": 1, "w": 1, "total": 5}
    np.testing.assert_array_equal(
        mf.row_mask, [True, False, False, False, False, False, True, True]
    )
    assert mf.n_obs == 3
    np.testing.assert_array_equal(mf.X[:, 1], [30.0, 20.0, 25.0])


def test_single_level_categorical_is_an_error() -> None:
    d = pd.DataFrame({"y": [0, 1, 1], "k": ["a", "a", "a"]})
    with pytest.raises(FormulaError, match=r"'k' .* fewer than two levels"):
        build_model_frame("y ~ k", d)


def test_rows_used_match_complete_cases() -> None:
    rng = np.random.default_rng(3)
    n = 200
    age = rng.normal(40, 10, n)
    age[rng.random(n) < 0.1] = np.nan
    d = pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "age": age,
            "area": pd.Series(rng.choice(["a", "b", "c"], n), dtype="str"),
        }
    )
    d.loc[rng.random(n) < 0.1, "area"] = None
    mf = build_model_frame("y ~ age + area", d)
    complete = d.dropna()
    assert mf.n_obs == len(complete)
    assert mf.dropped["total"] == n - len(complete)
    np.testing.assert_allclose(mf.X[:, 1], complete["age"].to_numpy())


def test_no_complete_rows() -> None:
    d = pd.DataFrame({"y": [1, 0], "age": [np.nan, np.nan]})
    with pytest.raises(FormulaError, match="no row of the data is complete"):
        build_model_frame("y ~ age", d)


# ---- transform -----------------------------------------------------------------------


def test_transform_reproduces_x_and_applies_overrides(df: pd.DataFrame) -> None:
    mf = build_model_frame("y ~ C(area, ref='b')*age + female + I(age**2)", df)
    np.testing.assert_array_equal(mf.transform(), mf.X)
    np.testing.assert_array_equal(mf.transform(df[mf.row_mask]), mf.X)
    # everyone at level "c", age + 1: compare with formulaic on the modified data
    code_c = mf.encode("area", "c")
    X = mf.transform(overrides={"area": code_c, "age": mf.variable_values("age") + 1.0})
    mod = df.assign(
        area=pd.Categorical(["c"] * len(df), categories=["a", "b", "c"]), age=df.age + 1
    )
    ref = model_matrix(
        "y ~ C(area, contr.treatment('b'), levels=['a','b','c'])*age + female + I(age**2)", mod
    ).rhs
    np.testing.assert_allclose(X, ref.to_numpy(dtype=float))


def test_transform_rejects_unknown_level(df: pd.DataFrame) -> None:
    mf = build_model_frame("y ~ area", df)
    with pytest.raises(FormulaError, match="'z' is not a level of 'area'"):
        mf.encode("area", "z")
    new = df.assign(area=df["area"].astype(str).where(df.index > 0, "z"))
    with pytest.raises(FormulaError, match=r"1 value.* of 'area' that are not levels"):
        mf.transform(new)


def test_boolean_variable_as_zero_one(df: pd.DataFrame) -> None:
    mf = build_model_frame("y ~ female", df)
    assert mf.terms == (INTERCEPT, "female")
    np.testing.assert_array_equal(mf.X[:, 1], df["female"].astype(float).to_numpy())


def test_mixed_encodings_of_one_column_rejected(df: pd.DataFrame) -> None:
    d = df.assign(k=np.arange(len(df)) % 3)
    with pytest.raises(FormulaError, match="both as categorical and as numeric"):
        build_model_frame("y ~ C(k) + k", d)


@pytest.mark.slow
def test_build_is_fast_on_a_million_rows() -> None:
    import time

    rng = np.random.default_rng(1)
    n = 1_000_000
    d = pd.DataFrame(
        {
            "y": rng.integers(0, 2, n).astype(bool),
            "age": pd.array(rng.integers(18, 80, n), dtype="Int16"),
            "female": pd.array(rng.integers(0, 2, n).astype(bool), dtype="boolean"),
            "children": rng.integers(0, 4, n),
            "distance_km": rng.normal(1000, 300, n),
            "area": pd.Categorical(rng.choice(list("abcdef"), n)),
        }
    )
    build_model_frame("y ~ age + female + children + distance_km + area", d)
    t = time.perf_counter()
    build_model_frame("y ~ age + female + children + distance_km + area", d)
    assert time.perf_counter() - t < 1.0


# ---- the one expression language inside formulas ---------------------------------

def test_cut_is_a_categorical_factor(df: pd.DataFrame) -> None:
    mf = build_model_frame("y ~ cut(age, [0, 35, 45, 200])", df)
    assert mf.terms == (INTERCEPT, "cut(age, [0, 35, 45, 200])[[35, 45)]",
                        "cut(age, [0, 35, 45, 200])[[45, 200)]")
    a = df["age"].to_numpy()
    np.testing.assert_array_equal(mf.X[:, 1], ((a >= 35) & (a < 45)).astype(float))
    np.testing.assert_array_equal(mf.X[:, 2], (a >= 45).astype(float))
    # values outside the breaks are missing, counted, not silently binned
    mf2 = build_model_frame("y ~ cut(age, [35, 45, 200])", df)
    assert mf2.dropped["cut(age, [35, 45, 200])"] == int((a < 35).sum())


def test_outcome_expression(df: pd.DataFrame) -> None:
    mf = build_model_frame("I(1 - y) ~ age", df)
    np.testing.assert_array_equal(mf.y, 1 - df["y"].to_numpy())
    assert mf.formula.outcome == "I(1 - y)"
    assert mf.formula.outcome_columns == ("y",)


def test_value_labels_name_levels_and_reference(df: pd.DataFrame) -> None:
    from surveytk.analysis_frame import VALUE_LABELS_ATTR

    d = df.assign(vote=np.where(df["age"] > 40, 1.0, 2.0))
    d.attrs[VALUE_LABELS_ATTR] = {"vote": {"1": "Yes", "2": "No"}}
    mf = build_model_frame("y ~ C(vote)", d)
    assert mf.terms == (INTERCEPT, "vote[No]")
    mf = build_model_frame("y ~ C(vote, ref='No')", d)
    assert mf.terms == (INTERCEPT, "vote[Yes]")
    mf = build_model_frame("y ~ C(vote, ref=2)", d)  # the code works too
    assert mf.terms == (INTERCEPT, "vote[Yes]")
