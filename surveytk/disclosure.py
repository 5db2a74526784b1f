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
3. **Audit**: the line rule looks at one line at a time, and combining lines
   (with non-negativity) can still pin a suppressed cell down. For every
   primary cell the feasible range of its value given everything published is
   computed by linear programming (:func:`audit_intervals`); while a primary
   cell's range is narrower than ``min_width`` (default 0.5: not exactly
   determined) one more cell is suppressed, greedily, and the table is audited
   again (:func:`protect_mask`; Hundepool et al. 2012, §5.3).
4. Everything derived from a suppressed count — its share, percentage,
   standard error, confidence interval, ratio — is suppressed with it and
   shown as :data:`SUPPRESSED_MARKER`.

The functions are pure: arrays in, boolean masks out. ``docs/disclosure.md``
explains the rule and its limits for report authors.

Limits (see ``docs/disclosure.md``): no single additive line reveals a
suppressed cell, and no primary cell's feasible range (all lines at once,
counts non-negative) is narrower than ``min_width``; the default only rules
out exact disclosure, not narrow intervals. It does not protect against
differencing between two published tables with nested groups, and does not
minimise the information lost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from surveytk.errors import OutputError

#: Default minimum unweighted count of a published cell.
DEFAULT_THRESHOLD = 10
#: Shown in place of every suppressed number (primary and complementary alike,
#: so that a reader cannot tell which cells are small).
SUPPRESSED_MARKER = "‧"
#: Default smallest width of a primary cell's feasible range after the audit: a
#: range narrower than half a count pins an integer count exactly.
DEFAULT_MIN_WIDTH = 0.5


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
    mask = _flat_mask(suppressed, values)
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


