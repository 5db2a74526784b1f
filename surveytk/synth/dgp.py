"""The data-generating process behind the synthetic sources.

Every synthetic respondent has latent traits, drawn with vectorised numpy from a
source-specific :class:`TraitProfile`:

- ``age`` (years at interview, 18–85, a clipped normal), ``male`` (Bernoulli),
- ``n_children_u18`` (0 with probability falling outside ages 25–49, otherwise 1 + Poisson),
- ``employed`` (logit in male, children, prime age, age 60+, with an intercept solved
  so that the employment share of each source and wave matches the published one),
  and, for those not employed, ``employment_status`` (in education, unemployed,
  inactive, retired; age-dependent),
- ``origin_oblast`` (areas drawn with the source's origin-area shares, oblasts within
  an area by pre-war population) → ``origin_area`` from ``codebooks/lookups/oblasts_ua.csv``,
- ``spouse_child_in_ukraine`` (more often for women, whose husbands mostly stayed),
- arrival month (most in March–May 2022) → ``months_in_host``,
- host country → ``distance_km`` = CEPII ``distw`` (``codebooks/lookups/geodist_ukr.csv``).

The return intention follows an ordered logit. With the linear index

.. math::

    \\eta_i = \\beta_{emp} employed_i + \\beta_{male} male_i + \\beta_{kids} has\\_children_i
              + \\beta_{age} age_i + \\beta_{dist} distance\\_km_i
              + \\beta_{sc} spouse\\_child\\_in\\_ukraine_i + \\gamma_{origin\\_area(i)},

and :math:`y^*_i = \\eta_i + \\varepsilon_i`, :math:`\\varepsilon_i` standard logistic,
the intention is ``stay`` < ``undecided`` < ``return_someday`` < ``return_soon`` with
:math:`P(Y_i \\le k) = \\mathrm{logit}^{-1}(\\zeta_{s,k} - \\eta_i)`, R ``polr``/``svyolr``'s
convention (Venables & Ripley 2002, ch. 7.3). The coefficients are fixed in
:data:`TRUE_EFFECTS`; the thresholds :math:`\\zeta_{s,k}` are fixed per source and wave,
calibrated so that the marginal shares land near the published ones (SOURCES.md).
Variables a source does not record do not enter its index (SOEP has no
spouse/child-in-Ukraine item, so that term is zero there), so a model fitted on the
harmonised variables is correctly specified. ``months_in_host`` has no effect.
Each wave draws a fresh :math:`\\varepsilon`; persistence over SOEP waves comes from
the persistent traits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from surveytk.synth.label_sets import ORIGIN_AREAS, oblasts

# numpy arrays of float, int and bool (element types left to numpy: mypy cannot follow them)
FloatArray = npt.NDArray[Any]
IntArray = npt.NDArray[Any]
BoolArray = npt.NDArray[Any]

INTENTION_LEVELS = ("stay", "undecided", "return_someday", "return_soon")
STATUS_LEVELS = ("employed", "unemployed", "in_education", "inactive", "retired")

#: Rough pre-war population (millions) used to spread an area's share over its oblasts.
OBLAST_POPULATION: dict[int, float] = {
    1: 1.9, 2: 2.6, 3: 1.0, 4: 1.2, 5: 3.1, 6: 4.1, 7: 1.4, 8: 1.8, 9: 0.9, 10: 2.1,
    11: 2.5, 12: 1.1, 13: 2.4, 14: 1.4, 15: 1.2, 16: 1.7, 17: 1.2, 18: 1.1, 19: 1.0,
    20: 1.25, 21: 1.2, 22: 1.0, 23: 0.9, 24: 1.5, 25: 1.0, 26: 2.95, 27: 0.4,
}  # fmt: skip


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class TrueEffects:
    """The known coefficients of the return-intention index (per unit of the common schema).

    Attributes
    ----------
    employed, male, has_children_u18, spouse_child_in_ukraine
        Logit shifts for the indicator being true (``male``: gender ``male`` vs ``female``).
    age
        Per year of age (younger → lower intention to return).
    distance_km
        Per km of CEPII ``distw`` (farther → lower).
    months_in_host
        Per month since arrival (zero: no effect).
    origin_area
        Shift per origin area; ``centre`` is the reference (0).
    thresholds
        ``"<source>:<wave>"`` → (ζ₁, ζ₂, ζ₃) cut-points between stay | undecided |
        return_someday | return_soon, polr convention; ``inf`` where a source has no
        ``return_soon`` answer (WODC).
    """

    employed: float = -0.45
    male: float = -0.30
    has_children_u18: float = -0.25
    age: float = 0.015
    distance_km: float = -0.0004
    spouse_child_in_ukraine: float = 0.60
    months_in_host: float = 0.0
    origin_area: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {
                "occupied": -0.50,
                "frontline": -0.10,
                "kyiv": 0.30,
                "lviv": 0.45,
                "west": 0.35,
                "centre": 0.0,
            }
        )
    )
    thresholds: Mapping[str, tuple[float, float, float]] = field(
        default_factory=lambda: _frozen(
            {
                "soep_ukr:2022": (-1.4473, -0.2393, 3.5966),
                "soep_ukr:2023": (-1.1566, -0.0019, 3.5806),
                "soep_ukr:2024": (-0.9599, 0.1532, 3.5677),
                "unhcr_ris:R5": (-2.2945, -0.7495, 2.9035),
                "unhcr_ris:R6": (-2.1285, -0.6026, 3.0370),
                "wodc:W1": (-1.4190, 0.8577, float("inf")),
                "fi_moi:2025": (0.5388, 2.5287, 4.6257),
            }
        )
    )

    def coefficients(self) -> dict[str, float]:
        """Slopes by common-schema term name (origin areas as ``origin_area[<level>]``)."""
        out = {
            "employed": self.employed,
            "male": self.male,
            "has_children_u18": self.has_children_u18,
            "age": self.age,
            "distance_km": self.distance_km,
            "spouse_child_in_ukraine": self.spouse_child_in_ukraine,
            "months_in_host": self.months_in_host,
        }
        out.update({f"origin_area[{k}]": v for k, v in self.origin_area.items() if k != "centre"})
        return out


#: The true coefficients of the synthetic data (import this in recovery tests).
TRUE_EFFECTS = TrueEffects()

#: Published (or assumed, marked) shares stay/undecided/return_someday/return_soon.
TARGET_INTENTION_SHARES: dict[str, tuple[float, float, float, float]] = {
    "soep_ukr:2022": (0.26, 0.27, 0.45, 0.02),  # published wave 1
    "soep_ukr:2023": (0.32, 0.27, 0.39, 0.02),  # assumed drift towards staying
    "soep_ukr:2024": (0.37, 0.26, 0.35, 0.02),  # assumed
    "unhcr_ris:R5": (0.11, 0.24, 0.59, 0.06),  # published R5
    "unhcr_ris:R6": (0.13, 0.25, 0.57, 0.05),  # assumed
    "wodc:W1": (0.30, 0.48, 0.22, 0.0),  # published: 22% return / 30% no / 48% doubt
    "fi_moi:2025": (0.67, 0.26, 0.06, 0.01),  # 66% stay (+1% move on), 26%, 6%
}

#: Employment shares per source and wave (published where SOURCES.md gives one).
TARGET_EMPLOYMENT: dict[str, float] = {
    "soep_ukr:2022": 0.10,
    "soep_ukr:2023": 0.18,
    "soep_ukr:2024": 0.26,
    "unhcr_ris:R5": 0.45,
    "unhcr_ris:R6": 0.48,
    "wodc:W1": 0.52,
    "fi_moi:2025": 0.30,
}


@dataclass(frozen=True)
class TraitProfile:
    """How one source's respondents differ (shares, not effects)."""

    p_male: float
    age_mean: float
    age_sd: float
    children_logit: float
    area_shares: tuple[float, float, float, float, float, float]  # order of ORIGIN_AREAS
    p_spouse_child_female: float
    p_spouse_child_male: float


