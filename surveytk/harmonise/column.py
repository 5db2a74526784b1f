"""A column on its way to the common schema: values plus a missing reason per row.

``reason`` is an ``int8`` array: 0 = valid, ``k`` = ``MISSING_REASONS[k - 1]``.
Raw source columns keep their delivered codes in ``values`` even where a
missing code already set a reason, so a value map can still send a missing
code somewhere else (SOEP −1 "no answer" → ``undecided``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from surveytk.codebook.model import MISSING_REASONS
from surveytk.errors import ProblemList, SurveytkError
from surveytk.io.delivered_frame import VariableMeta

REASON_CODE: dict[str, int] = {r: i + 1 for i, r in enumerate(MISSING_REASONS)}
VALID = 0


def reason_code(reason: str) -> int:
    """The int8 code of a missing reason."""
    return REASON_CODE[reason]


def reason_name(code: int) -> str:
    """The missing reason of an int8 code (``code`` > 0)."""
    return MISSING_REASONS[code - 1]


def normalise_text(value: object) -> str:
    """Label comparison form: Unicode NFC, trimmed, case-folded."""
    return unicodedata.normalize("NFC", str(value)).strip().casefold()


def code_text(code: object) -> str:
    """A source code as text for messages and the audit: ``1.0`` → ``"1"``."""
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code)


def shown_text_values(values: list[object], counts: list[int], threshold: int) -> list[str]:
    """Source values for a message: numbers as codes; a text value only if at least
    ``threshold`` rows hold it (free text typed by a few respondents can identify them),
    the rest summed up as ``N other text values (not shown)``."""
    shown: list[str] = []
    hidden = 0
    for v, n in zip(values, counts, strict=True):
        if isinstance(v, str) and n < threshold:
            hidden += 1
        else:
            shown.append(code_text(v))
    if hidden:
        what = "text value" if hidden == 1 else "text values"
        shown.append(f"{hidden} {what} held by fewer than {threshold} rows each (not shown: "
                     "it may identify a respondent; look it up in the file)")
    return shown


def plain_value(value: object) -> Any:
    """A cell value as a plain JSON type (numpy scalars unwrapped, dates as ISO text)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    return value


def code_key(value: object) -> object:
    """Code comparison form: booleans as is, numbers as float, text normalised.

    So that a codebook's ``1``, a file's ``1.0`` and a label's `` Yes`` / ``yes``
    compare equal where they mean the same code.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return normalise_text(value)


@dataclass
class Col:
    """Values aligned to the base table's rows, with a missing reason per row.

    Attributes
    ----------
    values
        Series on a ``RangeIndex`` of the base table's length.
    reason
        ``int8`` array, 0 where valid.
    origin
        Where it came from (``pl.plj0085_v1``, ``$age``, ``derive:lookup``), for messages.
    meta
        Metadata of the source variable, when it is one.
    file
        Path of the source file, when it is one.
    """

    values: pd.Series
    reason: np.ndarray
    origin: str
    meta: VariableMeta | None = None
    file: str | None = None

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def valid(self) -> np.ndarray:
        """Rows with a valid value (no reason and not NA)."""
        return (self.reason == VALID) & self.values.notna().to_numpy()

    def with_values(self, values: pd.Series | np.ndarray, reason: np.ndarray, origin: str) -> Col:
        """A derived column (no source metadata)."""
        s = values if isinstance(values, pd.Series) else pd.Series(values)
        return Col(values=s.reset_index(drop=True), reason=reason, origin=origin)


def map_uniques(values: pd.Series, func: Callable[[Any], Any]) -> np.ndarray:
    """``func`` applied once per distinct value (vectorised by factorising); NA → None."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    for i, u in enumerate(uniques):
        mapped[i] = func(u)
    mapped[-1] = None
    return mapped[codes]


def to_float(values: pd.Series) -> np.ndarray:
    """Values as a new float64 array; text is parsed once per distinct value."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype="float64", na_value=np.nan).copy()
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = pd.to_numeric(pd.Series(uniques, dtype=object), errors="coerce")
    table = np.append(parsed.to_numpy(dtype="float64", na_value=np.nan), np.nan)
    return table[codes]


def first_reason(*cols: Col) -> np.ndarray:
    """Row-wise first non-zero reason among ``cols`` (0 where all are valid).

    A row with no reason but an NA value in some input gets ``not_asked``.
    """
    n = cols[0].n
    out = np.zeros(n, dtype=np.int8)
    for c in cols:
        r = c.reason.copy()
        na = c.values.isna().to_numpy() & (r == VALID)
        r[na] = REASON_CODE["not_asked"]
        take = (out == VALID) & (r != VALID)
        out[take] = r[take]
    return out


def numeric(col: Col) -> np.ndarray:
    """Values as float64, NaN where not valid."""
    v = col.values
    if pd.api.types.is_numeric_dtype(v.dtype) and not pd.api.types.is_bool_dtype(v.dtype):
        vals = v.to_numpy(dtype="float64", na_value=np.nan).copy()
    else:
        vals = pd.to_numeric(v, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        vals = vals.copy()
    vals[col.reason != VALID] = np.nan
    return vals


def format_id_part(values: pd.Series) -> pd.Series:
    """Ids as text without a decimal part: 90005651.0 → "90005651"; text stays text."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        import pyarrow as pa

        if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans:
            text = pa.array(values.to_numpy(dtype=np.int64)).cast(pa.string())
            return pd.Series(pd.array(text, dtype="string"))
        arr = values.to_numpy(dtype="float64", na_value=np.nan)
        integral = np.isfinite(arr) & (np.floor(arr) == arr)
        if integral.all():
            text = pa.array(arr.astype(np.int64)).cast(pa.string())
            return pd.Series(pd.array(text, dtype="string"))
        out = values.astype("string")
        ints = pd.Series(arr, dtype="float64")[integral].astype(np.int64).astype("string")
        out[integral] = ints
        return out
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        return values
    import pyarrow as pa

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    text = pa.array([str(u).strip() for u in uniques], type=pa.string())
    taken = text.take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.array(taken, dtype="string"))


def raise_problems(problems: ProblemList, error: type[SurveytkError], headline: str) -> None:
    """Raise ``error`` if there are problems: one problem → its own one-line message."""
    if len(problems) == 1:
        p = problems.problems[0]
        raise error(p.message, file=p.file, variable=p.variable, value=p.value, reason=p.reason)
    problems.raise_if_any(error, headline)


def constant_col(n: int, value: object) -> Col:
    """A constant column, stored compactly (one-category categorical for text)."""
    values: pd.Series
    if isinstance(value, str):
        values = pd.Series(pd.Categorical.from_codes(np.zeros(n, dtype=np.int8),
                                                     dtype=pd.CategoricalDtype([value])))
    elif isinstance(value, bool):
        values = pd.Series(pd.array(np.full(n, value), dtype="boolean"))
    elif isinstance(value, int | float):
        values = pd.Series(np.full(n, float(value)))
    else:
        values = pd.Series(np.full(n, value, dtype=object))
    return Col(values=values, reason=np.zeros(n, np.int8), origin="constant")
