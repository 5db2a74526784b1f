"""What a fitted model can still do: predictions and margins from a :class:`FitResult`.

A family hands its predictor, model frame, coefficients, weights, kernel fit
and design to :func:`surveytk.models.effects.model_effects`; that call also
:func:`record`\\ s them as a :class:`FitContext` when the Python API asks for
it (:func:`capturing`), and :func:`surveytk.models.api.fit` keeps the context
on the result. :meth:`FitResult.predict` and :meth:`FitResult.margins` then run
here, on the machinery of :mod:`surveytk.models.margins` (nothing is refitted).

A result read back from a file holds no context: it has the numbers, not the
data, so it cannot predict.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from surveytk.errors import ModelError
from surveytk.models.margins import (
    Predict,
    Unconditional,
    average_marginal_effects,
    check_vce,
    predict_rows,
    predictive_margins,
    unconditional_of,
)
from surveytk.survey.distributions import interval_multiplier, two_sided_pvalues

if TYPE_CHECKING:
    from surveytk.models.formula import ModelFrame
    from surveytk.models.kernel import KernelFit
    from surveytk.models.options import FitOptions
    from surveytk.models.results import EffectBlock

#: ``contrast=`` choices of :meth:`FitContext.margins`
CONTRASTS: tuple[str, ...] = ("reference", "pairwise")


@dataclass(frozen=True, eq=False)
class FitContext:
    """Everything a fitted model needs to predict: not saved with the result."""

    options: FitOptions
    frame: ModelFrame
    predict: Predict
    coef: EffectBlock
    weights: np.ndarray  # sampling weights of the estimation rows (frame order)
    kf: KernelFit | None
    design: Any
    df: float | None
    data: pd.DataFrame | None = None  # the table the model was fitted on (for ``by=``)

    def predictions(
        self,
        newdata: pd.DataFrame | None = None,
        *,
        at: Mapping[str, Any] | None = None,
        conf_level: float = 0.95,
    ) -> pd.DataFrame:
        """Predictions (response scale) with standard errors; see :meth:`FitResult.predict`."""
        _check_level(conf_level)
        frame = self.frame
        if newdata is not None and not isinstance(newdata, pd.DataFrame):
            raise ModelError(f"newdata: expecting a pandas DataFrame; got {type(newdata).__name__}")
        if newdata is None:
            positions = estimation_rows(self)
            rows = pd.Index(np.arange(frame.n_obs) if positions is None else positions, name="row")
        else:
            rows = newdata.index
        values = at_values(frame, at) if at is not None else {}
        names = list(values)
        predictor = _predictor_for(self, newdata)
        pieces = []
        for combo in itertools.product(*(values[n] for n in names)):
            overrides = {n: frame.encode(n, v) for n, v in zip(names, combo, strict=True)}
            X = frame.transform(newdata, overrides or None)
            P, se = predict_rows(predictor, self.coef.estimates, self.coef.cov, X)
            J = P.shape[1]
            for j, y in enumerate(_y_labels(frame, J)):
                part = pd.DataFrame({"row": rows})
                for n, v in zip(names, combo, strict=True):
                    part[n] = v
                if J > 1:
                    part["y_level"] = y
                pieces.append((part, P[:, j], se[:, j]))
        table = pd.concat([p for p, _, _ in pieces], ignore_index=True)
        est = np.concatenate([e for _, e, _ in pieces])
        se_all = np.concatenate([s for _, _, s in pieces])
        out = _with_stats(table, est, se_all, self.df, conf_level)
        return out.drop(columns=["statistic", "p_value"])

    def margins(
        self,
        variables: str | Sequence[str] | None = None,
        *,
        at: Mapping[str, Any] | None = None,
        by: str | None = None,
        vce: str = "conditional",
        discrete: str | Sequence[str] = (),
        contrast: str | None = None,
        conf_level: float = 0.95,
    ) -> pd.DataFrame:
        """AMEs or predictive margins (and their contrasts); see :meth:`FitResult.margins`."""
        _check_level(conf_level)
        frame = self.frame
        if variables is not None and at is not None:
            raise ModelError(
                "margins: give variables= (average marginal effects) or at= (predictive "
                "margins), not both"
            )
        if contrast is not None and at is None:
            raise ModelError("contrast= compares predictive margins; give at= too")
        names = [variables] if isinstance(variables, str) else variables
        discrete = [discrete] if isinstance(discrete, str) else list(discrete)
        for name in [*(names or ()), *discrete]:
            _check_variable(frame, name, "variables" if name not in discrete else "discrete")
        unc = _unconditional(self, vce)
        values = at_values(frame, at) if at is not None else None
        if values is None and vce == "svypredmeans":
            raise ModelError(
                "vce='svypredmeans' applies to predictive margins (at=); "
                "for AMEs use 'conditional' or 'unconditional'"
            )
        p, V = self.coef.estimates, self.coef.cov
        parts = []
        for level, mask in _groups(self, by):
            w = np.where(mask, self.weights, 0.0)
            if not (w > 0).any():
                continue
            if values is None:
                block = average_marginal_effects(
                    self.predict, p, V, frame, w, variables=names, discrete=discrete,
                    unconditional=unc,
                )  # fmt: skip
                table = pd.DataFrame({"term": block.terms, "y_level": block.y_levels})
                est, cov = block.estimates, block.cov
            else:
                pm = predictive_margins(self.predict, p, V, frame, values, w, unconditional=unc,
                                        vce=vce)  # type: ignore[arg-type]  # fmt: skip
                table, est, cov = pm.grid, pm.estimates, pm.cov
                if contrast is not None:
                    table, L = _contrast_matrix(table, list(values), contrast)
                    est, cov = L @ est, L @ cov @ L.T
            if not any(table["y_level"]):
                table = table.drop(columns="y_level")
            if by is not None:
                table.insert(0, by, level)
            se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
            parts.append(_with_stats(table, est, se, self.df, conf_level))
        if not parts:
            raise ModelError(f"by: no level of {by!r} has rows in the estimation sample")
        return pd.concat(parts, ignore_index=True)


_CAPTURE: ContextVar[list[FitContext] | None] = ContextVar("surveytk_fit_capture", default=None)


def record(context: FitContext) -> None:
    """Keep ``context`` if a :func:`capturing` block is open (otherwise do nothing)."""
    box = _CAPTURE.get()
    if box is not None:
        box.append(context)


@contextmanager
def capturing() -> Iterator[list[FitContext]]:
    """Collect the :class:`FitContext` of the fits run inside the block."""
    box: list[FitContext] = []
    token = _CAPTURE.set(box)
    try:
        yield box
    finally:
        _CAPTURE.reset(token)


# ---- helpers ------------------------------------------------------------------------------


def _hint(name: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(names), n=2, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _check_variable(frame: ModelFrame, name: str, argument: str) -> None:
    names = list(frame.variables)
    if name not in names:
        raise ModelError(
            f"{argument}: {name!r} is not a variable of the model {frame.formula.text!r}"
            f"{_hint(name, names)} (variables: {', '.join(names)})",
            variable=name,
        )


def at_values(frame: ModelFrame, at: Mapping[str, Any]) -> dict[str, list[Any]]:
    """``at`` with every value a list: a scalar is one value; ``None`` every level."""
    if not isinstance(at, Mapping) or not at:
        raise ModelError('at: expecting a mapping of variable → value(s), e.g. {"age": [20, 40]}')
    out: dict[str, list[Any]] = {}
    for name, value in at.items():
        _check_variable(frame, name, "at")
        info = frame.variables[name]
        if value is None:
            if info.kind == "categorical":
                out[name] = list(info.levels)
            elif info.kind == "boolean":
                out[name] = [False, True]
            else:
                raise ModelError(
                    f"at: {name!r} is numeric; give its values, e.g. {{{name!r}: [20, 40, 60]}}",
                    variable=name,
                )
        elif isinstance(value, str) or np.ndim(value) == 0:
            out[name] = [value]
        else:
            out[name] = list(value)
        if not out[name]:
            raise ModelError(f"at: no values for {name!r}", variable=name)
    return out


def _predictor_for(ctx: FitContext, newdata: pd.DataFrame | None) -> Predict:
    """The fit's predictor, with the offset of ``newdata`` for GLMs with an offset."""
    pred = ctx.predict
    if newdata is None:
        return pred
    if getattr(pred, "ybar", None) is not None:
        raise ModelError(
            f"{ctx.options.model}: predictions for new data would need each entity's fixed "
            "effect; predict the estimation sample (newdata=None)"
        )
    if dataclasses.is_dataclass(pred) and hasattr(pred, "offset"):
        col = ctx.options.offset or ctx.options.exposure
        if col is None:
            off = np.zeros(len(newdata))
        else:
            if col not in newdata.columns:
                argument = "offset" if ctx.options.offset else "exposure"
                raise ModelError(
                    f"newdata: no column {col!r}, the model's {argument}=", variable=col
                )
            off = pd.to_numeric(newdata[col], errors="coerce").to_numpy(dtype=np.float64)
            if ctx.options.exposure:
                with np.errstate(divide="ignore", invalid="ignore"):
                    off = np.log(off)
        return dataclasses.replace(pred, offset=off)
    return pred


