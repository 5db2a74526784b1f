"""Synthetic SOEP-Core Ukraine samples (M9 = 44, M10 = 48): six long Stata files.

Households of sample 44 are drawn in 2022 (≈ 11,225 respondents at scale 1), about
half are re-interviewed in 2023 with a refreshment sample 48 (≈ 6,754 respondents in
2023), and 80% of the 2023 households again in 2024. ``ppathl`` lists every household
member (children and adult non-respondents too); only respondents have a ``pl`` row.
Household-level realism: a few household-years without ``hl`` row, ``phrf = 0`` for
a few respondents, SOEP's negative missing codes at small rates, filter ``-2`` on
``plj0086_v1`` for those not asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from surveytk.io.writers import write_dta
from surveytk.synth import dgp
from surveytk.synth import label_sets as L
from surveytk.synth.truth import TruthColumns, build_truth, oblast_area, oblast_iso

SOURCE = "soep_ukr"
FOLDER = "soep_ukr"
FILES = ("ppathl.dta", "pl.dta", "hl.dta", "biol.dta", "hbrutto.dta", "design.dta")
YEARS = (2022, 2023, 2024)

N_WAVE1 = 11_225
N_WAVE2 = 6_754
RETAIN_2023 = 0.47  # household retention 2022 → 2023
RETAIN_2024 = 0.80
PERSON_NONRESPONSE = 0.04  # respondent of a continuing household not interviewed
INTERVIEW_MONTHS = {2022: (8, 12), 2023: (3, 10), 2024: (3, 10)}
LATEST_ARRIVAL = {44: dgp.month_index(2022, 7), 48: dgp.month_index(2023, 1)}
HID_BASE = {44: 10_000_000, 48: 20_000_000}

IntArray = npt.NDArray[Any]
BoolArray = npt.NDArray[Any]


@dataclass(frozen=True)
class SoepDraw:
    """The six tables and the truth of one draw."""

    tables: dict[str, pd.DataFrame]
    truth: pd.DataFrame | None


@dataclass
class _Sample:
    """Respondents (adults interviewed at least once) of one SOEP sample."""

    hid: IntArray  # per respondent
    pid: IntArray
    traits: dgp.Traits
    gebmonat: IntArray
    hh_ids: IntArray  # unique households
    hh_psu: IntArray
    hh_children: IntArray
    sample: int


def _household_sizes(rng: np.random.Generator, n: int) -> IntArray:
    """Respondents per household (1 or 2) summing to ``n``."""
    sizes = 1 + (rng.random(n) < 0.2).astype(np.int64)
    cum = np.cumsum(sizes)
    h = int(np.searchsorted(cum, n)) + 1
    sizes = sizes[:h].copy()
    sizes[-1] -= int(cum[h - 1] - n)
    return sizes


def _draw_sample(
    rng: np.random.Generator, n: int, sample: int, psu_offset: int, n_psu: int
) -> _Sample:
    sizes = _household_sizes(rng, n)
    n_hh = sizes.shape[0]
    hh_ids = HID_BASE[sample] + 1 + np.arange(n_hh, dtype=np.int64)
    hid = np.repeat(hh_ids, sizes)
    member = np.arange(n) - np.repeat(np.cumsum(sizes) - sizes, sizes) + 1
    pid = hid * 10 + member
    traits = dgp.draw_traits(rng, n, dgp.PROFILES[SOURCE], int(LATEST_ARRIVAL[sample]))
    first = np.cumsum(sizes) - sizes
    hh_children = traits.n_children[first]
    # household children: every respondent of the household shares them
    n_children = np.repeat(hh_children, sizes)
    traits = dgp.Traits(
        age=traits.age,
        male=traits.male,
        n_children=n_children,
        origin=traits.origin,
        spouse_child=np.zeros(n, dtype=bool),  # not recorded by SOEP: no effect there
        arrival=traits.arrival,
        emp_u=traits.emp_u,
        status_u=traits.status_u,
    )
    return _Sample(
        hid=hid,
        pid=pid,
        traits=traits,
        gebmonat=rng.integers(1, 13, n).astype(np.int64),
        hh_ids=hh_ids,
        hh_psu=np.asarray(psu_offset + rng.integers(0, n_psu, size=n_hh), dtype=np.int64),
        hh_children=hh_children,
        sample=sample,
    )


def _concat(a: _Sample, b: _Sample) -> _Sample:
    def cat(x: IntArray, y: IntArray) -> IntArray:
        return np.concatenate([x, y])

    ta, tb = a.traits, b.traits
    traits = dgp.Traits(
        **{k: np.concatenate([getattr(ta, k), getattr(tb, k)]) for k in ta.__dataclass_fields__}
    )
    return _Sample(
        hid=cat(a.hid, b.hid),
        pid=cat(a.pid, b.pid),
        traits=traits,
        gebmonat=cat(a.gebmonat, b.gebmonat),
        hh_ids=cat(a.hh_ids, b.hh_ids),
        hh_psu=cat(a.hh_psu, b.hh_psu),
        hh_children=cat(a.hh_children, b.hh_children),
        sample=0,
    )


def _birth(sample: _Sample, year: int, pmonin: IntArray) -> IntArray:
    """gebjahr such that ``year − gebjahr − (pmonin < gebmonat)`` is the drawn age in 2022."""
    return year - sample.traits.age - (pmonin < sample.gebmonat).astype(np.int64)


def _age_at(gebjahr: IntArray, gebmonat: IntArray, year: int, pmonin: IntArray) -> IntArray:
    return year - gebjahr - (pmonin < gebmonat).astype(np.int64)


def _employment_codes(rng: np.random.Generator, status: npt.NDArray[Any]) -> IntArray:
    """plb0022_v11 code for each status (several codes per status, fixed shares)."""
    n = status.shape[0]
    u = np.asarray(rng.random(size=n))
    code = np.full(n, 9, dtype=np.int64)
    emp = status == "employed"
    code[emp] = np.select([u[emp] < 0.45, u[emp] < 0.75, u[emp] < 0.95], [1, 2, 4], 10)
    edu = status == "in_education"
    code[edu] = np.where(u[edu] < 0.7, 3, 11)
    ret = status == "retired"
    code[ret] = np.where(u[ret] < 0.05, 5, 9)
    ina = status == "inactive"
    code[ina] = np.where(u[ina] < 0.05, 7, 9)
    return code


# SOEP codes → common status (the synthetic codebook's assumption, documented).
STATUS_OF_CODE = {1: "employed", 2: "employed", 4: "employed", 10: "employed", 3: "in_education",
                  11: "in_education", 5: "retired", 7: "inactive", 9: "unemployed"}  # fmt: skip


def simulate(rng: np.random.Generator, scale: float, *, with_truth: bool = True) -> SoepDraw:
    """Draw the SOEP sample (three waves) and build the tables and the truth.

    ``with_truth=False`` skips building the truth table (writing files does not need it).
    """
    effects = dgp.TRUE_EFFECTS
    n_psu44 = int(np.clip(round(100 * scale), 10, 100))
    n_psu48 = int(np.clip(round(40 * scale), 4, 40))
    n_strata = max(2, n_psu44 // 10)
    s44 = _draw_sample(rng, dgp.scaled_n(N_WAVE1, scale), 44, 1, n_psu44)
    gebjahr_fix: dict[int, IntArray] = {}

    pl_parts: list[pd.DataFrame] = []
    hl_parts: list[pd.DataFrame] = []
    ppathl_parts: list[pd.DataFrame] = []
    hbrutto_parts: list[pd.DataFrame] = []
    truth_parts: list[pd.DataFrame] = []

    active_hh = s44.hh_ids
    pop = s44
    first_seen = np.full(s44.pid.shape[0], 2022)
    last_intention: IntArray = np.zeros(0, dtype=np.int64)
    for year in YEARS:
        if year == 2023:
            keep = _retain(rng, pop, active_hh, last_intention, RETAIN_2023)
            n_kept = int(np.isin(pop.hid, keep).sum() * (1.0 - PERSON_NONRESPONSE))
            n_new = max(0, dgp.scaled_n(N_WAVE2, scale) - n_kept)
            s48 = _draw_sample(rng, max(n_new, 1), 48, 1000 + 1, n_psu48)
            pop = _concat(pop, s48)
            first_seen = np.concatenate([first_seen, np.full(s48.pid.shape[0], 2023)])
            active_hh = np.concatenate([keep, s48.hh_ids])
        elif year == 2024:
            active_hh = _retain(rng, pop, active_hh, last_intention, RETAIN_2024)
        in_hh = np.isin(pop.hid, active_hh)
        interviewed = in_hh & (
            (first_seen == year) | (rng.random(pop.pid.shape[0]) >= PERSON_NONRESPONSE)
        )
        # interview month per household
        lo, hi = INTERVIEW_MONTHS[year]
        hh_month = np.asarray(rng.integers(lo, hi + 1, size=pop.hh_ids.shape[0]))
        pmonin_all = hh_month[np.searchsorted(pop.hh_ids, pop.hid)].astype(np.int64)
        if year == 2022:
            gebjahr_fix[44] = _birth(pop, 2022, pmonin_all)
        elif year == 2023:
            gebjahr_fix[48] = _birth(s48, 2023, pmonin_all[-s48.pid.shape[0] :])
        gebjahr = np.concatenate([gebjahr_fix[k] for k in sorted(gebjahr_fix)])
        age = _age_at(gebjahr, pop.gebmonat, year, pmonin_all)
        has_children = pop.traits.n_children > 0
        score = dgp.employment_score(age, pop.traits.male, has_children)
        idx = np.flatnonzero(interviewed)
        employed = np.zeros(pop.pid.shape[0], dtype=bool)
        employed[idx] = dgp.draw_employed(
            pop.traits.emp_u[idx], score[idx], dgp.TARGET_EMPLOYMENT[f"{SOURCE}:{year}"]
        )
        status = dgp.draw_status(pop.traits.status_u, age, employed)
        eta = dgp.intention_index(
            effects,
            employed=employed,
            male=pop.traits.male,
            has_children=has_children,
            age=age,
            distance_km=np.full(age.shape[0], L.countries()["DEU"].distw),
            spouse_child=pop.traits.spouse_child,
            origin=pop.traits.origin,
        )
        intention = dgp.draw_intention(rng, eta, effects.thresholds[f"{SOURCE}:{year}"])
        last_intention = intention
        wave = _wave_tables(
            rng, year, pop, idx, pmonin_all, age, status, intention, in_hh, interviewed,
            active_hh, n_strata, gebjahr, with_truth,
        )  # fmt: skip
        pl_parts.append(wave["pl"])
        hl_parts.append(wave["hl"])
        ppathl_parts.append(wave["ppathl"])
        hbrutto_parts.append(wave["hbrutto"])
        if with_truth:
            truth_parts.append(wave["truth"])

    biol = _biol(rng, pop, first_seen)
    design = _design(pop, n_strata)
    tables = {
        "ppathl": pd.concat(ppathl_parts, ignore_index=True),
        "pl": pd.concat(pl_parts, ignore_index=True),
        "hl": pd.concat(hl_parts, ignore_index=True),
        "biol": biol,
        "hbrutto": pd.concat(hbrutto_parts, ignore_index=True),
        "design": design,
    }
    tables = {k: _sorted(k, v) for k, v in tables.items()}
    truth = None
    if with_truth:
        truth = _finish_truth(pd.concat(truth_parts, ignore_index=True), tables)
    return SoepDraw(tables=tables, truth=truth)


def _retain(
    rng: np.random.Generator,
    pop: _Sample,
    active_hh: IntArray,
    intention: IntArray,
    rate: float,
) -> IntArray:
    """Households kept in the panel; those whose first respondent intends to return leave more."""
    first_idx = np.searchsorted(pop.hid, active_hh)  # pop.hid is sorted (ids increase)
    returning = intention[first_idx] >= 2
    p = np.where(returning, rate - 0.08, rate + 0.04)
    keep = rng.random(active_hh.shape[0]) < p
    kept: IntArray = active_hh[keep]
    return kept


def _hh_lookup(pop: _Sample, hids: IntArray, values: IntArray) -> IntArray:
    pos = np.searchsorted(pop.hh_ids, hids)
    out: IntArray = values[pos]
    return out


def _wave_tables(
    rng: np.random.Generator,
    year: int,
    pop: _Sample,
    idx: IntArray,
    pmonin: IntArray,
    age: IntArray,
    status: npt.NDArray[Any],
    intention: IntArray,
    in_hh: BoolArray,
    interviewed: BoolArray,
    active_hh: IntArray,
    n_strata: int,
    gebjahr: IntArray,
    with_truth: bool,
) -> dict[str, pd.DataFrame]:
    n = idx.shape[0]
    # --- pl: respondents interviewed this year
    stay = np.where(intention[idx] == 0, 1, np.where(intention[idx] == 1, -1, 2))
    not_asked = dgp.sprinkle(rng, n, 0.003)
    plj0085 = np.where(not_asked, -5, stay)
    plj0086 = np.where(plj0085 == 2, np.where(intention[idx] == 3, 1, 2), -2)
    how_long_dk = (plj0085 == 2) & dgp.sprinkle(rng, n, 0.01)
    plj0086 = np.where(how_long_dk, -1, plj0086)
    emp_code = _employment_codes(rng, status[idx])
    emp_dk = dgp.sprinkle(rng, n, 0.01)
    emp_code = np.where(emp_dk, -1, emp_code)
    pl = pd.DataFrame(
        {
            "pid": pop.pid[idx].astype(np.int32),
            "syear": np.full(n, year, dtype=np.int16),
            "hid": pop.hid[idx].astype(np.int32),
            "plj0085_v1": plj0085.astype(np.int8),
            "plj0086_v1": plj0086.astype(np.int8),
            "plb0022_v11": emp_code.astype(np.int8),
            "pmonin": pmonin[idx].astype(np.int8),
        }
    )
    # --- hl: one row per active household, a few missing (no household interview)
    hh = np.sort(active_hh)
    kids = _hh_lookup(pop, hh, pop.hh_children)
    no_hh_interview = dgp.sprinkle(rng, hh.shape[0], 0.01)
    hl_code = np.where(kids > 0, 1, 2)
    hl_dk = dgp.sprinkle(rng, hh.shape[0], 0.005)
    hl_code = np.where(hl_dk, -1, hl_code)
    hl = pd.DataFrame(
        {
            "hid": hh[~no_hh_interview].astype(np.int32),
            "syear": np.full(int((~no_hh_interview).sum()), year, dtype=np.int16),
            "hlk0044_v2": hl_code[~no_hh_interview].astype(np.int8),
        }
    )
    # --- hbrutto
    psu = _hh_lookup(pop, hh, pop.hh_psu)
    hbrutto = pd.DataFrame(
        {
            "hid": hh.astype(np.int32),
            "syear": np.full(hh.shape[0], year, dtype=np.int16),
            "bula_h": _bula(psu).astype(np.int8),
            "sample1": np.where(hh >= HID_BASE[48], 48, 44).astype(np.int8),
        }
    )
    # --- ppathl: all members of active households (respondents, adults not interviewed,
    # children)
    members = np.flatnonzero(in_hh)
    # person weights: lognormal around population (≈ 1.1 million adults) / sample size
    weight = np.exp(rng.normal(0.0, 0.45, pop.pid.shape[0])) * 1.1e6 / max(len(members), 1)
    zero_w = dgp.sprinkle(rng, pop.pid.shape[0], 0.005) & interviewed
    weight = np.where(zero_w, 0.0, np.round(weight, 4))
    # a fixed few persons have no valid birth year in every wave (hash of pid, not rng)
    gebjahr_out = np.where((pop.pid * 2654435761) % 1000 < 3, -1, gebjahr)
    adults = pd.DataFrame(
        {
            "pid": pop.pid[members].astype(np.int32),
            "syear": np.full(members.shape[0], year, dtype=np.int16),
            "hid": pop.hid[members].astype(np.int32),
            "sex": np.where(pop.traits.male[members], 1, 2).astype(np.int8),
            "gebjahr": gebjahr_out[members].astype(np.int16),
            "gebmonat": pop.gebmonat[members].astype(np.int8),
            "psample": np.where(pop.hid[members] >= HID_BASE[48], 48, 44).astype(np.int8),
            "immiyear": dgp.index_to_year_month(pop.traits.arrival[members])[0].astype(np.int16),
            "corigin": np.full(members.shape[0], L.SOEP_CORIGIN_UKRAINE, dtype=np.int16),
            "phrf": weight[members],
        }
    )
    children = _children_rows(rng, pop, hh, year)
    ppathl = pd.concat([adults, children], ignore_index=True)
    tables = {"pl": pl, "hl": hl, "ppathl": ppathl, "hbrutto": hbrutto}
    if not with_truth:
        return tables
    # --- truth rows for this wave (no random draws below: files do not depend on it)
    truth = pd.DataFrame(
        {
            "pid": pop.pid[idx],
            "hid": pop.hid[idx],
            "syear": year,
            "pmonin": pmonin[idx],
            "age": age[idx],
            "gebjahr_missing": gebjahr_out[idx] == -1,
            "male": pop.traits.male[idx],
            "plj0085": plj0085,
            "plj0086": plj0086,
            "emp_code": emp_code,
            "origin": pop.traits.origin[idx],
            "arrival": pop.traits.arrival[idx],
            "weight": weight[idx],
            "psu": _hh_lookup(pop, pop.hid[idx], pop.hh_psu),
        }
    )
    truth["hl_code"] = _hl_code(hl, truth["hid"].to_numpy())
    truth["stratum"] = _stratum(truth["psu"].to_numpy(), n_strata)
    return {**tables, "truth": truth}


def _hl_code(hl: pd.DataFrame, hid: IntArray) -> IntArray:
    """``hlk0044_v2`` of each household id, 0 where the household has no ``hl`` row."""
    hl_hid = hl["hid"].to_numpy().astype(np.int64)  # sorted: built from sorted ids
    pos = np.minimum(np.searchsorted(hl_hid, hid), max(hl_hid.shape[0] - 1, 0))
    found = hl_hid.shape[0] > 0 and hl_hid[pos] == hid
    codes = hl["hlk0044_v2"].to_numpy().astype(np.int64)
    out: IntArray = np.where(found, codes[pos] if codes.shape[0] else 0, 0)
    return out


def _children_rows(rng: np.random.Generator, pop: _Sample, hh: IntArray, year: int) -> pd.DataFrame:
    """Children of the active households: in ``ppathl`` only, never interviewed."""
    kids = _hh_lookup(pop, hh, pop.hh_children)
    hid = np.repeat(hh, kids)
    k = np.arange(hid.shape[0]) - np.repeat(np.cumsum(kids) - kids, kids)
    # stable per child: birth year from the household id and child number (no rng drift)
    birth = 2007 + (hid * 7 + k * 3) % 15
    pid = hid * 10 + 3 + k  # members 1-2 are respondents; children from 3
    n = hid.shape[0]
    return pd.DataFrame(
        {
            "pid": pid.astype(np.int32),
            "syear": np.full(n, year, dtype=np.int16),
            "hid": hid.astype(np.int32),
            "sex": (1 + (pid % 2)).astype(np.int8),
            "gebjahr": birth.astype(np.int16),
            "gebmonat": (1 + (pid % 12)).astype(np.int8),
            "psample": np.where(hid >= HID_BASE[48], 48, 44).astype(np.int8),
            "immiyear": np.full(n, 2022, dtype=np.int16),
            "corigin": np.full(n, L.SOEP_CORIGIN_UKRAINE, dtype=np.int16),
            "phrf": np.round(np.exp(rng.normal(0.0, 0.3, n)) * 50.0, 4),
        }
    )


def _stratum(psu: IntArray, n_strata: int) -> IntArray:
    out: IntArray = 1 + (psu % n_strata)
    return out


def _bula(psu: IntArray) -> IntArray:
    out: IntArray = 1 + (psu * 7) % 16
    return out


def _biol(rng: np.random.Generator, pop: _Sample, first_seen: IntArray) -> pd.DataFrame:
    """One biography row per respondent (first interview)."""
    n = pop.pid.shape[0]
    year, month = dgp.index_to_year_month(pop.traits.arrival)
    older = np.maximum(0, pop.traits.age - 38) // 12  # adult children for older respondents
    nrkid = np.minimum(pop.traits.n_children + older, 10)
    origin = np.where(dgp.sprinkle(rng, n, 0.01), -1, pop.traits.origin)
    year = np.where(dgp.sprinkle(rng, n, 0.005), -1, year)
    return pd.DataFrame(
        {
            "pid": pop.pid.astype(np.int32),
            "lr3586": origin.astype(np.int8),
            "lr3130": year.astype(np.int16),
            "lr3131": month.astype(np.int8),
            "prev_nrkid": nrkid.astype(np.int8),
            "lr3192": np.where(nrkid > 0, 1, 2).astype(np.int8),
        }
    )


def _design(pop: _Sample, n_strata: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "hid": pop.hh_ids.astype(np.int32),
            "psu": pop.hh_psu.astype(np.int32),
            "strat": _stratum(pop.hh_psu, n_strata).astype(np.int16),
        }
    )


def _sorted(name: str, df: pd.DataFrame) -> pd.DataFrame:
    keys = {"ppathl": ["pid", "syear"], "pl": ["pid", "syear"], "hl": ["hid", "syear"],
            "biol": ["pid"], "hbrutto": ["hid", "syear"], "design": ["hid"]}[name]  # fmt: skip
    return df.sort_values(keys, kind="stable").reset_index(drop=True)


def _finish_truth(rows: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Common-schema truth from the respondent rows and the written biography."""
    rows = rows.sort_values(["pid", "syear"], kind="stable").reset_index(drop=True)
    biol = tables["biol"].set_index("pid")
    origin_code = biol["lr3586"].reindex(rows["pid"]).to_numpy().astype(np.int64)
    arr_year = biol["lr3130"].reindex(rows["pid"]).to_numpy().astype(np.int64)
    arr_month = biol["lr3131"].reindex(rows["pid"]).to_numpy().astype(np.int64)
    n = len(rows)
    cols = TruthColumns(n)
    syear = rows["syear"].to_numpy()
    pmonin = rows["pmonin"].to_numpy()
    cols.set("wave", syear.astype(str))
    cols.set("raw_id", rows["pid"].to_numpy())
    cols.set("household_raw_id", rows["hid"].to_numpy())
    cols.set("host_country", np.full(n, "DEU"))
    dates = np.array(
        [f"{y:04d}-{m:02d}-01" for y, m in zip(syear, pmonin, strict=True)], dtype="datetime64[s]"
    )
    cols.set("interview_date", dates)
    cols.set("age", rows["age"].to_numpy(), np.where(rows["gebjahr_missing"], "dont_know", ""))
    cols.set("gender", np.where(rows["male"], "male", "female"))
    hl = rows["hl_code"].to_numpy()
    cols.set("n_children_u18", None, "unmapped_in_source")
    cols.set(
        "has_children_u18", hl == 1, np.select([hl == 0, hl == -1], ["not_asked", "dont_know"], "")
    )
    emp = rows["emp_code"].to_numpy()
    cols.set("employed", np.isin(emp, [1, 2, 4, 10]), np.where(emp == -1, "dont_know", ""))
    status = np.array([STATUS_OF_CODE.get(int(c), "") for c in emp])
    cols.set("employment_status", status, np.where(emp == -1, "dont_know", ""))
    origin_ok = np.where(origin_code > 0, origin_code, 1)
    o_reason = np.where(origin_code == -1, "dont_know", "")
    cols.set("origin_oblast", oblast_iso(origin_ok), o_reason)
    cols.set("origin_area", oblast_area(origin_ok), o_reason)
    cols.set("spouse_child_in_ukraine", None, "unmapped_in_source")
    months = (syear - arr_year) * 12 + (pmonin - arr_month)
    cols.set("months_in_host", months, np.where(arr_year == -1, "dont_know", ""))
    p85 = rows["plj0085"].to_numpy()
    p86 = rows["plj0086"].to_numpy()
    intention = np.select(
        [p85 == 1, p85 == -1, (p85 == 2) & (p86 == 1), (p85 == 2) & (p86 == 2)],
        ["stay", "undecided", "return_soon", "return_someday"],
        "",
    )
    i_reason = np.select([p85 == -5, (p85 == 2) & (p86 == -1)], ["not_asked", "dont_know"], "")
    cols.set("return_intention", intention, i_reason)
    category = np.select([p85 == 1, p85 == 2, p85 == -1], ["stay", "return", "undecided"], "")
    cols.set("intention_category", category, np.where(p85 == -5, "not_asked", ""))
    cols.set("weight", rows["weight"].to_numpy())
    cols.set("psu", rows["psu"].to_numpy())
    cols.set("stratum", rows["stratum"].to_numpy())
    return build_truth(SOURCE, cols)


