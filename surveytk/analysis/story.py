"""Plain-language reading of a binary model's average marginal effects (for `demo`)."""

from __future__ import annotations

from surveytk.models.results import FitResult
from surveytk.report.term_labels import Labeller, formula_references


def describe_ames(result: FitResult, *, level: float = 0.95) -> list[str]:
    """One line per AME: label, direction, size in percentage points and its interval.

    Effects of numeric variables are per one-unit increase (one year of age,
    1,000 km of distance); of yes/no ones, the discrete change; of a level of a
    categorical variable, the difference from its reference level, which the
    line names ("Source: WODC LOCOV (Netherlands) vs IAB-BiB/FReDA-BAMF-SOEP").
    """
    if result.ame is None:
        return []
    labeller = Labeller.from_schema()
    refs = formula_references(result.formula)
    tidy = result.tidy(level)
    ame = tidy[tidy["effect"] == "ame"]
    lines = []
    for term, est, low, high in zip(ame["term"], ame["estimate"], ame["conf_low"],
                                    ame["conf_high"], strict=True):
        pp, lo, hi = 100 * float(est), 100 * float(low), 100 * float(high)
        direction = "higher" if pp > 0 else "lower"
        sure = "" if lo > 0 or hi < 0 else " (interval includes zero)"
        label = labeller.term(term)
        categorical = labeller.categorical(term)
        if categorical is not None and categorical[0] in refs:
            var = categorical[0]
            label = (f"{labeller.variable(var)}: {labeller.level(var, categorical[1])} vs "
                     f"{labeller.level(var, refs[var])}")
        lines.append(f"{label}: {abs(pp):.1f} pp {direction} [{lo:+.1f}, {hi:+.1f}]{sure}")
    return lines
