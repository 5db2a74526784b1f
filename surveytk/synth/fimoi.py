"""Synthetic Finnish Ministry of the Interior survey 2025: one SPSS file, English labels.

An online convenience sample (no weights, no design). Age is asked in bands (``q2``),
the response date is a string "DD.MM.YYYY", and 99 "No answer" is an ordinary
labelled code on every item, not a declared user-missing value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from surveytk.io.writers import write_sav
from surveytk.synth import dgp
from surveytk.synth import label_sets as L
from surveytk.synth.truth import TruthColumns, build_truth, oblast_area, oblast_iso

SOURCE = "fi_moi"
FOLDER = "fi_moi"
FILE = "fi_moi_2025.sav"
WAVE = "2025"
N = 2_085
FIRST_DAY = np.datetime64("2025-07-01")
N_DAYS = 62
NO_ANSWER = 99
BAND_EDGES = (25, 35, 45, 55, 65)  # q2 = 1 + number of edges <= age
BAND_MIDPOINTS = {1: 21, 2: 30, 3: 40, 4: 50, 5: 60, 6: 70}
P_MOVE_ON = 0.015  # share of would-be stayers who plan to move to another country
Q15_STATUS = {1: "employed", 2: "employed", 3: "employed", 4: "in_education", 5: "unemployed",
              6: "inactive", 7: "retired", 8: "inactive"}  # fmt: skip
REASON_99 = "dont_know"


@dataclass(frozen=True)
class FiDraw:
    """The file's table and the truth."""

    table: pd.DataFrame
    truth: pd.DataFrame | None


def _no_answer(rng: np.random.Generator, codes: np.ndarray, rate: float) -> np.ndarray:
    return np.where(dgp.sprinkle(rng, codes.shape[0], rate), NO_ANSWER, codes)


def _q15(rng: np.random.Generator, status: np.ndarray, female_parent: np.ndarray) -> np.ndarray:
    u = rng.random(status.shape[0])
    return np.select(
        [
            (status == "employed") & (u < 0.6),
            (status == "employed") & (u < 0.85),
            status == "employed",
            status == "in_education",
            status == "unemployed",
            (status == "inactive") & female_parent & (u < 0.5),
            status == "retired",
        ],
        [1, 2, 3, 4, 5, 6, 7],
        8,
    )


def simulate(rng: np.random.Generator, scale: float, *, with_truth: bool = True) -> FiDraw:
    """Draw the Finnish respondents, the file table and the truth.

    ``with_truth=False`` skips building the truth table (writing files does not need it).
    """
    effects = dgp.TRUE_EFFECTS
    n = dgp.scaled_n(N, scale)
    dates = FIRST_DAY + rng.integers(0, N_DAYS, n).astype("timedelta64[D]")
    traits = dgp.draw_traits(rng, n, dgp.PROFILES[SOURCE], int(dgp.month_index(2025, 6)))
    distw = np.full(n, L.countries()["FIN"].distw)
    out = dgp.draw_outcomes(rng, traits, f"{SOURCE}:{WAVE}", distw, effects)
    has_children, employed, intention = out.has_children, out.employed, out.intention
    status = dgp.draw_status(traits.status_u, traits.age, employed)
    q30 = np.array([3, 5, 1, 2])[intention]
    q30 = np.where((q30 == 3) & dgp.sprinkle(rng, n, P_MOVE_ON), 4, q30)
    u_sex = rng.random(n)
    q1 = np.where(traits.male, 2, 1)
    q1 = np.select([u_sex < 0.005, u_sex < 0.015, u_sex < 0.018], [3, 4, NO_ANSWER], q1)
    q2 = 1 + np.searchsorted(np.array(BAND_EDGES), traits.age, side="right")
    arr_year, _ = dgp.index_to_year_month(traits.arrival)
    female_parent = ~traits.male & has_children
    day = dates.astype("datetime64[D]").astype(object)
    table = pd.DataFrame(
        {
            "id": 1 + np.arange(n, dtype=np.int64),
            "q1": q1,
            "q2": _no_answer(rng, q2, 0.01),
            "q3": _no_answer(rng, traits.origin, 0.015),
            "q5": _no_answer(rng, arr_year, 0.01),
            "q8": _no_answer(rng, traits.n_children, 0.015),
            "q12": _no_answer(rng, np.where(traits.spouse_child, 1, 2), 0.02),
            "q15": _no_answer(rng, _q15(rng, status, female_parent), 0.015),
            "q30": _no_answer(rng, q30, 0.02),
            "q31": _no_answer(rng, rng.choice(np.arange(1, 6), size=n,
                                              p=[0.2, 0.35, 0.25, 0.15, 0.05]), 0.01),
            "resp_date": [d.strftime("%d.%m.%Y") for d in day],
        }
    )  # fmt: skip
    for name in table.columns:
        if name != "resp_date":
            table[name] = table[name].astype(np.float64)
    return FiDraw(table=table, truth=_truth(table, dates) if with_truth else None)


