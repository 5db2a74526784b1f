"""Reading a delivery and joining its files onto the base table (without copying).

Joins are positional: for every joined file we keep, per base row, the row
number of its partner (−1 where there is none). Columns are taken through
these indexers only when a crosswalk refers to them, so a 1M-row SOEP
delivery is never merged into one wide frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from surveytk.codebook.book import Codebook
from surveytk.codebook.derivation_signatures import SIGNATURES, is_reference
from surveytk.errors import ProblemList, ReadError
from surveytk.harmonise.column import map_uniques, normalise_text
from surveytk.io.delivered_frame import LabelledFrame, VariableMeta
from surveytk.io.readers import read_file
from surveytk.paths import inside_folder


@dataclass
class Roster:
    """A one-to-many file: its rows and the base row each belongs to."""

    alias: str
    frame: pd.DataFrame
    parent: np.ndarray
    variables: Mapping[str, VariableMeta]
    file: str
    unmatched: str


@dataclass
class JoinStats:
    """Counts of one join, for the audit."""

    rows_in: int
    rows_used: int
    unused_reason: str
    unmatched_left: int = 0
    unmatched_action: str = "error"
    duplicate_keys: int = 0


@dataclass
class Delivery:
    """The files of one delivery, read, with join indexers onto the base table."""

    book: Codebook
    frames: dict[str, LabelledFrame]
    positions: dict[str, np.ndarray] = field(default_factory=dict)
    unmatched_reason: dict[str, str] = field(default_factory=dict)
    rosters: dict[str, Roster] = field(default_factory=dict)
    joins: dict[str, JoinStats] = field(default_factory=dict)
    #: base rows already reported (no partner in a join whose `unmatched` is error)
    reported_rows: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.frames[self.book.crosswalk.base])


def needed_columns(book: Codebook) -> dict[str, list[str]]:
    """Per file alias, the columns the crosswalk refers to (keys, ``from``, derivation inputs)."""
    cw = book.crosswalk
    aliases = list(cw.files)
    need: dict[str, set[str]] = {a: set(spec.keys) for a, spec in cw.files.items()}

    def add(ref: object) -> None:
        if isinstance(ref, str) and is_reference(ref, aliases=aliases) and not ref.startswith("$"):
            head, _, col = ref.partition(".")
            need[head].add(col)

    for alias, spec in cw.files.items():
        if spec.join is not None:
            need[alias].update(spec.join.on)
            for left in spec.join.on.values():
                add(left)
    for vspec in cw.variables.values():
        add(vspec.from_)
        if vspec.derive is None:
            continue
        d = SIGNATURES.get(vspec.derive.function)
        for arg, value in vspec.derive.args.items():
            if isinstance(value, list):
                for item in value:
                    add(item)
            else:
                add(value)
            if d is not None and arg in ("line_column", "value", "column", "exclude_line_column"):
                roster = vspec.derive.args.get("roster")
                if isinstance(roster, str) and roster in need:
                    need[roster].add(str(value))
    return {a: sorted(cols) for a, cols in need.items()}


def read_delivery(book: Codebook, input_dir: str | Path) -> dict[str, LabelledFrame]:
    """Read every file of the crosswalk from ``input_dir`` (only the columns it uses).

    File names are matched case-insensitively (:func:`delivered_path`).

    Raises
    ------
    ReadError
        Listing every missing file at once, an ambiguous name with its candidates,
        or the reader's error for a bad file.
    """
    base = Path(input_dir)
    cw = book.crosswalk
    paths: dict[str, Path] = {}
    absent: list[str] = []
    for alias, spec in cw.files.items():
        found = delivered_path(base, spec.path)
        if found is not None:
            # a symbolic link in the delivery may not lead out of it
            inside_folder(base, str(found.relative_to(base)), what=f"{book.path.name}: file",
                          error=ReadError, subfolders=True)
        if found is None:
            absent.append(str(base / spec.path))
        else:
            paths[alias] = found
    if absent:
        raise ReadError(
            f"missing file(s) {', '.join(absent)} named in {book.path.name}; check --input-dir "
            "or the `files` section of the codebook",
            file=absent[0],
        )
    need = needed_columns(book)
    frames: dict[str, LabelledFrame] = {}
    for alias, spec in cw.files.items():
        path = paths[alias]
        try:
            frames[alias] = read_file(path, encoding=spec.encoding, format=spec.format,
                                      sheet=spec.sheet, columns=need[alias])
        except ReadError as exc:
            if exc.reason != "unknown_column":
                raise
            # read everything so that every absent variable is reported together
            frames[alias] = read_file(path, encoding=spec.encoding, format=spec.format,
                                      sheet=spec.sheet)
    return frames


def delivered_path(base: Path, name: str) -> Path | None:
    """The delivered file ``name`` under ``base``, each path part matched case-insensitively.

    An exact match wins; otherwise the one entry whose name equals ``name``'s part up
    to case (``ris_R6_households.csv`` for ``ris_r6_households.csv``). ``None`` if
    there is none.

    Raises
    ------
    ReadError
        Several entries match up to case and none exactly; the message lists them.
    """
    current = base
    for part in Path(name).parts:
        exact = current / part
        if exact.exists():
            current = exact
            continue
        if not current.is_dir():
            return None
        folded = part.casefold()
        candidates = sorted(p for p in current.iterdir() if p.name.casefold() == folded)
        if not candidates:
            return None
        if len(candidates) > 1:
            shown = ", ".join(p.name for p in candidates)
            raise ReadError(
                f"{current}: {len(candidates)} files match {part!r} up to case ({shown}); "
                "keep one, or name it exactly in the `files` section of the codebook",
                file=str(current / part),
                reason="ambiguous_file",
            )
        current = candidates[0]
    return current if current.is_file() else None


def _key_array(values: pd.Series) -> np.ndarray:
    """Join keys in comparison form: int64 or float64 for numbers, normalised text otherwise."""
    if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans:
        return values.to_numpy(dtype=np.int64)
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    return map_uniques(values, normalise_text)


def _int_codes(col: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Integral numbers as int64 with a missing mask, or ``None`` if not all integral."""
    if col.dtype.kind in "iu":
        return col.astype(np.int64, copy=False), np.zeros(len(col), dtype=bool)
    if col.dtype.kind != "f":
        return None
    miss = np.isnan(col)
    ints = np.where(miss, 0, col).astype(np.int64)
    if (ints != np.where(miss, 0, col)).any():
        return None
    return ints, miss


