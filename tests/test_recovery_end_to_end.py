"""End to end: synthetic files → harmonise → design-based ordered logit recovers the
data-generating process's known coefficients (docs/synthetic.md).

The generator draws the four-level intention from an ordered logit on exactly the
harmonised variables, so the model below is correctly specified: every coefficient
must lie within 4 standard errors of its true value (a failure rate of ~6e-5 per
coefficient if the estimator and its variance are right).
"""

from __future__ import annotations

import pandas as pd
import pytest

from surveytk.harmonise import harmonise
from surveytk.models import fit
from surveytk.synth import write_synthetic_sources
from surveytk.synth.dgp import TRUE_EFFECTS

FORMULA = (
    'return_intention ~ employed + C(gender, ref="female") + has_children_u18 + age'
    ' + distance_km + spouse_child_in_ukraine + C(origin_area, ref="centre")'
)


@pytest.fixture(scope="module")
def unhcr(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("synth")
    write_synthetic_sources(out, seed=11, scale=2.0, sources=["unhcr_ris"])
    return harmonise("unhcr_ris_r6", out / "unhcr_ris").table


def test_ordered_logit_recovers_true_effects(unhcr: pd.DataFrame) -> None:
    res = fit(unhcr, model="ologit", formula=FORMULA, weights="weight", strata="stratum",
              psu="psu")
    est, se = res.params, res.std_errors
    truth = {
        "employed": TRUE_EFFECTS.employed,
        "gender[male]": TRUE_EFFECTS.male,
        "has_children_u18": TRUE_EFFECTS.has_children_u18,
        "age": TRUE_EFFECTS.age,
        "distance_km": TRUE_EFFECTS.distance_km,
        "spouse_child_in_ukraine": TRUE_EFFECTS.spouse_child_in_ukraine,
    }
    truth.update({f"origin_area[{k}]": v for k, v in TRUE_EFFECTS.origin_area.items()
                  if k != "centre"})
    for term, value in truth.items():
        z = (est[term] - value) / se[term]
        assert abs(z) < 4, f"{term}: estimate {est[term]:.4f} (se {se[term]:.4f}), truth {value}"
    # and the thresholds of round 6 (polr convention), same tolerance
    for name, value in zip(("stay|undecided", "undecided|return_someday",
                            "return_someday|return_soon"),
                           TRUE_EFFECTS.thresholds["unhcr_ris:R6"], strict=True):
        z = (est[name] - value) / se[name]
        assert abs(z) < 4, f"{name}: {est[name]:.3f} vs {value}"
