"""Restricted boolean conditions for subpopulations and sample rules (surveytk.language.expr)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveytk.errors import SpecError
from surveytk.language.expr import parse_condition


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "female": pd.array([1, 0, None, 1, 0], dtype="Int8"),
            "source": pd.Categorical(["wodc", "fi_moi", "wodc", None, "soep_ukr"]),
            "age": [30.0, 40.0, 25.0, np.nan, 65.0],
            "employed": pd.array([True, None, False, True, False], dtype="boolean"),
            "area": pd.Series(["kyiv", "lviv", None, "west", "kyiv"], dtype="str"),
            "neighbour": [True, False, True, False, True],
        }
    )


CASES = [
    ("female == 1", [True, False, False, True, False]),
    ('source == "wodc" & age >= 30', [True, False, False, False, False]),
    ("source == 'wodc' and age >= 30", [True, False, False, False, False]),
    ('area in ["kyiv", "lviv"]', [True, True, False, False, True]),
    ("area not in ['kyiv']", [False, True, False, True, False]),
    ("~employed", [False, False, True, False, True]),
    ("not employed", [False, False, True, False, True]),
    ("not neighbour", [False, True, False, True, False]),
    ("employed | female == 0", [True, True, False, True, True]),
    ("age > 30 or age < 26", [False, True, True, False, True]),
    ("not (age < 30)", [True, True, False, False, True]),
    ("source is missing", [False, False, False, True, False]),
    ("age is not missing", [True, True, True, False, True]),
    ("source != 'wodc'", [False, True, False, False, True]),
    ("employed == true", [True, False, False, True, False]),
    ("(female == 1 | female == 0) & ~(age >= 60)", [True, True, False, False, False]),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_conditions(df: pd.DataFrame, text: str, expected: list[bool]) -> None:
    got = parse_condition(text).evaluate(df)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, expected)


def test_missing_is_false_but_kleene_inside(df: pd.DataFrame) -> None:
    # row 2: female missing; NA & False -> False, NA | True -> True, ~NA -> NA -> False
    assert not parse_condition("female == 1").evaluate(df)[2]
    assert not parse_condition("~(female == 1)").evaluate(df)[2]
    assert parse_condition("female == 1 | source == 'wodc'").evaluate(df)[2]
    assert not parse_condition("female == 1 & source == 'wodc'").evaluate(df)[2]


INJECTIONS = [
    ("__import__('os')", "`__import__`"),
    ("a.__class__", "`.`"),
    ("lambda: 1", "`lambda`"),
    ('open("x")', "`open(...)`"),
    ("x[0] == 1", "`x[...]`"),
    ("exec('1')", "`exec(...)`"),
    ("age == 1; import os", "`;`"),
    ("age == 1 == 2", "unexpected text"),
    ("age > ", "expected a column name"),
    ("getattr(age, 'x') > 1", "the functions are"),
    ("cut(age, [30, 18]) == 1", "increasing"),
    ("age in []", "expected a number"),
    ("age ** ** 2", "position 8"),
    ("age == 1 &", "expected a column name"),
    ("(age == 1", "expected `)`"),
    ("age in (1, 2)", "expected `[`"),
    ("", "non-empty"),
    ("age is 3", "expected `missing`"),
]


@pytest.mark.parametrize(("text", "piece"), INJECTIONS)
def test_rejects_outside_grammar(text: str, piece: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_condition(text)
    assert piece in str(err.value)
    assert "\n" not in str(err.value)


def test_columns_checked_with_close_matches(df: pd.DataFrame) -> None:
    cond = parse_condition("agee > 1 & source == 'wodc'")
    assert cond.columns == ("agee", "source")
    with pytest.raises(SpecError, match=r"'agee' .* not in the data; close matches: age"):
        cond.evaluate(df)


def test_type_mismatches(df: pd.DataFrame) -> None:
    with pytest.raises(SpecError, match="numeric column 'age' with the string"):
        parse_condition("age == '30'").evaluate(df)
    with pytest.raises(SpecError, match="text column 'area' with the number"):
        parse_condition("area == 3").evaluate(df)
    with pytest.raises(SpecError, match="'age' in condition 'age' is not boolean"):
        parse_condition("age").evaluate(df)


@given(
    ages=st.lists(
        st.one_of(st.none(), st.integers(min_value=0, max_value=99)), min_size=1, max_size=30
    ),
    cut=st.integers(min_value=0, max_value=99),
)
def test_matches_pandas_with_na_false(ages: list[int | None], cut: int) -> None:
    d = pd.DataFrame({"age": pd.array(ages, dtype="Int16")})
    got = parse_condition(f"age >= {cut} & not (age == {cut})").evaluate(d)
    expected = ((d.age >= cut) & ~(d.age == cut)).fillna(False).to_numpy(dtype=bool)
    np.testing.assert_array_equal(got, expected)


# ---- one expression language: arithmetic, functions, quoted names ------------------

MORE_CASES = [
    ("age == age", [True, True, True, False, True]),
    ("'wodc' == source", [True, False, True, False, False]),
    ("age + 1 > 31", [False, True, False, False, True]),
    ("40 <= age", [False, True, False, False, True]),
    ("log(age) > log(35)", [False, True, False, False, True]),
    ("sqrt(age) ** 2 >= 40 - 1e-9", [False, True, False, False, True]),
    ("abs(age - 40) < 11", [True, True, False, False, False]),
    ("I(age / 10) in [3, 4]", [True, True, False, False, False]),
    ("-age < -50", [False, False, False, False, True]),
    ("(age > 30) == employed", [False, False, True, False, False]),
    ("`age` > 30 & Q(\"source\") == 'fi_moi'", [False, True, False, False, False]),
    ("cut(age, [18, 30, 65]) == '[30, 65)'", [True, True, False, False, False]),
    ("cut(age, [18, 30, 65]) is missing", [False, False, False, True, True]),
]


@pytest.mark.parametrize(("text", "expected"), MORE_CASES)
def test_expressions_in_conditions(df: pd.DataFrame, text: str, expected: list[bool]) -> None:
    np.testing.assert_array_equal(parse_condition(text).evaluate(df), expected)


def test_error_says_where_and_what_is_allowed() -> None:
    with pytest.raises(SpecError) as err:
        parse_condition("age > 3 $ 4")
    msg = str(err.value)
    assert "position 9" in msg and "allowed:" in msg and "log, exp, sqrt" in msg


def test_arithmetic_on_text_is_refused(df: pd.DataFrame) -> None:
    with pytest.raises(SpecError, match="'area' is not numeric"):
        parse_condition("area + 1 > 2").evaluate(df)
    with pytest.raises(SpecError, match="is number, not true/false"):
        parse_condition("not (age + 1)").evaluate(df)


def test_definitions(df: pd.DataFrame) -> None:
    from surveytk.language.expr import apply_definitions, parse_definitions

    defs = parse_definitions(
        ["old=age >= 40", "decade=cut(age, [20, 30, 40, 70])", "la=log(age)",
         "grp=C(area, levels=['west', 'lviv', 'kyiv'], ref='kyiv')", "y=I(2 - female)"]
    )
    out = apply_definitions(df, defs)
    assert out["old"].tolist()[:3] == [False, True, False] and out["old"].isna()[3]
    assert list(out["decade"].cat.categories) == ["[20, 30)", "[30, 40)", "[40, 70)"]
    assert out["decade"].tolist()[:3] == ["[30, 40)", "[40, 70)", "[20, 30)"]
    np.testing.assert_allclose(out["la"].to_numpy()[[0, 1]], np.log([30.0, 40.0]))
    assert list(out["grp"].cat.categories) == ["kyiv", "west", "lviv"]
    assert out["y"].tolist()[:2] == [1.0, 2.0] and np.isnan(out["y"][2])


@pytest.mark.parametrize(
    ("items", "piece"),
    [
        (["x"], "NAME=EXPRESSION"),
        (["1x=age"], "plain identifier"),
        (["x=age", "x=age + 1"], "defined more than once"),
        (["x=__import__('os')"], "`__import__`"),
        (["x="], "empty"),
    ],
)
def test_bad_definitions(items: list[str], piece: str) -> None:
    from surveytk.language.expr import parse_definitions

    with pytest.raises(SpecError) as err:
        parse_definitions(items)
    assert piece in str(err.value)


def test_definition_may_not_replace_a_column(df: pd.DataFrame) -> None:
    from surveytk.language.expr import apply_definitions, parse_definitions

    with pytest.raises(SpecError, match="already have a column 'age'"):
        apply_definitions(df, parse_definitions(["age=age + 1"]))


def test_levels_must_cover_the_data(df: pd.DataFrame) -> None:
    from surveytk.language.expr import apply_definitions, parse_definitions

    with pytest.raises(SpecError, match="'west' of 'area' are not in levels"):
        apply_definitions(df, parse_definitions(["g=C(area, levels=['kyiv', 'lviv'])"]))


def test_unicode_and_quoted_names() -> None:
    d = pd.DataFrame({"überhaupt": [1.0, 5.0], "sch.wide": ["Yes", "No"]})
    np.testing.assert_array_equal(parse_condition("überhaupt > 2").evaluate(d), [False, True])
    np.testing.assert_array_equal(parse_condition("`sch.wide` == 'Yes'").evaluate(d),
                                  [True, False])
    np.testing.assert_array_equal(parse_condition('Q("sch.wide") != "Yes"').evaluate(d),
                                  [False, True])