PROFILES: dict[str, TraitProfile] = {
    "soep_ukr": TraitProfile(0.22, 41.0, 14.0, -0.7, (0.22, 0.32, 0.17, 0.04, 0.09, 0.16),
                             0.45, 0.12),
    "unhcr_ris": TraitProfile(0.20, 42.0, 14.5, -0.6, (0.18, 0.30, 0.16, 0.07, 0.13, 0.16),
                              0.48, 0.15),
    # WODC origin shares of the Clingendael report, Tabel 1 (normalised to sum to one).
    "wodc": TraitProfile(0.33, 39.0, 13.0, -0.8, (0.210, 0.313, 0.200, 0.050, 0.100, 0.110),
                         0.42, 0.12),
    "fi_moi": TraitProfile(0.28, 40.0, 13.5, -0.7, (0.28, 0.35, 0.12, 0.04, 0.09, 0.12),
                           0.44, 0.12),
}  # fmt: skip


@dataclass(frozen=True)
class Traits:
    """Latent person traits, one array element per person."""

    age: IntArray
    male: BoolArray
    n_children: IntArray
    origin: IntArray  # SOEP lr3586 code 1..27
    spouse_child: BoolArray
    arrival: IntArray  # months since January 2022 (0 = Jan 2022)
    emp_u: FloatArray  # persistent uniform behind employment
    status_u: FloatArray  # persistent uniform behind the non-employed status

    def __len__(self) -> int:
        return int(self.age.shape[0])


