"""Plain-language reading of a binary model's average marginal effects (for `demo`)."""

from __future__ import annotations

from surveytk.models.results import FitResult


def describe_ames(result: FitResult, *, level: float = 0.95) -> list[str]:
    """One line per AME: direction, size in percentage points and its interval."""
    if result.ame is None:
        return []
    lines = []
    tidy = result.tidy(level)
    for row in tidy[tidy["effect"] == "ame"].itertuples():
        pp, lo, hi = 100 * row.estimate, 100 * row.conf_low, 100 * row.conf_high
        direction = "higher" if pp > 0 else "lower"
        sure = "" if lo > 0 or hi < 0 else " (interval includes zero)"
        lines.append(f"{row.term}: {abs(pp):.1f} pp {direction} "
                     f"[{lo:+.1f}, {hi:+.1f}]{sure}")
    return lines