def _na(codes: np.ndarray) -> np.ndarray:
    return np.where(codes == NO_ANSWER, REASON_99, "")


def _truth(table: pd.DataFrame, dates: np.ndarray) -> pd.DataFrame:
    n = len(table)
    t = {c: table[c].to_numpy() for c in table.columns if c != "resp_date"}
    cols = TruthColumns(n)
    cols.set("wave", np.full(n, WAVE))
    cols.set("raw_id", t["id"])
    cols.set("host_country", np.full(n, "FIN"))
    cols.set("interview_date", dates.astype("datetime64[s]"))
    q2 = t["q2"].astype(np.int64)
    cols.set("age", np.array([BAND_MIDPOINTS.get(int(b), 0) for b in q2]), _na(q2))
    cols.values["age_is_banded"] = True
    q1 = t["q1"]
    cols.set("gender", np.where(q1 == 2, "male", "female"),
             np.select([q1 == 3, q1 == 4, q1 == NO_ANSWER],
                       ["not_applicable", "refused", REASON_99], ""))  # fmt: skip
    q8 = t["q8"].astype(np.int64)
    cols.set("n_children_u18", q8, _na(q8))
    cols.set("has_children_u18", q8 > 0, _na(q8))
    q15 = t["q15"].astype(np.int64)
    cols.set("employed", np.isin(q15, [1, 2, 3]), _na(q15))
    cols.set("employment_status", np.array([Q15_STATUS.get(int(c), "") for c in q15]), _na(q15))
    q3 = t["q3"].astype(np.int64)
    ok = np.where(q3 <= 27, q3, 1)
    cols.set("origin_oblast", oblast_iso(ok), _na(q3))
    cols.set("origin_area", oblast_area(ok), _na(q3))
    q12 = t["q12"]
    cols.set("spouse_child_in_ukraine", q12 == 1, _na(q12))
    cols.set("months_in_host", None, "unmapped_in_source")
    q30 = t["q30"].astype(np.int64)
    cols.set(
        "return_intention",
        np.select(
            [q30 == 2, q30 == 1, q30 == 3, q30 == 5],
            ["return_soon", "return_someday", "stay", "undecided"],
            "",
        ),
        np.select([q30 == 4, q30 == NO_ANSWER], ["not_applicable", REASON_99], ""),
    )
    cols.set("intention_category",
             np.select([q30 <= 2, q30 == 3, q30 == 4, q30 == 5],
                       ["return", "stay", "move_on", "undecided"], ""),
             _na(q30))  # fmt: skip
    cols.set("weight", np.ones(n))
    return build_truth(SOURCE, cols)


def value_labels() -> dict[str, dict[Any, str]]:
    """English value labels; 99 "No answer" on every item (not declared missing)."""
    sets: dict[str, dict[int, str]] = {
        "q1": L.FI_Q1,
        "q2": L.FI_Q2,
        "q3": L.fi_oblast_labels(),
        "q5": {},
        "q8": {},
        "q12": L.FI_Q12,
        "q15": L.FI_Q15,
        "q30": L.FI_Q30,
        "q31": L.FI_Q31,
    }
    out: dict[str, dict[Any, str]] = {n: {**lab, **L.FI_NO_ANSWER} for n, lab in sets.items()}
    return out


def write(out_dir: Path, draw: FiDraw) -> list[Path]:
    """Write ``out_dir/fi_moi/fi_moi_2025.sav``."""
    numeric = [c for c in draw.table.columns if c != "resp_date"]
    measure = {c: "nominal" for c in ("q1", "q3", "q12", "q15", "q30")}
    measure.update({c: "ordinal" for c in ("q2", "q31")})
    measure.update({c: "scale" for c in ("id", "q5", "q8")})
    measure["resp_date"] = "nominal"
    formats = {c: "F8.0" for c in numeric}
    formats["resp_date"] = "A10"
    path = write_sav(
        draw.table,
        Path(out_dir) / FOLDER / FILE,
        variable_labels=L.FI_VARIABLE_LABELS,
        value_labels=value_labels(),
        measure=measure,
        formats=formats,
        file_label="Survey of people under temporary protection 2025 (synthetic)",
    )
    return [path]