# --------------------------------------------------------------------------- helpers


def expit(x: FloatArray) -> FloatArray:
    """Logistic function, overflow-safe."""
    out: FloatArray = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


def scaled_n(base: int, scale: float, minimum: int = 20) -> int:
    """Sample size at ``scale`` (never below ``minimum``)."""
    return max(minimum, round(base * scale))


def origin_probabilities(area_shares: tuple[float, ...]) -> FloatArray:
    """Probability of each oblast code 1..27: area share spread by pre-war population."""
    obl = oblasts()
    areas = np.array([o.area for o in obl])
    pop = np.array([OBLAST_POPULATION[o.code] for o in obl])
    shares = np.asarray(area_shares, dtype=float)
    shares = shares / shares.sum()
    probs = np.zeros(len(obl))
    for k, area in enumerate(ORIGIN_AREAS):
        mask = areas == area
        probs[mask] = shares[k] * pop[mask] / pop[mask].sum()
    return probs


def area_of(codes: IntArray) -> npt.NDArray[Any]:
    """Origin area of each oblast code."""
    table = np.array([""] + [o.area for o in oblasts()], dtype=object)
    return table[codes].astype(str)


def draw_traits(
    rng: np.random.Generator, n: int, profile: TraitProfile, latest_arrival: int
) -> Traits:
    """Draw ``n`` persons' latent traits (arrivals no later than month ``latest_arrival``)."""
    age = np.clip(np.rint(rng.normal(profile.age_mean, profile.age_sd, n)), 18, 85)
    age = age.astype(np.int64)
    male = rng.random(n) < profile.p_male
    prime = (age >= 25) & (age < 50)
    p_kids = expit(profile.children_logit + 1.6 * prime - 1.8 * (age >= 55))
    has_kids = rng.random(n) < p_kids
    n_children = np.where(has_kids, 1 + rng.poisson(0.5, n), 0).astype(np.int64)
    n_children = np.minimum(n_children, 6)
    origin = 1 + rng.choice(27, size=n, p=origin_probabilities(profile.area_shares))
    p_sc = np.where(male, profile.p_spouse_child_male, profile.p_spouse_child_female)
    spouse_child = rng.random(n) < p_sc
    early = rng.random(n) < 0.6
    first_wave = 2 + rng.integers(0, 3, n)  # March-May 2022
    later = rng.integers(5, max(6, latest_arrival + 1), n)
    arrival = np.minimum(np.where(early, first_wave, later), latest_arrival).astype(np.int64)
    return Traits(
        age=age,
        male=male,
        n_children=n_children,
        origin=origin.astype(np.int64),
        spouse_child=spouse_child,
        arrival=arrival,
        emp_u=rng.random(n),
        status_u=rng.random(n),
    )


def employment_score(age: IntArray, male: BoolArray, has_children: BoolArray) -> FloatArray:
    """Linear employment score without intercept."""
    prime = (age >= 25) & (age < 55)
    score: FloatArray = 0.5 * male - 0.7 * has_children + 0.9 * prime - 1.8 * (age >= 60)
    return score


def solve_intercept(score: FloatArray, target: float) -> float:
    """Intercept α with mean(expit(α + score)) = target (bisection; deterministic)."""
    # scores take few distinct values: bisect on them weighted by their counts
    values, counts = np.unique(np.asarray(score, dtype=float), return_counts=True)
    weights = counts / counts.sum()
    lo, hi = -15.0, 15.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if float(np.dot(weights, expit(mid + values))) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def draw_employed(emp_u: FloatArray, score: FloatArray, target: float) -> BoolArray:
    """Employed iff the persistent uniform lies below the calibrated probability.

    A person's uniform is fixed over waves, so a rising employment rate keeps the
    employed employed (monotone coupling).
    """
    alpha = solve_intercept(score, target)
    out: BoolArray = emp_u < expit(alpha + score)
    return out