def value_labels() -> dict[str, dict[str, dict[int, str]]]:
    """Value labels per file and variable (SOEP ``[code] text`` form)."""
    plain = L.soep_label_set()
    return {
        "ppathl": {
            "sex": L.soep_label_set(L.SOEP_SEX),
            "gebjahr": plain,
            "gebmonat": L.soep_label_set(L.SOEP_MONTHS),
            "psample": L.soep_label_set(L.SOEP_PSAMPLE),
            "immiyear": plain,
            "corigin": L.soep_label_set(L.SOEP_CORIGIN),
        },
        "pl": {
            "plj0085_v1": L.soep_label_set(L.SOEP_YES_NO),
            "plj0086_v1": L.soep_label_set(L.SOEP_STAY_HOW_LONG),
            "plb0022_v11": L.soep_label_set(L.SOEP_EMPLOYMENT),
            "pmonin": L.soep_label_set(L.SOEP_MONTHS),
        },
        "hl": {"hlk0044_v2": L.soep_label_set(L.SOEP_YES_NO)},
        "biol": {
            "lr3586": L.soep_label_set(L.soep_oblast_labels()),
            "lr3130": plain,
            "lr3131": L.soep_label_set(L.SOEP_MONTHS),
            "prev_nrkid": plain,
            "lr3192": L.soep_label_set(L.SOEP_YES_NO),
        },
        "hbrutto": {
            "bula_h": L.soep_label_set(L.SOEP_BULA),
            "sample1": L.soep_label_set(L.SOEP_PSAMPLE),
        },
        "design": {},
    }


def write(out_dir: Path, draw: SoepDraw) -> list[Path]:
    """Write the six ``.dta`` files into ``out_dir/soep_ukr/``."""
    folder = Path(out_dir) / FOLDER
    labels = value_labels()
    paths = []
    for name in ("ppathl", "pl", "hl", "biol", "hbrutto", "design"):
        paths.append(
            write_dta(
                draw.tables[name],
                folder / f"{name}.dta",
                variable_labels=L.SOEP_VARIABLE_LABELS[name],
                value_labels=labels[name],
                file_label=f"SOEP-Core v40 Ukraine samples: {name} (synthetic)",
            )
        )
    return paths