def _key_codes(lcol: np.ndarray, rcol: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Non-negative int codes of one key column on both sides (−1 = missing) and their range.

    Integral numbers are offset by their minimum (no hashing); anything else is
    factorised jointly.
    """
    lint, rint = _int_codes(lcol), _int_codes(rcol)
    if lint is not None and rint is not None:
        (lv, lmiss), (rv, rmiss) = lint, rint
        present = [v if not m.any() else v[~m] for v, m in ((lv, lmiss), (rv, rmiss))]
        present = [v for v in present if len(v)]
        if not present:
            return np.full(len(lv), -1), np.full(len(rv), -1), 1
        lo = min(int(v.min()) for v in present)
        hi = max(int(v.max()) for v in present)
        if hi - lo < 2**40:
            lc = lv - lo
            rc = rv - lo
            lc[lmiss] = -1
            rc[rmiss] = -1
            return lc, rc, hi - lo + 2
    codes, uniques = pd.factorize(np.concatenate([lcol, rcol]), use_na_sentinel=True)
    return codes[: len(lcol)], codes[len(lcol):], len(uniques) + 1


def match_unique(keys: np.ndarray, probe: np.ndarray) -> tuple[np.ndarray, int]:
    """Row of ``keys`` equal to each ``probe`` (−1 if none) and the number of repeated keys.

    Negative keys (missing) never match. Sort-based: no hash table over millions of rows.
    """
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    valid = ordered >= 0
    repeated = int(((ordered[1:] == ordered[:-1]) & valid[1:]).sum()) if len(ordered) else 0
    if not len(ordered):
        return np.full(len(probe), -1, dtype=np.int64), 0
    at = np.minimum(np.searchsorted(ordered, probe), len(ordered) - 1)
    hit = (ordered[at] == probe) & (probe >= 0)
    return np.where(hit, order[at], -1).astype(np.int64), repeated


def combine_keys(left: Sequence[np.ndarray], right: Sequence[np.ndarray]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """One int64 key per row for (possibly several) key columns, comparable across sides.

    Each key column is factorised jointly over both sides and the codes are combined
    positionally; a row with a missing key gets −1 (left) or −2 (right) and never matches.
    """
    n_left = len(left[0])
    lkey = np.zeros(n_left, dtype=np.int64)
    rkey = np.zeros(len(right[0]), dtype=np.int64)
    lmiss = np.zeros(n_left, dtype=bool)
    rmiss = np.zeros(len(right[0]), dtype=bool)
    for lcol, rcol in zip(left, right, strict=True):
        lc, rc, width = _key_codes(lcol, rcol)
        np.logical_or(lmiss, lc < 0, out=lmiss)
        np.logical_or(rmiss, rc < 0, out=rmiss)
        if lkey.max(initial=0) > (2**62) // width:
            # too many combinations for int64: renumber what we have so far
            both, _ = pd.factorize(np.concatenate([lkey, rkey]))
            lkey, rkey = both[:n_left].astype(np.int64), both[n_left:].astype(np.int64)
        lkey = lkey * width + lc
        rkey = rkey * width + rc
    lkey[lmiss] = -1
    rkey[rmiss] = -2
    return lkey, rkey


def take(values: pd.Series, pos: np.ndarray | None) -> pd.Series:
    """``values`` at rows ``pos`` (−1 gives NA), on a fresh RangeIndex."""
    if pos is None:
        return values.reset_index(drop=True)
    taken = pd.api.extensions.take(values.array, pos, allow_fill=True)
    return pd.Series(taken, name=values.name)


def assemble(book: Codebook, frames: dict[str, LabelledFrame], problems: ProblemList) -> Delivery:
    """Build the join indexers; unmatched and duplicate keys become problems or reasons."""
    cw = book.crosswalk
    dl = Delivery(book=book, frames=frames)
    base_frame = frames[cw.base]
    dl.joins[cw.base] = JoinStats(rows_in=len(base_frame), rows_used=len(base_frame),
                                  unused_reason="")
    for alias, spec in cw.files.items():
        join = spec.join
        if join is None:
            continue
        right = frames[alias]
        absent = [c for c in join.on if c not in right.data.columns]
        left_absent = [ref for ref in join.on.values() if
                       ref.partition(".")[2] not in frames[ref.partition(".")[0]].data.columns]
        if absent or left_absent:
            problems.add(
                f"{right.file.path}: join keys {absent + left_absent} not found; fix `join.on` "
                f"of {alias} in {book.where('files', alias, 'join')}",
                file=right.file.path,
            )
            _placeholder(dl, alias)
            dl.joins[alias] = JoinStats(rows_in=len(right), rows_used=0,
                                        unused_reason=join.unused_reason)
            continue
        left_keys = [_key_array(_left_column(dl, ref)) for ref in join.on.values()]
        right_keys = [_key_array(right.data[c].reset_index(drop=True)) for c in join.on]
        if join.many:
            _join_many(dl, alias, left_keys, right_keys, problems)
        else:
            _join_one(dl, alias, left_keys, right_keys, problems)
    return dl


def _placeholder(dl: Delivery, alias: str) -> None:
    """A join that could not be made (already reported): no partner for any row."""
    spec = dl.book.crosswalk.files[alias]
    lf = dl.frames[alias]
    if spec.join is not None and spec.join.many:
        dl.rosters[alias] = Roster(alias=alias, frame=lf.data.reset_index(drop=True),
                                   parent=np.full(len(lf), -1, dtype=np.int64),
                                   variables=lf.variables, file=lf.file.path,
                                   unmatched="not_asked")
    else:
        dl.positions[alias] = np.full(dl.n, -1, dtype=np.int64)
        dl.unmatched_reason[alias] = "not_asked"


def _left_column(dl: Delivery, ref: str) -> pd.Series:
    head, _, col = ref.partition(".")
    return take(dl.frames[head].data[col], dl.positions.get(head))


def _join_one(dl: Delivery, alias: str, left: list[np.ndarray], right: list[np.ndarray],
              problems: ProblemList) -> None:
    book = dl.book
    spec = book.crosswalk.files[alias]
    assert spec.join is not None
    rframe = dl.frames[alias]
    lkey, rkey = combine_keys(left, right)
    stats = JoinStats(rows_in=len(rframe), rows_used=0, unused_reason=spec.join.unused_reason,
                      unmatched_action=spec.join.unmatched)
    pos, repeated = match_unique(rkey, lkey)
    if repeated:
        stats.duplicate_keys = repeated
        problems.add(
            f"{rframe.file.path}: {stats.duplicate_keys} rows repeat the key "
            f"{list(spec.join.on)} of {alias}; the file must have one row per key",
            file=rframe.file.path,
        )
        _placeholder(dl, alias)
        dl.joins[alias] = stats
        return
    known = np.ones(len(pos), dtype=bool)
    for arr in left:
        known &= ~pd.isna(arr)
    unmatched = (pos < 0) & known
    stats.unmatched_left = int(unmatched.sum())
    used = np.zeros(len(rframe), dtype=bool)
    used[pos[pos >= 0]] = True
    stats.rows_used = int(used.sum())
    if stats.unmatched_left and spec.join.unmatched == "error":
        if dl.reported_rows is None:
            dl.reported_rows = np.zeros(dl.n, dtype=bool)
        dl.reported_rows |= unmatched
        problems.add(
            f"{rframe.file.path}: {stats.unmatched_left} rows of {book.crosswalk.base} have no "
            f"partner in {alias} on {list(spec.join.on)}; fix the files or set "
            f"`join.unmatched` to a missing reason in {book.where('files', alias, 'join')}",
            file=rframe.file.path,
        )
    dl.positions[alias] = pos
    dl.unmatched_reason[alias] = (
        "not_asked" if spec.join.unmatched == "error" else spec.join.unmatched
    )
    dl.joins[alias] = stats


def _join_many(dl: Delivery, alias: str, left: list[np.ndarray], right: list[np.ndarray],
               problems: ProblemList) -> None:
    book = dl.book
    spec = book.crosswalk.files[alias]
    assert spec.join is not None
    rframe = dl.frames[alias]
    lkey, rkey = combine_keys(left, right)
    stats = JoinStats(rows_in=len(rframe), rows_used=0, unused_reason=spec.join.unused_reason,
                      unmatched_action=spec.join.unmatched)
    parent, repeated = match_unique(lkey, rkey)
    if repeated:
        problems.add(
            f"{rframe.file.path}: the key {list(spec.join.on.values())} is not unique in "
            f"{book.crosswalk.base}; a one-to-many join needs one base row per key",
            file=rframe.file.path,
        )
        _placeholder(dl, alias)
        dl.joins[alias] = stats
        return
    stats.rows_used = int((parent >= 0).sum())
    has_members = np.zeros(len(dl.frames[book.crosswalk.base]), dtype=bool)
    has_members[parent[parent >= 0]] = True
    stats.unmatched_left = int((~has_members).sum())
    dl.rosters[alias] = Roster(
        alias=alias,
        frame=rframe.data.reset_index(drop=True),
        parent=parent,
        variables=rframe.variables,
        file=rframe.file.path,
        unmatched=spec.join.unmatched,
    )
    dl.joins[alias] = stats