def draw_status(status_u: FloatArray, age: IntArray, employed: BoolArray) -> npt.NDArray[Any]:
    """Employment status (one of :data:`STATUS_LEVELS`) with age-dependent shares."""
    p_retired = np.where(age >= 60, 0.75, 0.0)
    p_educ = np.where(age < 25, 0.5, np.where(age < 35, 0.12, 0.03))
    p_unemp = (1.0 - p_retired - p_educ) * 0.55
    edges1 = p_retired
    edges2 = edges1 + p_educ
    edges3 = edges2 + p_unemp
    # integer codes into STATUS_LEVELS, then one take: fast on millions of rows
    code = np.where(
        status_u < edges1,
        4,
        np.where(status_u < edges2, 2, np.where(status_u < edges3, 1, 3)),
    )
    code = np.where(employed, 0, code)
    return np.array(STATUS_LEVELS)[code]


def intention_index(
    effects: TrueEffects,
    *,
    employed: BoolArray,
    male: BoolArray,
    has_children: BoolArray,
    age: IntArray | FloatArray,
    distance_km: FloatArray,
    spouse_child: BoolArray,
    origin: IntArray,
) -> FloatArray:
    """The linear index η of the ordered logit (see the module notes)."""
    area_effect = np.array([0.0] + [effects.origin_area[o.area] for o in oblasts()])
    eta: FloatArray = (
        effects.employed * employed
        + effects.male * male
        + effects.has_children_u18 * has_children
        + effects.age * np.asarray(age, dtype=float)
        + effects.distance_km * distance_km
        + effects.spouse_child_in_ukraine * spouse_child
        + area_effect[origin]
    )
    return eta


def draw_intention(
    rng: np.random.Generator, eta: FloatArray, thresholds: tuple[float, float, float]
) -> IntArray:
    """Ordered-logit draw: 0 stay, 1 undecided, 2 return_someday, 3 return_soon."""
    ystar = eta + rng.logistic(0.0, 1.0, eta.shape[0])
    cuts = np.asarray(thresholds, dtype=float)
    out: IntArray = np.searchsorted(cuts, ystar, side="left").astype(np.int64)
    return out


def solve_thresholds(eta: FloatArray, shares: tuple[float, ...]) -> tuple[float, float, float]:
    """Cut-points whose expected marginal shares given ``eta`` equal ``shares``.

    Used to calibrate :data:`TRUE_EFFECTS` once (the constants are then fixed).
    """
    cum = np.cumsum(shares)[:3]
    cuts: list[float] = []
    for c in cum:
        if c >= 1.0 - 1e-12:
            cuts.append(float("inf"))
            continue
        # mean expit(z - eta) = c; z - eta solved by bisection on z
        cuts.append(solve_intercept(-eta, float(c)))
    return (cuts[0], cuts[1], cuts[2])


def month_index(year: IntArray | int, month: IntArray | int) -> IntArray:
    """Months since January 2022 (0-based)."""
    return np.asarray((np.asarray(year) - 2022) * 12 + np.asarray(month) - 1, dtype=np.int64)


def index_to_year_month(index: IntArray) -> tuple[IntArray, IntArray]:
    """Inverse of :func:`month_index`."""
    idx = np.asarray(index, dtype=np.int64)
    return 2022 + idx // 12, idx % 12 + 1


def sprinkle(rng: np.random.Generator, n: int, rate: float) -> BoolArray:
    """Mask of rows that get a missing code (independent Bernoulli at ``rate``)."""
    out: BoolArray = rng.random(n) < rate
    return out


@dataclass(frozen=True)
class Outcomes:
    """Employment and return intention of one cross-section's respondents."""

    has_children: BoolArray
    employed: BoolArray
    intention: IntArray


def draw_outcomes(
    rng: np.random.Generator,
    traits: Traits,
    key: str,
    distance_km: FloatArray,
    effects: TrueEffects = TRUE_EFFECTS,
) -> Outcomes:
    """Employment and the ordered-logit intention of the cross-section ``"<source>:<wave>"``.

    Employment comes from the traits' own uniforms (no draw from ``rng``); the
    intention takes one logistic draw per respondent from ``rng``.
    """
    has_children = traits.n_children > 0
    score = employment_score(traits.age, traits.male, has_children)
    employed = draw_employed(traits.emp_u, score, TARGET_EMPLOYMENT[key])
    eta = intention_index(
        effects, employed=employed, male=traits.male, has_children=has_children,
        age=traits.age, distance_km=distance_km, spouse_child=traits.spouse_child,
        origin=traits.origin,
    )  # fmt: skip
    intention = draw_intention(rng, eta, effects.thresholds[key])
    return Outcomes(has_children=has_children, employed=employed, intention=intention)
