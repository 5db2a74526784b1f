"""The names of a fit's sample and design counts, shared by the console and the tables.

One spelling everywhere: a reader who sees "Design df 250" on the console finds
"Design df" with 250 in the table, and the residual degrees of freedom of the t
reference (design df + 1 − k, R ``summary.svyglm``) under their own name.
"""

from __future__ import annotations

N_LABEL = "N"
SUM_WEIGHTS_LABEL = "Sum of weights"
PSU_LABEL = "PSUs"
STRATA_LABEL = "Strata"
DESIGN_DF_LABEL = "Design df"
RESIDUAL_DF_LABEL = "Residual df"


def _number(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.6g}"


def sample_line(
    n_obs: int, sum_weights: float, df_design: float | None, df_resid: float | None
) -> str:
    """``N = 15,880; Sum of weights = 15,863.5; Design df = 5,109; Residual df = 5,101``."""
    parts = [f"{N_LABEL} = {n_obs:,d}", f"{SUM_WEIGHTS_LABEL} = {sum_weights:,.1f}"]
    if df_design is not None:
        parts.append(f"{DESIGN_DF_LABEL} = {_number(df_design)}")
    if df_resid is not None:
        parts.append(f"{RESIDUAL_DF_LABEL} = {_number(df_resid)}")
    return "; ".join(parts)
