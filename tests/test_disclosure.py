"""Cell suppression: primary (n < threshold) and complementary (totals cannot reveal a cell)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from surveytk.disclosure import (
    Line,
    Suppression,
    audit_intervals,
    complementary_mask,
    mask_values,
    primary_mask,
    suppress_counts,
    suppress_table,
    table_lines,
)
from surveytk.errors import OutputError

# ---- an attacker who knows the published cells and every total ----------------------


def published_flat(table: np.ndarray) -> np.ndarray:
    t = np.asarray(table, dtype=float)
    return np.concatenate([t.ravel(), t.sum(axis=1), t.sum(axis=0), [t.sum()]])


def recover_by_subtraction(values: np.ndarray, hidden: np.ndarray, lines: list[Line]) -> np.ndarray:
    """Cells an attacker recovers by repeatedly solving lines with one unknown."""
    known = ~hidden.copy()
    guess = np.where(known, values, np.nan)
    changed = True
    while changed:
        changed = False
        for line in lines:
            idx = [*line.members, line.total]
            unknown = [i for i in idx if not known[i]]
            if len(unknown) != 1:
                continue
            u = unknown[0]
            members_sum = sum(guess[i] for i in line.members if known[i])
            guess[u] = guess[line.total] - members_sum if u != line.total else members_sum
            known[u] = True
            changed = True
    return known & hidden


def determined_by_linear_system(hidden: np.ndarray, lines: list[Line]) -> np.ndarray:
    """Hidden cells whose value follows from all lines at once (e_k in the row space)."""
    unknown = np.flatnonzero(hidden)
    if unknown.size == 0:
        return np.zeros(0, dtype=bool)
    col = {u: j for j, u in enumerate(unknown)}
    rows = []
    for line in lines:
        r = np.zeros(unknown.size)
        for i in line.members:
            if i in col:
                r[col[i]] += 1.0
        if line.total in col:
            r[col[line.total]] -= 1.0
        rows.append(r)
    a = np.array(rows)
    out = np.zeros(unknown.size, dtype=bool)
    for j in range(unknown.size):
        e = np.zeros(unknown.size)
        e[j] = 1.0
        z, *_ = np.linalg.lstsq(a.T, e, rcond=None)
        out[j] = np.allclose(a.T @ z, e, atol=1e-9)
    return out


def flat_mask(s: Suppression) -> np.ndarray:
    return np.concatenate([s.cells.ravel(), s.row_totals, s.col_totals, [s.grand_total]])


def flat_primary(s: Suppression) -> np.ndarray:
    return np.concatenate(
        [
            s.primary_cells.ravel(),
            s.primary_row_totals,
            s.primary_col_totals,
            [s.primary_grand_total],
        ]
    )


def range_by_lp(values: np.ndarray, hidden: np.ndarray, lines: list[Line], k: int) -> float:
    """Width of cell k's feasible range: all cells are variables, published ones fixed.

    Written independently of surveytk's own audit (different formulation).
    """
    from scipy.optimize import linprog

    n = values.size
    a = np.zeros((len(lines), n))
    for r, line in enumerate(lines):
        a[r, list(line.members)] = 1.0
        a[r, line.total] -= 1.0
    bounds = [(0.0, None) if hidden[i] else (values[i], values[i]) for i in range(n)]
    c = np.zeros(n)
    c[k] = 1.0
    lo = linprog(c, A_eq=a, b_eq=np.zeros(len(lines)), bounds=bounds, method="highs")
    hi = linprog(-c, A_eq=a, b_eq=np.zeros(len(lines)), bounds=bounds, method="highs")
    assert lo.status == 0 and hi.status in (0, 3)
    return np.inf if hi.status == 3 else float(hi.x[k] - lo.x[k])


def narrowest_primary_range(table: np.ndarray, s: Suppression) -> float:
    values, hidden, primary = published_flat(table), flat_mask(s), flat_primary(s)
    lines = table_lines(*table.shape)
    widths = [range_by_lp(values, hidden, lines, int(k)) for k in np.flatnonzero(primary)]
    return min(widths, default=np.inf)


# ---- primary ---------------------------------------------------------------------------


def test_primary_suppresses_counts_below_threshold_zero_included() -> None:
    counts = np.array([0, 1, 9, 10, 11, 250])
    np.testing.assert_array_equal(primary_mask(counts, 10), [1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(primary_mask(counts, 5), [1, 1, 0, 0, 0, 0])


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_threshold_must_be_a_positive_integer(bad: object) -> None:
    with pytest.raises(OutputError, match="threshold"):
        primary_mask([1, 2], bad)  # type: ignore[arg-type]


def test_negative_or_missing_counts_are_refused() -> None:
    with pytest.raises(OutputError, match="non-negative"):
        suppress_counts([5, -1, 30])
    with pytest.raises(OutputError, match="finite"):
        suppress_table([[5, np.nan], [30, 40]])


# ---- complementary, one-way ------------------------------------------------------------


def test_one_way_total_cannot_reveal_the_small_cell() -> None:
    counts = np.array([3, 20, 25, 40])
    with_comp = suppress_counts(counts)
    without = suppress_counts(counts, complementary=False)
    # without complementary suppression the published total gives the cell away
    published = counts[~without.cells[0]]
    assert counts.sum() - published.sum() == counts[0]
    # with it, the smallest other cell goes too, and the difference is a sum of two
    np.testing.assert_array_equal(with_comp.cells[0], [True, True, False, False])
    np.testing.assert_array_equal(with_comp.primary_cells[0], [True, False, False, False])
    assert not with_comp.row_totals[0]
    hidden = with_comp.cells[0]
    assert counts.sum() - counts[~hidden].sum() == counts[hidden].sum() != counts[0]


def test_one_way_nothing_small_nothing_suppressed() -> None:
    s = suppress_counts([10, 11, 500])
    assert s.n_suppressed == 0


def test_one_way_small_total_suppresses_everything() -> None:
    s = suppress_counts([2, 3, 4])
    assert s.cells.all() and s.row_totals[0] and s.grand_total


# ---- complementary, two-way ------------------------------------------------------------


TABLE = np.array(
    [
        [3, 20, 25, 31],
        [30, 40, 50, 12],
        [44, 15, 61, 70],
    ]
)


def test_two_way_no_line_has_a_single_suppressed_cell() -> None:
    s = suppress_table(TABLE)
    hidden = flat_mask(s)
    for line in table_lines(*TABLE.shape):
        n_hidden = sum(hidden[i] for i in (*line.members, line.total))
        assert n_hidden != 1
    assert s.primary_cells.sum() == 1 and s.n_suppressed == 4
    # the complements are the smallest cells of the row and of the column
    assert s.cells[0, 1] and s.cells[1, 0] and s.cells[1, 1]


def test_two_way_totals_cannot_be_used_to_recover_a_suppressed_cell() -> None:
    lines = table_lines(*TABLE.shape)
    values = published_flat(TABLE)
    hidden = flat_mask(suppress_table(TABLE))
    assert not recover_by_subtraction(values, hidden, lines).any()
    assert not determined_by_linear_system(hidden, lines).any()


def test_switching_off_complementary_suppression_discloses() -> None:
    """Fails if complementary suppression were off by default."""
    lines = table_lines(*TABLE.shape)
    values = published_flat(TABLE)
    hidden = flat_mask(suppress_table(TABLE, complementary=False))
    recovered = recover_by_subtraction(values, hidden, lines)
    assert recovered[0]  # cell (0, 0) = row total − the rest of row 0
    assert flat_mask(suppress_table(TABLE)).sum() > hidden.sum()


def test_small_row_total_is_suppressed_and_protected() -> None:
    table = np.array([[2, 3, 1], [40, 50, 60], [35, 45, 55]])
    s = suppress_table(table)
    assert s.cells[0].all() and s.row_totals[0]
    # the row totals sum to the grand total: another row total must go
    assert s.row_totals.sum() >= 2 or s.grand_total
    lines = table_lines(*table.shape)
    assert not recover_by_subtraction(published_flat(table), flat_mask(s), lines).any()


def test_complementary_prefers_the_smallest_cell_then_the_first() -> None:
    counts = np.array([5.0, 30.0, 12.0, 12.0, 5000.0])
    mask = complementary_mask(counts, [True, False, False, False, False], [Line((0, 1, 2, 3), 4)])
    np.testing.assert_array_equal(mask, [True, False, True, False, False])


def test_complementary_falls_back_to_the_total() -> None:
    counts = np.array([4.0, 4.0])  # a one-cell line: the cell equals the total
    mask = complementary_mask(counts, [True, False], [Line((0,), 1)])
    np.testing.assert_array_equal(mask, [True, True])


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.int64,
        st.tuples(st.integers(1, 5), st.integers(1, 5)),
        elements=st.integers(0, 60),
    ),
    st.integers(1, 20),
)
def test_property_no_single_line_reveals_a_suppressed_cell(table: np.ndarray, t: int) -> None:
    s = suppress_table(table, t)
    hidden = flat_mask(s)
    values = published_flat(table)
    primary = np.concatenate(
        [
            s.primary_cells.ravel(),
            s.primary_row_totals,
            s.primary_col_totals,
            [s.primary_grand_total],
        ]
    )
    assert np.all(hidden[primary])
    assert np.all(hidden[values < t])
    assert not recover_by_subtraction(values, hidden, table_lines(*table.shape)).any()


def test_mask_values_suppresses_derived_numbers() -> None:
    out = mask_values(np.array([0.1, 0.2, 0.7]), np.array([True, False, True]))
    assert np.isnan(out[0]) and np.isnan(out[2]) and out[1] == 0.2


#: Line rule alone leaks here: no line has a single suppressed cell, yet combining
#: lines determines one (about 5 in 1,300 random tables of up to 5 × 5).
LEAKY = np.array(
    [[20, 30, 5, 2], [25, 5, 40, 16], [59, 50, 19, 25], [54, 16, 56, 32], [4, 19, 9, 18]]
)


def test_line_rule_alone_can_be_undone_by_combining_lines() -> None:
    """Why the audit exists: with ``min_width=0`` (no audit) this table leaks."""
    lines = table_lines(*LEAKY.shape)
    s = suppress_table(LEAKY, min_width=0)
    hidden = flat_mask(s)
    assert not recover_by_subtraction(published_flat(LEAKY), hidden, lines).any()
    assert determined_by_linear_system(hidden, lines).any()
    assert narrowest_primary_range(LEAKY, s) < 0.5


def test_audit_closes_the_combined_lines_gap() -> None:
    """docs/disclosure.md: the table that used to leak is safe after the audit."""
    lines = table_lines(*LEAKY.shape)
    values = published_flat(LEAKY)
    s = suppress_table(LEAKY)
    hidden = flat_mask(s)
    assert np.all(hidden[flat_primary(s)])
    assert not recover_by_subtraction(values, hidden, lines).any()
    assert not determined_by_linear_system(hidden, lines).any()
    assert narrowest_primary_range(LEAKY, s) >= 0.5
    # it costs little: one more cell than the line rule, and it is an open cell
    assert s.n_suppressed == suppress_table(LEAKY, min_width=0).n_suppressed + 1


def test_audit_intervals_of_the_documented_example() -> None:
    """docs/disclosure.md example; ranges derived by hand from the four lines.

    x/A + x/B = 23, y/A + y/B = 70, x/A + y/A = 33, x/B + y/B = 60, all ≥ 0:
    x/A = a in [0, 23], x/B = 23 − a, y/A = 33 − a, y/B = 37 + a.
    """
    table = np.array([[3, 20, 25], [30, 40, 50]])
    hidden = flat_mask(suppress_table(table))
    lower, upper = audit_intervals(published_flat(table), hidden, table_lines(2, 3))
    np.testing.assert_allclose(lower[[0, 1, 3, 4]], [0, 0, 10, 37], atol=1e-7)
    np.testing.assert_allclose(upper[[0, 1, 3, 4]], [23, 23, 33, 60], atol=1e-7)
    # published cells are their own range
    assert lower[2] == upper[2] == 25


def test_audit_intervals_unbounded_and_untargeted() -> None:
    counts = np.array([4.0, 6.0, 10.0])
    lower, upper = audit_intervals(counts, [True, True, True], [Line((0, 1), 2)])
    assert np.all(lower == 0) and np.all(np.isinf(upper))
    lower, upper = audit_intervals(counts, [True, True, False], [Line((0, 1), 2)], [0])
    assert (lower[0], upper[0]) == (0, 10) and np.isnan(lower[1])
    with pytest.raises(OutputError, match="suppressed"):
        audit_intervals(counts, [True, True, False], [Line((0, 1), 2)], [2])


def test_suppressed_zeros_that_sum_to_zero_are_protected() -> None:
    """Two suppressed zeros in a line are each between 0 and 0 (counts are ≥ 0)."""
    counts = [0, 0, 30, 40]
    line_only = suppress_counts(counts, min_width=0)
    np.testing.assert_array_equal(line_only.cells[0], [True, True, False, False])
    s = suppress_counts(counts)
    # the smallest open cell widens both zeros to [0, 30]
    np.testing.assert_array_equal(s.cells[0], [True, True, True, False])
    lower, upper = audit_intervals([0, 0, 30, 40, 70], [1, 1, 1, 0, 0], [Line((0, 1, 2, 3), 4)])
    np.testing.assert_allclose(upper[:2] - lower[:2], [30, 30], atol=1e-7)


def test_min_width_asks_for_a_protection_interval() -> None:
    table = np.array([[3, 20, 25], [30, 40, 50]])
    assert narrowest_primary_range(table, suppress_table(table)) == pytest.approx(23)
    s = suppress_table(table, min_width=30)
    assert narrowest_primary_range(table, s) >= 30
    assert s.n_suppressed > suppress_table(table).n_suppressed


@pytest.mark.parametrize("bad", [-1.0, np.inf, np.nan, True])
def test_min_width_must_be_finite_and_non_negative(bad: float) -> None:
    with pytest.raises(OutputError, match="min_width"):
        suppress_table([[3, 20], [30, 40]], min_width=bad)


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.int64,
        st.tuples(st.integers(1, 5), st.integers(1, 5)),
        elements=st.integers(0, 60),
    ),
    st.integers(1, 20),
)
def test_property_no_primary_cell_is_exactly_determined(table: np.ndarray, t: int) -> None:
    s = suppress_table(table, t)
    lines = table_lines(*table.shape)
    hidden = flat_mask(s)
    assert np.all(hidden[flat_primary(s)])
    assert narrowest_primary_range(table, s) >= 0.5
    determined = determined_by_linear_system(hidden, lines)
    assert not determined[flat_primary(s)[hidden]].any()
