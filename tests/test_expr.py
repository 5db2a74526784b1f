"""Restricted boolean conditions for subpopulations and sample rules (surveytk.expr)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveytk.errors import SpecError
from surveytk.expr import parse_condition


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
    ("age == age", "expected a number"),
    ("'wodc' == source", "expected a column name"),
    ("age + 1 > 2", "`+`"),
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
