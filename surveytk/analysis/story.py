"""Plain-language reading of a binary model's average marginal effects (for `demo`)."""

from __future__ import annotations

from surveytk.models.results import FitResult


def describe_ames(result: FitResult, *, level: float = 0.95) -> list[str]:
    """One line per AME: label, direction, size in percentage points and its interval.

    Effects of numeric variables are per one-unit increase (one year of age,
    1,000 km of distance); of yes/no and categorical ones, the discrete change.
    """
    from surveytk.report.labels import Labeller

    if result.ame is None:
        return []
    labeller = Labeller.from_schema()
    tidy = result.tidy(level)
    ame = tidy[tidy["effect"] == "ame"]
    lines = []
    for term, est, low, high in zip(ame["term"], ame["estimate"], ame["conf_low"],
                                    ame["conf_high"], strict=True):
        pp, lo, hi = 100 * float(est), 100 * float(low), 100 * float(high)
        direction = "higher" if pp > 0 else "lower"
        sure = "" if lo > 0 or hi < 0 else " (interval includes zero)"
        lines.append(f"{labeller.term(term)}: {abs(pp):.1f} pp {direction} "
                     f"[{lo:+.1f}, {hi:+.1f}]{sure}")
    return lines

