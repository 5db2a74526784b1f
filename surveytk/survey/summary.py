"""What a design-based estimate rests on: the sample, the design and the variance
estimator, as one frozen record (:class:`DesignSummary`).

:meth:`surveytk.survey.design.SurveyDesign.summary` makes it; fits, tabulations and
descriptive estimates carry it into their results, tables and JSON files.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DesignSummary:
    """How the variance was estimated, and on what."""

    n_obs: int
    sum_weights: float
    n_psu: int | None = None
    n_strata: int | None = None
    df_design: float | None = None
    variance: str = "linearized"  # "linearized", "replicate:bootstrap", "replicate:jk1", ...
    weights: str | None = None
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    lonely_psu: str | None = None
    n_replicates: int | None = None
    subpop: str | None = None
    cluster: str | None = None  # panel models: clustering variable(s)
    calibration: str | None = None  # how the weights were calibrated, with the g-weight range

    def describe(self) -> str:
        """One sentence naming the variance estimator, for table notes."""
        if self.variance.startswith("replicate"):
            kind = self.variance.split(":", 1)[-1]
            text = f"Replicate-weight variance ({kind}, {self.n_replicates} replicates)"
        elif self.variance == "linearized":
            text = "Linearised (Taylor series) design-based variance"
        else:
            text = f"Variance: {self.variance}"
        parts = []
        if self.strata:
            parts.append(f"strata {self.strata}")
        if self.psu:
            parts.append(f"PSUs {self.psu}")
        if self.cluster:
            parts.append(f"clustered by {self.cluster}")
        if self.fpc:
            parts.append(f"finite population correction {self.fpc}")
        if self.weights:
            parts.append(f"weights {self.weights}")
        if parts:
            text += "; " + ", ".join(parts)
        if self.calibration:
            text += "; " + self.calibration
        return text + "."