def _y_labels(frame: ModelFrame, J: int) -> list[str]:
    return [""] if J == 1 else list(frame.y_levels)


def _with_stats(
    table: pd.DataFrame, est: np.ndarray, se: np.ndarray, df: float | None, level: float
) -> pd.DataFrame:
    q = interval_multiplier(level, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    out = table.reset_index(drop=True).copy()
    out["estimate"] = est
    out["std_error"] = se
    out["statistic"] = stat
    out["p_value"] = two_sided_pvalues(stat, df)
    out["conf_low"] = est - q * se
    out["conf_high"] = est + q * se
    return out


def _check_level(conf_level: float) -> None:
    if not 0.0 < float(conf_level) < 1.0:
        raise ModelError(f"conf_level: expecting a number in (0, 1), e.g. 0.95; got {conf_level!r}")


# ---- predict ------------------------------------------------------------------------------


# ---- margins ------------------------------------------------------------------------------


def estimation_rows(ctx: FitContext) -> np.ndarray | None:
    """Positions in the fitted data of the rows the model used (frame order), if known.

    The design's domain when it is the estimation sample (a subpopulation makes
    the model frame a frame of the domain's rows), else the frame's row mask
    when it covers the data; ``None`` when neither lines up.
    """
    n = ctx.frame.n_obs
    data_rows = None if ctx.data is None else len(ctx.data)
    domain = getattr(ctx.design, "domain", None)
    if domain is not None and domain.shape[0] == data_rows and int(domain.sum()) == n:
        return np.flatnonzero(domain)
    mask = ctx.frame.row_mask
    if data_rows is None or mask.shape[0] == data_rows:
        return np.flatnonzero(mask) if int(mask.sum()) == n else None
    return None


def _groups(ctx: FitContext, by: str | None) -> list[tuple[Any, np.ndarray]]:
    """``(level, mask over the estimation rows)`` per level of ``by`` (one group without)."""
    n = ctx.frame.n_obs
    if by is None:
        return [(None, np.ones(n, dtype=bool))]
    data = ctx.data
    rows = estimation_rows(ctx)
    if data is None or rows is None:
        raise ModelError(f"by: the rows of {ctx.options.model} models cannot be matched to "
                         "the data's; fit the model with by= instead")  # fmt: skip
    if by not in data.columns:
        raise ModelError(
            f"by: no column {by!r} in the data{_hint(by, [str(c) for c in data.columns])}",
            variable=by,
        )
    s = data[by].iloc[rows].reset_index(drop=True)
    if isinstance(s.dtype, pd.CategoricalDtype):
        levels = [c for c in s.cat.categories if (s == c).any()]
    else:
        levels = sorted(s.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
    return [(lev, (s == lev).to_numpy(dtype=bool)) for lev in levels]


def _unconditional(ctx: FitContext, vce: str) -> Unconditional | None:
    check_vce(vce)
    if vce == "conditional":
        return None
    unc = unconditional_of(ctx.kf, ctx.design, ctx.frame.n_obs)
    if unc is None:
        raise ModelError(
            f"vce={vce!r} is not available for the {ctx.options.model} model; use vce='conditional'"
        )
    if unc.design.is_replicate:
        raise ModelError(
            f"vce={vce!r} needs a linearised design; with replicate weights use vce='conditional'"
        )
    return unc


def _contrast_matrix(
    table: pd.DataFrame, names: list[str], kind: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """Differences between the margins of each outcome level: later − first, or all pairs."""
    if kind not in CONTRASTS:
        raise ModelError(f"contrast: expecting one of {{{', '.join(CONTRASTS)}}}; got {kind!r}")
    label = table[names].apply(lambda r: ", ".join(f"{n}={r[n]}" for n in names), axis=1)
    ylev = table["y_level"] if "y_level" in table else pd.Series([""] * len(table))
    rows, L = [], []
    for y in dict.fromkeys(ylev):
        idx = np.flatnonzero((ylev == y).to_numpy())
        pairs = (
            [(idx[0], i) for i in idx[1:]]
            if kind == "reference"
            else list(itertools.combinations(idx, 2))
        )
        for lo, hi in pairs:
            vec = np.zeros(len(table))
            vec[hi], vec[lo] = 1.0, -1.0
            L.append(vec)
            rows.append({"contrast": f"{label.iloc[hi]} − {label.iloc[lo]}", "y_level": y})
    if not L:
        raise ModelError("contrast: give at least two values in at= to compare")
    return pd.DataFrame(rows), np.vstack(L)