def audit_intervals(
    counts: np.ndarray | Sequence[float],
    suppressed: np.ndarray | Sequence[bool],
    lines: Sequence[Line],
    targets: Sequence[int] | np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Feasible range of suppressed cells given everything published (an "audit").

    Parameters
    ----------
    counts
        Flat vector of all counts of the table (interior cells and totals).
    suppressed
        Flat boolean vector of the suppressed cells.
    lines
        The table's additive relations (:func:`table_lines`).
    targets
        Flat indices of the suppressed cells to audit (default: all of them).

    Returns
    -------
    lower, upper : numpy.ndarray
        Flat vectors: for an audited cell the smallest and largest value it can
        take (``upper`` may be ``inf``); for a published cell its value; NaN for
        a suppressed cell that was not audited.

    Notes
    -----
    An attacker knows the published cells ``v``, the relations
    ``sum(x[members]) = x[total]`` of every line and that counts are
    non-negative. With the suppressed cells as unknowns ``x`` this is the
    polyhedron ``{x : A x = b, x >= 0}``; the range of cell ``k`` is
    ``[min x_k, max x_k]`` over it, two linear programs solved with HiGHS
    (``scipy.optimize.linprog``). This is the audit of τ-ARGUS (Hundepool et
    al., *Statistical Disclosure Control*, 2012, §5.3; Giessing 2004). Integer
    counts are not imposed: the LP range contains the integer range, so a cell
    found protected may in rare cases be narrower over the integers.
    """
    values = _counts(counts).ravel()
    mask = _flat_mask(suppressed, values)
    lower = np.where(mask, np.nan, values)
    upper = lower.copy()
    wanted = np.flatnonzero(mask) if targets is None else np.asarray(targets, dtype=np.intp)
    if wanted.size == 0:
        return lower, upper
    if not np.all(mask[wanted]):
        raise OutputError("audit_intervals: every target must be a suppressed cell")
    hidden, a_eq, b_eq = _lp_system(values, mask, lines)
    column = {int(u): j for j, u in enumerate(hidden)}
    for k in wanted:
        lower[k], upper[k] = _lp_range(a_eq, b_eq, column[int(k)])
    return lower, upper


def _flat_mask(suppressed: np.ndarray | Sequence[bool], values: np.ndarray) -> np.ndarray:
    mask = np.array(suppressed, dtype=bool).ravel()
    if mask.shape != values.shape:
        raise OutputError(f"suppression mask has {mask.size} cells; counts have {values.size}")
    return mask


def _lp_system(
    values: np.ndarray, mask: np.ndarray, lines: Sequence[Line]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Suppressed cells and the equalities ``A x = b`` the lines impose on them."""
    hidden = np.flatnonzero(mask)
    column = {int(u): j for j, u in enumerate(hidden)}
    rows: list[np.ndarray] = []
    rhs: list[float] = []
    for line in lines:
        coef = np.zeros(hidden.size)
        known = 0.0
        for i, sign in [(m, 1.0) for m in line.members] + [(line.total, -1.0)]:
            if mask[i]:
                coef[column[i]] += sign
            else:
                known += sign * values[i]
        if coef.any():
            rows.append(coef)
            rhs.append(-known)
    return hidden, np.array(rows).reshape(len(rows), hidden.size), np.array(rhs)


def _lp_range(a_eq: np.ndarray, b_eq: np.ndarray, j: int) -> tuple[float, float]:
    """``min`` and ``max`` of ``x_j`` over ``{x : a_eq x = b_eq, x >= 0}``."""
    from scipy.optimize import linprog

    c = np.zeros(a_eq.shape[1])
    c[j] = 1.0
    ends = []
    for sign in (1.0, -1.0):
        res = linprog(
            sign * c,
            A_eq=a_eq if a_eq.size else None,
            b_eq=b_eq if a_eq.size else None,
            bounds=(0, None),
            method="highs",
        )
        if res.status == 3:  # unbounded: only possible for the maximum
            ends.append(np.inf)
        elif res.status == 0:
            ends.append(float(res.x[j]))
        else:
            raise OutputError(
                f"disclosure audit: the linear program failed ({res.message}); "
                "report this table's shape to the surveytk maintainers"
            )
    return ends[0], ends[1]


def protect_mask(
    counts: np.ndarray | Sequence[float],
    suppressed: np.ndarray | Sequence[bool],
    primary: np.ndarray | Sequence[bool],
    lines: Sequence[Line],
    min_width: float = DEFAULT_MIN_WIDTH,
) -> np.ndarray:
    """Line rule plus audit: suppress more until every primary cell is protected.

    Parameters
    ----------
    counts
        Flat vector of all counts of the table (interior cells and totals).
    suppressed
        Flat boolean vector: the cells suppressed so far (usually primary).
    primary
        Flat boolean vector: the cells that need protection (primary suppression).
    lines
        The table's additive relations (:func:`table_lines`).
    min_width
        Smallest acceptable width of a primary cell's feasible range
        (:func:`audit_intervals`). The default 0.5 means "not exactly
        determined"; a larger value asks for a protection interval.

    Returns
    -------
    numpy.ndarray
        Flat boolean vector, a superset of ``suppressed`` and of
        :func:`complementary_mask`, in which no line has exactly one
        suppressed cell and every primary cell's range is at least
        ``min_width`` wide (or unbounded).

    Notes
    -----
    After :func:`complementary_mask`, the primary cell with the narrowest range
    below ``min_width`` is taken. Each open cell of a line through it is tried:
    it is suppressed, the line rule is re-applied, and the cell's range is
    recomputed. The candidate that brings the range to ``min_width`` (or,
    failing that, widens it most) wins; ties go to the fewest cells suppressed
    in total, then the smallest count, then the first position. If no line
    through the cell has an open cell, every open cell of the table is a
    candidate. Repeat until no primary cell is exposed (greedy, after the
    audit-and-repair loop of τ-ARGUS; Hundepool et al. 2012, §5.3). It
    terminates because each round suppresses at least one more cell, and with
    everything suppressed nothing is determined.
    """
    width = _check_min_width(min_width)
    values = _counts(counts).ravel()
    need = _flat_mask(primary, values)
    mask = complementary_mask(values, _flat_mask(suppressed, values), lines)
    while True:
        exposed = _most_exposed(values, mask, need, lines, width)
        if exposed is None:
            return mask
        mask = _widen(values, mask, exposed, lines, width)


def _check_min_width(min_width: float) -> float:
    if isinstance(min_width, bool) or not np.isfinite(min_width) or min_width < 0:
        raise OutputError(
            f"disclosure min_width must be a finite number >= 0; got {min_width!r} "
            "(0.5 = a suppressed count must not be exactly determined)"
        )
    return float(min_width)


def _most_exposed(
    values: np.ndarray, mask: np.ndarray, need: np.ndarray, lines: Sequence[Line], width: float
) -> int | None:
    """The protected-for cell with the narrowest feasible range below ``width``, or None."""
    targets = np.flatnonzero(need & mask)
    if targets.size == 0 or width == 0:
        return None
    targets = _uncertified(values, mask, lines, targets, width)
    if targets.size == 0:
        return None
    lower, upper = audit_intervals(values, mask, lines, targets)
    widths = upper[targets] - lower[targets]
    k = int(np.argmin(widths))
    return int(targets[k]) if widths[k] < width else None


def _uncertified(
    values: np.ndarray,
    mask: np.ndarray,
    lines: Sequence[Line],
    targets: np.ndarray,
    width: float,
    max_rounds: int = 6,
) -> np.ndarray:
    """Targets not yet shown to vary by ``width``, after a few cheap screening LPs.

    The true table is a feasible point. Any other feasible point in which a
    target differs from it (or from another feasible point) by ``width`` or
    more proves that target's range at least that wide. Minimising and
    maximising the sum of the remaining targets (over a box, which keeps the
    LP bounded and its points feasible) proves most cells in a few LPs instead
    of two per cell; only the rest need :func:`audit_intervals`.
    """
    from scipy.optimize import linprog

    hidden, a_eq, b_eq = _lp_system(values, mask, lines)
    column = np.searchsorted(hidden, targets)
    seen_lo = values[targets].copy()
    seen_hi = seen_lo.copy()
    box = (0.0, 2.0 * float(values.max(initial=0.0)) + width + 1.0)
    left = np.ones(targets.size, dtype=bool)
    for r in range(max_rounds):
        c = np.zeros(hidden.size)
        c[column[left]] = 1.0 if r % 2 else -1.0
        res = linprog(
            c,
            A_eq=a_eq if a_eq.size else None,
            b_eq=b_eq if a_eq.size else None,
            bounds=box,
            method="highs",
        )
        if res.status != 0:
            break
        point = res.x[column]
        seen_lo = np.minimum(seen_lo, point)
        seen_hi = np.maximum(seen_hi, point)
        still = left & (seen_hi - seen_lo < width)
        if not still.any() or (r % 2 and still.sum() == left.sum()):
            left = still
            break
        left = still
    return np.asarray(targets[left])


def _widen(
    values: np.ndarray, mask: np.ndarray, target: int, lines: Sequence[Line], width: float
) -> np.ndarray:
    """``mask`` with the best extra suppression (and its line-rule complements) for ``target``."""
    near = {
        i
        for line in lines
        if target in (*line.members, line.total)
        for i in (*line.members, line.total)
    }
    candidates = [i for i in sorted(near) if not mask[i]]
    if not candidates:
        candidates = [int(i) for i in np.flatnonzero(~mask)]
    best: tuple[tuple[float, int, float, int], np.ndarray] | None = None
    for i in candidates:
        trial = mask.copy()
        trial[i] = True
        trial = complementary_mask(values, trial, lines)
        lower, upper = audit_intervals(values, trial, lines, [target])
        gained = min(float(upper[target] - lower[target]), width)
        key = (-gained, int(trial.sum()), float(values[i]), i)
        if best is None or key < best[0]:
            best = (key, trial)
    if best is None:  # everything is suppressed already; cannot happen while exposed
        raise OutputError("disclosure audit: no cell left to suppress")
    return best[1]


def suppress_table(
    counts: np.ndarray | Sequence[Sequence[float]],
    threshold: int = DEFAULT_THRESHOLD,
    *,
    complementary: bool = True,
    min_width: float = DEFAULT_MIN_WIDTH,
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
        Apply complementary suppression, line rule and audit (turn off only to
        show what it adds).
    min_width
        Smallest width of a primary cell's feasible range given all published
        numbers (:func:`protect_mask`); 0.5 (default) = not exactly determined,
        0 = line rule only, no audit.

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
        protect_mask(flat, primary, primary, table_lines(n_rows, n_cols), min_width)
        if complementary
        else primary.copy()
    )
    return _split(mask, primary, n_rows, n_cols, threshold)


def suppress_counts(
    counts: np.ndarray | Sequence[float],
    threshold: int = DEFAULT_THRESHOLD,
    *,
    complementary: bool = True,
    min_width: float = DEFAULT_MIN_WIDTH,
) -> Suppression:
    """Suppression of a one-way table (a row of counts with its total).

    The result is that of :func:`suppress_table` on a 1 × C table:
    ``cells[0]`` are the level cells, ``row_totals[0]`` the table total. The
    audit matters here too: two suppressed zeros sum to a published 0, so
    both are determined, and a third cell is suppressed.
    """
    arr = _counts(counts)
    if arr.ndim != 1:
        raise OutputError(f"suppress_counts needs a vector of counts; got {arr.ndim} dimensions")
    n = arr.size
    flat = np.concatenate([arr, [arr.sum()]])
    primary = primary_mask(flat, threshold)
    mask = (
        protect_mask(flat, primary, primary, [Line(tuple(range(n)), n)], min_width)
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


def count_text(n: int, threshold: int = DEFAULT_THRESHOLD) -> str:
    """A count for notes and messages: ``n`` (``1,234``), or ``fewer than {threshold}``.

    Counts of respondents under the disclosure threshold never appear in any output.
    """
    return f"fewer than {threshold}" if 0 < n < threshold else f"{n:,}"


def counts_text(counts: Mapping[str, int], threshold: int = DEFAULT_THRESHOLD) -> str:
    """``name: count`` pairs for notes (``age: fewer than 10, total: 1,234``); zeros left out."""
    return ", ".join(f"{k}: {count_text(int(v), threshold)}" for k, v in counts.items() if v)


def withheld_count(n: int, threshold: int = DEFAULT_THRESHOLD) -> int | str:
    """``n`` for a published JSON field, or ``"fewer than {threshold}"`` under the threshold."""
    return count_text(n, threshold) if 0 < n < threshold else int(n)


def withhold_counts(counts: Mapping[str, int], threshold: int = DEFAULT_THRESHOLD
                    ) -> dict[str, int | str]:
    """:func:`withheld_count` of each value (``dropped``, ``excluded`` of a manifest)."""
    return {k: withheld_count(int(v), threshold) for k, v in counts.items()}


def suppression_note(threshold: int) -> str:
    """The note printed below a table with suppressed cells."""
    return (
        f"{SUPPRESSED_MARKER} suppressed: fewer than {threshold} respondents in the cell, or "
        "suppressed so that a total cannot reveal such a cell (complementary suppression); "
        "shares, standard errors and intervals of those cells are suppressed with them."
    )
