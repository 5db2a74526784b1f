"""Tests after a fit: design-based Wald F tests of terms and linear contrasts.

``wald_test(result, "a + b")`` is R ``survey::regTermTest(model, ~a + b)``
(``method = "Wald"``): every model-matrix column of the named terms, tested
jointly. ``contrast(result, "ell - meals")`` is R ``svycontrast``: a linear
combination of coefficients with its design-based standard error.

Both return a :class:`TestRow`, kept on the result and written as tidy rows
(``effect`` = ``wald`` or ``contrast``, ``term`` = the expression).

Term matching (one piece of ``"a + b"``):

- a formula variable (``age``, ``C(area)``) → the columns of its main effect
  (``age``; ``area[b]``, ``area[c]``), not the interactions it enters, as
  R's term labels;
- an interaction ``a:b`` → the columns of that interaction;
- an exact column name (``area[b]``, ``I(age ** 2)``) → that column;
- in a multinomial model, every equation's columns of the term.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from surveytk.errors import ModelError
from surveytk.models.results import EffectBlock
from surveytk.survey.distributions import interval_multiplier, two_sided_pvalues

INTERCEPT = "(Intercept)"


@dataclass(frozen=True)
class TestRow:
    """One test, in the tidy layout (``estimate`` etc. NaN where they do not apply)."""

    effect: str  # "wald" or "contrast"
    term: str
    estimate: float
    std_error: float
    statistic: float
    p_value: float
    conf_low: float
    conf_high: float
    df_num: float
    df_den: float | None

    __test__ = False  # not a pytest class

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _variable(piece: str) -> str:
    """``C(area, ref=b)`` → ``area``; other text unchanged (spaces removed)."""
    p = _squash(piece)
    m = re.fullmatch(r"C\(([^,()]+)(,.*)?\)", p)
    return m.group(1) if m else p


def _column_parts(column: str) -> frozenset[str]:
    """``area[b]:age`` → {``area``, ``age``}; ``I(age ** 2)`` → {``I(age**2)``}."""
    parts = []
    for part in _split_top(column, ":"):
        p = _squash(part)
        parts.append(p.split("[", 1)[0] if "[" in p and not p.startswith("I(") else p)
    return frozenset(parts)


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses and brackets."""
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def term_columns(block: EffectBlock, piece: str) -> list[int]:
    """Indices into ``block`` of the columns a term (or column name) names."""
    p = _squash(piece)
    exact = [i for i, t in enumerate(block.terms) if _squash(t) == p]
    if exact:
        return exact
    want = frozenset(_variable(x) for x in _split_top(piece, ":"))
    return [
        i
        for i, (t, e) in enumerate(zip(block.terms, block.effects, strict=True))
        if e == "coefficient" and t != INTERCEPT and _column_parts(t) == want
    ]


def wald_test(coef: EffectBlock, expression: str, df: float | None) -> TestRow:
    """Design-based Wald test that every coefficient of the listed terms is zero.

    Parameters
    ----------
    coef
        Coefficients and their design-based covariance.
    expression
        Terms joined by ``+``: ``"ell + meals"``, ``"C(stype)"``, ``"age:female"``.
    df
        Denominator degrees of freedom: the result's ``df_resid`` (design df +
        1 − k, R ``svyglm``'s ``df.residual``, which ``regTermTest`` uses by
        default); ``None`` gives the χ² test.

    Notes
    -----
    X² = b' V⁻¹ b over the p tested coefficients; F = X²/p referred to
    F(p, df), or X² to χ²(p) without df (R ``regTermTest(method = "Wald")``;
    Lumley 2010, §5.2.2).
    """
    pieces = [x.strip() for x in _split_top(expression, "+")]
    if not expression.strip() or any(not x for x in pieces):
        raise ModelError(f"--wald {expression!r}: expecting terms joined by +, e.g. 'ell + meals'")
    index: list[int] = []
    for piece in pieces:
        cols = term_columns(coef, piece)
        if not cols:
            raise ModelError(
                f"--wald {expression!r}: {piece!r} is not a term of the model; terms: "
                + ", ".join(dict.fromkeys(t for t in coef.terms if t != INTERCEPT)),
                value=piece,
            )
        index.extend(c for c in cols if c not in index)
    b = coef.estimates[index]
    V = coef.cov[np.ix_(index, index)]
    try:
        chisq = float(b @ np.linalg.solve(V, b))
    except np.linalg.LinAlgError:
        raise ModelError(
            f"--wald {expression!r}: the covariance of the tested coefficients is singular "
            "(too few PSUs for this many coefficients?)"
        ) from None
    p = len(index)
    nan = float("nan")
    if df is None:
        return TestRow(
            "wald",
            expression,
            nan,
            nan,
            chisq,
            float(stats.chi2.sf(chisq, p)),
            nan,
            nan,
            float(p),
            None,
        )
    f = chisq / p
    return TestRow(
        "wald", expression, nan, nan, f, float(stats.f.sf(f, p, df)), nan, nan, float(p), float(df)
    )


