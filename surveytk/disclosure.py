"""Statistical disclosure control for frequency tables: cell suppression.

Every table of licensed microdata that surveytk prints (``surveytk tabulate``,
frequencies in ``codebook docs``) passes its unweighted counts through
:func:`suppress_table` (two-way, with row, column and grand totals) or
:func:`suppress_counts` (one-way, with its total) before anything is shown:

1. **Primary suppression**: every count below ``threshold`` (default 10),
   zero included, is suppressed.
2. **Complementary (secondary) suppression**: the table's totals are public,
   so a row, column or margin with exactly one suppressed cell would give that
   cell away by subtraction. In every such line the smallest cell not yet
   suppressed is suppressed too; this repeats until no line has exactly one
   suppressed cell (a "hypercube-lite" rule, after the hypercube method of
   Repsilber 1994 / Giessing 2004 in τ-ARGUS, without its optimisation).
3. Everything derived from a suppressed count — its share, percentage,
   standard error, confidence interval, ratio — is suppressed with it and
   shown as :data:`SUPPRESSED_MARKER`.

The functions are pure: arrays in, boolean masks out. ``docs/disclosure.md``
explains the rule and its limits for report authors.

Limits (see ``docs/disclosure.md``): the rule guarantees that no single
additive line reveals a suppressed cell; it does not solve the full linear
system of all lines at once (interval / "audit" attacks can still narrow a
suppressed cell to a range), does not protect against differencing between
two published tables with nested groups, and does not minimise the
information lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from surveytk.errors import OutputError

#: Default minimum unweighted count of a published cell.
DEFAULT_THRESHOLD = 10
#: Shown in place of every suppressed number (primary and complementary alike,
#: so that a reader cannot tell which cells are small).
SUPPRESSED_MARKER = "‧"


@dataclass(frozen=True)
class Line:
    """One additive relation of a table: ``sum(cells[members]) == cells[total]``.

    Indices refer to the flat vector of a table's counts (interior cells first,
    then the totals; see :func:`table_lines`).
    """

    members: tuple[int, ...]
    total: int


@dataclass(frozen=True)
class Suppression:
    """Which cells of a table (interior and totals) are suppressed, and why.

    Attributes
    ----------
    cells
        (R, C) suppressed interior cells.
    row_totals, col_totals
        (R,) and (C,) suppressed totals.
    grand_total
        Whether the grand total is suppressed.
    primary_cells, primary_row_totals, primary_col_totals, primary_grand_total
        The same for primary suppression only (count below the threshold).
    threshold
        The threshold used.
    """

    cells: np.ndarray
    row_totals: np.ndarray
    col_totals: np.ndarray
    grand_total: bool
    primary_cells: np.ndarray
    primary_row_totals: np.ndarray
    primary_col_totals: np.ndarray
    primary_grand_total: bool
    threshold: int

    @property
    def secondary_cells(self) -> np.ndarray:
        """(R, C) interior cells suppressed only to protect others."""
        return np.asarray(self.cells & ~self.primary_cells)

    @property
    def n_suppressed(self) -> int:
        """Number of suppressed interior cells."""
        return int(self.cells.sum())


def check_threshold(threshold: int) -> int:
    """Refuse a threshold below 1 (a threshold of 1 still suppresses zeros)."""
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer):
        raise OutputError(f"disclosure threshold must be an integer; got {threshold!r}")
    if threshold < 1:
        raise OutputError(
            f"disclosure threshold must be at least 1; got {threshold}. Cells with fewer "
            "respondents than the threshold are suppressed (default 10)"
        )
    return int(threshold)


def primary_mask(
    counts: np.ndarray | Sequence[float], threshold: int = DEFAULT_THRESHOLD
) -> np.ndarray:
    """Cells whose unweighted count is below ``threshold`` (zero included).

    Parameters
    ----------
    counts
        Unweighted counts, any shape, non-negative.
    threshold
        Minimum count of a published cell (≥ 1).

    Returns
    -------
    numpy.ndarray
        Boolean array of the shape of ``counts``.
    """
    check_threshold(threshold)
    arr = _counts(counts)
    return np.asarray(arr < threshold)


def complementary_mask(
    counts: np.ndarray | Sequence[float],
    suppressed: np.ndarray | Sequence[bool],
    lines: Sequence[Line],
) -> np.ndarray:
    """Extend a suppression pattern until no line has exactly one suppressed cell.

    Parameters
    ----------
    counts
        Flat vector of all counts of the table (interior cells and totals).
    suppressed
        Flat boolean vector: the cells suppressed so far (usually primary).
    lines
        The table's additive relations (:func:`table_lines`).

    Returns
    -------
    numpy.ndarray
        Flat boolean vector, a superset of ``suppressed``.

    Notes
    -----
    For a line ``x_1 + … + x_m = T`` with exactly one of ``{x_1, …, x_m, T}``
    suppressed, that one is the line's published total minus its published
    members. The smallest unsuppressed member is then suppressed as well,
    preferring a member that at the same time closes another line with a
    single suppressed cell (ties: first position); a total is chosen only when
    every member is already suppressed. Lines are revisited until nothing changes, which terminates
    because each pass only adds cells.
    """
    values = _counts(counts).ravel()
    mask = np.array(suppressed, dtype=bool).ravel()
    if mask.shape != values.shape:
        raise OutputError(f"suppression mask has {mask.size} cells; counts have {values.size}")
    lines_of: dict[int, list[int]] = {}
    for k, line in enumerate(lines):
        for i in (*line.members, line.total):
            lines_of.setdefault(i, []).append(k)
    changed = True
    while changed:
        changed = False
        for line in lines:
            pick = _complement_in_line(values, mask, line, lines, lines_of)
            if pick is not None:
                mask[pick] = True
                changed = True
    return mask


def _n_hidden(mask: np.ndarray, line: Line) -> int:
    return int(mask[list(line.members)].sum()) + int(mask[line.total])


def _complement_in_line(
    values: np.ndarray,
    mask: np.ndarray,
    line: Line,
    lines: Sequence[Line],
    lines_of: dict[int, list[int]],
) -> int | None:
    """The cell to suppress in ``line`` so that it hides its one suppressed cell, or None.

    Among the open members, a cell that also closes another line with a single
    suppressed cell comes first (one cell protects two lines, e.g. the fourth
    corner of a rectangle); then the smallest count; then the first position.
    """
    if _n_hidden(mask, line) != 1:
        return None
    open_members = [i for i in line.members if not mask[i]]
    if not open_members:
        return line.total

    def rank(i: int) -> tuple[int, float, int]:
        fixes = sum(
            1
            for k in lines_of.get(i, [])
            if lines[k] is not line and _n_hidden(mask, lines[k]) == 1
        )
        return (-fixes, float(values[i]), i)

    return min(open_members, key=rank)


def table_lines(n_rows: int, n_cols: int) -> list[Line]:
    """The additive relations of an R × C table with row, column and grand totals.

    Flat layout: interior cell (i, j) at ``i*C + j``; row total i at
    ``R*C + i``; column total j at ``R*C + R + j``; grand total last.
    Relations: each row sums to its row total, each column to its column
    total, the row totals and the column totals each to the grand total.
    """
    rc = n_rows * n_cols
    row_t = [rc + i for i in range(n_rows)]
    col_t = [rc + n_rows + j for j in range(n_cols)]
    grand = rc + n_rows + n_cols
    lines = [Line(tuple(i * n_cols + j for j in range(n_cols)), row_t[i]) for i in range(n_rows)]
    lines += [Line(tuple(i * n_cols + j for i in range(n_rows)), col_t[j]) for j in range(n_cols)]
    lines.append(Line(tuple(row_t), grand))
    lines.append(Line(tuple(col_t), grand))
    return lines


def suppress_table(
    counts: np.ndarray | Sequence[Sequence[float]],
    threshold: int = DEFAULT_THRESHOLD,
    *,
    complementary: bool = True,
) -> Suppression:
    """Primary and complementary suppression of a two-way table of counts.

    Parameters
    ----------
    counts
        (R, C) unweighted counts. Row, column and grand totals are taken to
        be public (they are, or follow from other tables).
    threshold
        Minimum count of a published cell.
    complementary
        Apply complementary suppression (turn off only to show what it adds).

    Returns
    -------
    Suppression
        Masks for the interior cells and every total.

    Examples
    --------
    >>> s = suppress_table([[3, 20, 25], [30, 40, 50]])
    >>> s.cells.astype(int).tolist()
    [[1, 1, 0], [1, 1, 0]]
    """
    table = _counts(counts)
    if table.ndim != 2:
        raise OutputError(f"suppress_table needs a two-way table; got {table.ndim} dimensions")
    n_rows, n_cols = table.shape
    flat = np.concatenate([table.ravel(), table.sum(axis=1), table.sum(axis=0), [table.sum()]])
    primary = primary_mask(flat, threshold)
    mask = (
        complementary_mask(flat, primary, table_lines(n_rows, n_cols))
        if complementary
        else primary.copy()
    )
    return _split(mask, primary, n_rows, n_cols, threshold)


def suppress_counts(
    counts: np.ndarray | Sequence[float],
    threshold: int = DEFAULT_THRESHOLD,
    *,
    complementary: bool = True,
) -> Suppression:
    """Suppression of a one-way table (a row of counts with its total).

    The result is that of :func:`suppress_table` on a 1 × C table:
    ``cells[0]`` are the level cells, ``row_totals[0]`` the table total.
    """
    arr = _counts(counts)
    if arr.ndim != 1:
        raise OutputError(f"suppress_counts needs a vector of counts; got {arr.ndim} dimensions")
    n = arr.size
    flat = np.concatenate([arr, [arr.sum()]])
    primary = primary_mask(flat, threshold)
    mask = (
        complementary_mask(flat, primary, [Line(tuple(range(n)), n)])
        if complementary
        else primary.copy()
    )
    full = np.zeros(2 * n + 2, dtype=bool)
    full_primary = np.zeros(2 * n + 2, dtype=bool)
    # lay out as a 1 × C table: cells, row total, column totals (= cells), grand total
    for target, source in ((full, mask), (full_primary, primary)):
        target[:n] = source[:n]
        target[n] = source[n]
        target[n + 1 : 2 * n + 1] = source[:n]
        target[2 * n + 1] = source[n]
    return _split(full, full_primary, 1, n, threshold)


def _split(
    mask: np.ndarray, primary: np.ndarray, n_rows: int, n_cols: int, threshold: int
) -> Suppression:
    rc = n_rows * n_cols

    def parts(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        return (
            m[:rc].reshape(n_rows, n_cols).copy(),
            m[rc : rc + n_rows].copy(),
            m[rc + n_rows : rc + n_rows + n_cols].copy(),
            bool(m[rc + n_rows + n_cols]),
        )

    cells, rows, cols, grand = parts(mask)
    p_cells, p_rows, p_cols, p_grand = parts(primary)
    return Suppression(
        cells=cells,
        row_totals=rows,
        col_totals=cols,
        grand_total=grand,
        primary_cells=p_cells,
        primary_row_totals=p_rows,
        primary_col_totals=p_cols,
        primary_grand_total=p_grand,
        threshold=threshold,
    )


def _counts(counts: np.ndarray | Sequence[float] | Sequence[Sequence[float]]) -> np.ndarray:
    arr = np.asarray(counts, dtype=np.float64)
    if arr.size and (not np.all(np.isfinite(arr)) or np.any(arr < 0)):
        raise OutputError("counts for disclosure control must be finite and non-negative")
    return arr


def mask_values(values: np.ndarray, suppressed: np.ndarray) -> np.ndarray:
    """``values`` as float with NaN wherever ``suppressed`` (derived numbers go with their cell)."""
    out = np.array(values, dtype=np.float64)
    out[np.asarray(suppressed, dtype=bool)] = np.nan
    return out


def suppression_note(threshold: int) -> str:
    """The note printed below a table with suppressed cells."""
    return (
        f"{SUPPRESSED_MARKER} suppressed: fewer than {threshold} respondents in the cell, or "
        "suppressed so that a total cannot reveal such a cell (complementary suppression); "
        "shares, standard errors and intervals of those cells are suppressed with them."
    )
