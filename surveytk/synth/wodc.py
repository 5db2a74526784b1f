"""Synthetic WODC LOCOV wave 1 (Netherlands): one SPSS file with Dutch labels.

Every categorical item declares the SPSS user-missing codes 98 "Weet niet" and 99 "Wil
niet zeggen", and a few respondents use them; ``geslacht`` 3 "Anders / wil niet
zeggen" is a valid code that harmonises to missing (refused). ``interviewdatum`` is an
SPSS date; ``herkomst_oblast`` labels are "<name_en> (<name_uk>)" with Cyrillic.
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

SOURCE = "wodc"
FOLDER = "wodc"
FILE = "locov_w1.sav"
WAVE = "W1"
N = 3_050
CATEGORICAL = ("geslacht", "betaald_werk", "partner_kind_oekraine", "herkomst_oblast",
               "terugkeer_veilig", "opvang")  # fmt: skip
FIRST_DAY = np.datetime64("2023-10-02")
N_DAYS = 180
MISSING_REASON = {98: "dont_know", 99: "refused"}


@dataclass(frozen=True)
class WodcDraw:
    """The file's table and the truth."""

    table: pd.DataFrame
    truth: pd.DataFrame | None


def _with_missing(
    rng: np.random.Generator, codes: np.ndarray, p98: float, p99: float
) -> np.ndarray:
    n = codes.shape[0]
    u = rng.random(n)
    return np.where(u < p98, 98, np.where(u < p98 + p99, 99, codes))


def _reason(codes: np.ndarray) -> np.ndarray:
    return np.select([codes == 98, codes == 99], ["dont_know", "refused"], "")


def simulate(rng: np.random.Generator, scale: float, *, with_truth: bool = True) -> WodcDraw:
    """Draw the WODC respondents, the file table and the truth.

    ``with_truth=False`` skips building the truth table (writing files does not need it).
    """
    effects = dgp.TRUE_EFFECTS
    n = dgp.scaled_n(N, scale)
    dates = FIRST_DAY + rng.integers(0, N_DAYS, n).astype("timedelta64[D]")
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    traits = dgp.draw_traits(rng, n, dgp.PROFILES[SOURCE], int(dgp.month_index(2023, 9)))
    distw = np.full(n, L.countries()["NLD"].distw)
    out = dgp.draw_outcomes(rng, traits, f"{SOURCE}:{WAVE}", distw, effects)
    employed, intention = out.employed, out.intention
    u_sex = rng.random(n)
    geslacht = np.where(traits.male, 1, 2)
    geslacht = np.where(u_sex < 0.01, 3, np.where(u_sex < 0.015, 99, geslacht))
    arr_year, arr_month = dgp.index_to_year_month(traits.arrival)
    weight = np.exp(rng.normal(0.0, 0.35, n))
    weight = np.round(weight / weight.mean(), 6)
    table = pd.DataFrame(
        {
            "respnr": 10_001 + np.arange(n, dtype=np.int64),
            "gewicht": weight,
            "strata": rng.choice(np.arange(1, 6), size=n, p=[0.15, 0.25, 0.2, 0.2, 0.2]),
            "geslacht": geslacht,
            "geboortejaar": years - traits.age,
            "interviewdatum": dates.astype("datetime64[ns]"),
            "betaald_werk": _with_missing(rng, np.where(employed, 1, 2), 0.005, 0.01),
            "kinderen_u18": traits.n_children,
            "partner_kind_oekraine": _with_missing(
                rng, np.where(traits.spouse_child, 1, 2), 0.01, 0.01
            ),
            "herkomst_oblast": _with_missing(rng, traits.origin, 0.01, 0.005),
            "aankomst_jaar": arr_year,
            "aankomst_maand": arr_month,
            "terugkeer_veilig": _with_missing(rng, np.array([2, 3, 1, 1])[intention], 0.015, 0.01),
            "opvang": rng.choice([1, 2, 3], size=n, p=[0.55, 0.25, 0.20]),
        }
    )
    for name in table.columns:
        if name not in ("gewicht", "interviewdatum"):
            table[name] = table[name].astype(np.float64)
    truth = _truth(table, dates, years, months) if with_truth else None
    return WodcDraw(table=table, truth=truth)