_COEF_RE = re.compile(r"^\s*(?:(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)\s*\*\s*)?(.+?)\s*$")


def contrast_weights(coef: EffectBlock, expression: str) -> np.ndarray:
    """The weight vector L of ``"ell - meals"``, ``"2*area[b] - area[c]"``, ``"age + 0.5*female"``.

    In a multinomial model a coefficient is named ``level:term`` (e.g.
    ``stay:age``).
    """
    text = expression.strip()
    if not text:
        raise ModelError("--contrast: empty expression")
    L = np.zeros(len(coef.terms))
    names = [f"{y}:{t}" if y else t for t, y in zip(coef.terms, coef.y_levels, strict=True)]
    squashed = {_squash(n): i for i, n in enumerate(names)}
    signed = _signed_pieces(text)
    for sign, piece in signed:
        m = _COEF_RE.match(piece)
        if m is None or not m.group(2):
            raise ModelError(f"--contrast {expression!r}: cannot read {piece!r}")
        factor = float(m.group(1)) if m.group(1) else 1.0
        name = _squash(m.group(2))
        if name not in squashed:
            raise ModelError(
                f"--contrast {expression!r}: {m.group(2)!r} is not a coefficient; "
                "coefficients: " + ", ".join(names),
                value=m.group(2),
            )
        L[squashed[name]] += sign * factor
    if not np.any(L):
        raise ModelError(f"--contrast {expression!r}: all weights cancel to zero")
    return L


def _signed_pieces(text: str) -> list[tuple[float, str]]:
    """Split at top-level + and − (not inside brackets, not an exponent's sign)."""
    out: list[tuple[float, str]] = []
    depth, cur, sign = 0, "", 1.0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        exponent = i > 1 and text[i - 1] in "eE" and text[i - 2].isdigit()
        if ch in "+-" and depth == 0 and not exponent:
            if cur.strip():
                out.append((sign, cur))
                sign = -1.0 if ch == "-" else 1.0
            elif ch == "-":  # a leading or doubled sign
                sign = -sign
            cur = ""
            continue
        cur += ch
    if cur.strip():
        out.append((sign, cur))
    return out


def contrast(coef: EffectBlock, expression: str, df: float | None, level: float = 0.95) -> TestRow:
    """L'b with SE √(L'VL), t test on ``df`` and interval (R ``svycontrast``)."""
    L = contrast_weights(coef, expression)
    est = float(L @ coef.estimates)
    se = float(np.sqrt(max(float(L @ coef.cov @ L), 0.0)))
    stat = est / se if se > 0 else float("nan")
    p = float(two_sided_pvalues(np.array([stat]), df)[0])
    q = interval_multiplier(level, df)
    return TestRow("contrast", expression, est, se, stat, p, est - q * se, est + q * se, 1.0, df)


def run_tests(
    coef: EffectBlock, df: float | None, wald: tuple[str, ...], contrasts: tuple[str, ...]
) -> tuple[TestRow, ...]:
    """Every ``--wald`` and ``--contrast`` of the options, in the order given."""
    rows = [wald_test(coef, w, df) for w in wald]
    rows.extend(contrast(coef, c, df) for c in contrasts)
    return tuple(rows)