def _truth(
    table: pd.DataFrame, dates: np.ndarray, years: np.ndarray, months: np.ndarray
) -> pd.DataFrame:
    n = len(table)
    t = {c: table[c].to_numpy() for c in table.columns}
    cols = TruthColumns(n)
    cols.set("wave", np.full(n, WAVE))
    cols.set("raw_id", t["respnr"])
    cols.set("host_country", np.full(n, "NLD"))
    cols.set("interview_date", dates.astype("datetime64[s]"))
    cols.set("age", years - t["geboortejaar"])
    sex = t["geslacht"]
    cols.set("gender", np.where(sex == 1, "male", "female"),
             np.select([sex == 3, sex == 99], ["refused", "refused"], ""))  # fmt: skip
    cols.set("n_children_u18", t["kinderen_u18"].astype(np.int64))
    cols.set("has_children_u18", t["kinderen_u18"] > 0)
    work = t["betaald_werk"]
    cols.set("employed", work == 1, _reason(work))
    status_reason = np.where(work == 2, "unmapped_in_source", _reason(work))
    cols.set("employment_status", np.full(n, "employed"), status_reason)
    obl = t["herkomst_oblast"].astype(np.int64)
    ok = np.where(obl <= 27, obl, 1)
    cols.set("origin_oblast", oblast_iso(ok), _reason(obl))
    cols.set("origin_area", oblast_area(ok), _reason(obl))
    sc = t["partner_kind_oekraine"]
    cols.set("spouse_child_in_ukraine", sc == 1, _reason(sc))
    cols.set("months_in_host", (years - t["aankomst_jaar"]) * 12 + months - t["aankomst_maand"])
    ret = t["terugkeer_veilig"]
    cols.set("return_intention",
             np.select([ret == 1, ret == 2, ret == 3], ["return_someday", "stay", "undecided"], ""),
             _reason(ret))  # fmt: skip
    cols.set("intention_category",
             np.select([ret == 1, ret == 2, ret == 3], ["return", "stay", "undecided"], ""),
             _reason(ret))  # fmt: skip
    cols.set("weight", t["gewicht"])
    cols.set("stratum", t["strata"].astype(np.int64))
    return build_truth(SOURCE, cols)


def value_labels() -> dict[str, dict[Any, str]]:
    """Dutch value labels, the user-missing codes included on every categorical item."""
    sets: dict[str, dict[int, str]] = {
        "geslacht": L.WODC_GESLACHT,
        "betaald_werk": L.WODC_JA_NEE,
        "partner_kind_oekraine": L.WODC_JA_NEE,
        "herkomst_oblast": L.wodc_oblast_labels(),
        "terugkeer_veilig": L.WODC_TERUGKEER,
        "opvang": L.WODC_OPVANG,
    }
    out: dict[str, dict[Any, str]] = {
        name: {**labels, **L.WODC_MISSING} for name, labels in sets.items()
    }
    out["strata"] = {**L.WODC_STRATA}
    return out


def write(out_dir: Path, draw: WodcDraw) -> list[Path]:
    """Write ``out_dir/wodc/locov_w1.sav``."""
    measure = {c: "nominal" for c in (*CATEGORICAL, "strata")}
    measure.update({c: "scale" for c in draw.table.columns if c not in measure})
    formats = {c: "F8.0" for c in draw.table.columns}
    formats.update({"gewicht": "F10.6", "interviewdatum": "DATE11"})
    path = write_sav(
        draw.table,
        Path(out_dir) / FOLDER / FILE,
        variable_labels=L.WODC_VARIABLE_LABELS,
        value_labels=value_labels(),
        user_missing={c: [98, 99] for c in CATEGORICAL},
        measure=measure,
        formats=formats,
        file_label="LOCOV Oekraiense ontheemden golf 1 (synthetisch)",
    )
    return [path]
