"""Synthetic UNHCR Regional Intentions Survey, rounds 5 and 6: text-label CSV exports.

Per round a household table (one respondent per household) and an individual roster
linked by ``hhid``; the respondent is the roster line ``resp_id`` (not always line 1).
Eighteen European host countries with CEPII distances, so the distance effect is
identified here; ``stratum`` Neighbouring/Non-neighbouring follows CEPII ``contig``.
Realism: roster age 98 (don't know), "Prefer not to say" employment answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from surveytk.io.atomic import atomic_path
from surveytk.synth import dgp
from surveytk.synth import label_sets as L
from surveytk.synth.truth import TruthColumns, build_truth, code_map, oblast_area, oblast_iso

SOURCE = "unhcr_ris"
FOLDER = "unhcr_ris"
ROUNDS = ("R5", "R6")
N_HOUSEHOLDS = {"R5": 4_000, "R6": 4_800}
HHID_BASE = {"R5": 5_000_000, "R6": 6_000_000}
PSU_BASE = {"R5": 10_000, "R6": 20_000}
# interview window: (year, month, first day, last day)
INTERVIEW = {"R5": ((2024, 1, 8, 31), (2024, 2, 1, 28)), "R6": ((2024, 8, 1, 31),)}
PANEL_SHARE = {"R5": 0.40, "R6": 0.35}
#: Host countries: share of interviews and (assumed) share of the refugee population.
HOSTS: dict[str, tuple[float, float]] = {
    "Poland": (0.20, 0.25), "Czech Republic": (0.09, 0.09), "Germany": (0.16, 0.26),
    "Slovakia": (0.05, 0.03), "Romania": (0.06, 0.02), "Republic of Moldova": (0.06, 0.01),
    "Hungary": (0.04, 0.01), "Bulgaria": (0.04, 0.01), "Lithuania": (0.03, 0.02),
    "Latvia": (0.03, 0.01), "Estonia": (0.03, 0.01), "Italy": (0.04, 0.04),
    "Spain": (0.04, 0.05), "France": (0.03, 0.02), "Belgium": (0.03, 0.02),
    "Netherlands": (0.03, 0.03), "Austria": (0.02, 0.02), "Ireland": (0.02, 0.03),
}  # fmt: skip
REFUGEE_POPULATION = 4_200_000
EMPLOYMENT_TEXT = {"Employed": "employed", "Self-employed": "employed",
                   "Unemployed, looking for work": "unemployed", "Student": "in_education",
                   "Retired": "retired", "Taking care of household": "inactive",
                   "Other": "inactive"}  # fmt: skip

IntArray = npt.NDArray[Any]


@dataclass(frozen=True)
class UnhcrDraw:
    """Household and roster tables per round, and the truth of both rounds."""

    tables: dict[str, pd.DataFrame]  # "ris_r5_households", "ris_r5_individuals", ...
    truth: pd.DataFrame | None


def _interview_dates(rng: np.random.Generator, rnd: str, n: int) -> npt.NDArray[Any]:
    windows = INTERVIEW[rnd]
    which = rng.integers(0, len(windows), n)
    out = np.empty(n, dtype="datetime64[D]")
    for k, (y, m, d0, d1) in enumerate(windows):
        mask = which == k
        start = np.datetime64(f"{y:04d}-{m:02d}-{d0:02d}")
        out[mask] = start + rng.integers(0, d1 - d0 + 1, int(mask.sum())).astype("timedelta64[D]")
    return out


def _text(codes: Any, categories: tuple[str, ...] | list[str]) -> pd.Categorical:
    """Text column from integer codes (memory-light; written out as plain text)."""
    dtype = pd.CategoricalDtype(list(categories))
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), dtype=dtype)


def _employment_text(rng: np.random.Generator, status: npt.NDArray[Any]) -> pd.Categorical:
    n = status.shape[0]
    u = rng.random(n)
    text = np.select(
        [
            (status == "employed") & (u < 0.85),
            status == "employed",
            status == "unemployed",
            status == "in_education",
            status == "retired",
            (status == "inactive") & (u < 0.7),
        ],
        ["Employed", "Self-employed", "Unemployed, looking for work", "Student", "Retired",
         "Taking care of household"],
        "Other",
    )  # fmt: skip
    refused = dgp.sprinkle(rng, n, 0.02)
    text = np.where(refused, "Prefer not to say", text)
    return pd.Categorical(text, categories=list(L.UNHCR_EMPLOYMENT))


def _roster(
    rng: np.random.Generator,
    hhid: IntArray,
    resp_age: IntArray,
    resp_male: npt.NDArray[Any],
    n_children: IntArray,
    spouse_in_ukraine: npt.NDArray[Any],
) -> tuple[pd.DataFrame, IntArray]:
    """Roster rows and the respondent's line number per household."""
    n = hhid.shape[0]
    has_spouse = ~spouse_in_ukraine & (rng.random(n) < np.where(resp_male, 0.7, 0.3))
    has_parent = rng.random(n) < 0.10
    has_sibling = rng.random(n) < 0.05
    has_relative = rng.random(n) < 0.04
    has_other = rng.random(n) < 0.02
    resp_second = (has_spouse | has_parent) & (rng.random(n) < 0.2)
    parts = []

    def add(mask: Any, relation: str, order: Any, sex_male: Any, age: Any) -> None:  # fmt: skip
        counts = np.asarray(mask, dtype=np.int64)
        rows = np.repeat(np.arange(n), counts)
        k = np.arange(rows.shape[0]) - np.repeat(np.cumsum(counts) - counts, counts)
        order_arr = np.broadcast_to(np.asarray(order), (n,))[rows] + k
        parts.append(
            pd.DataFrame(
                {
                    "row": rows,
                    "order": order_arr,
                    "relation": relation,
                    "male": np.asarray(sex_male)[rows] if np.ndim(sex_male) else sex_male,
                    "age": np.asarray(age)[rows] if np.ndim(age) else age,
                }
            )
        )

    resp_age_out = np.where(dgp.sprinkle(rng, n, 0.005), L.UNHCR_AGE_DONT_KNOW, resp_age)
    add(np.ones(n, dtype=bool), "Respondent", np.where(resp_second, 20, 10), resp_male,
        resp_age_out)  # fmt: skip
    add(has_spouse, "Spouse/partner", 15, ~resp_male,
        np.clip(resp_age + rng.integers(-5, 6, n), 18, 90))  # fmt: skip
    # children: ages 0-17, drawn per child below
    kid_rows = np.repeat(np.arange(n), n_children)
    kid_counts = n_children
    parts_len = len(parts)
    add(kid_counts, "Child", 30, rng.random(n) < 0.5, np.zeros(n, dtype=np.int64))
    kid_frame = parts[parts_len]
    kid_frame["male"] = rng.random(kid_rows.shape[0]) < 0.5
    kid_frame["age"] = rng.integers(0, 18, kid_rows.shape[0])
    parent_age = np.where(rng.random(n) < 0.1, L.UNHCR_AGE_DONT_KNOW, rng.integers(55, 86, n))
    add(has_parent, "Parent", np.where(resp_second, 5, 40), rng.random(n) < 0.3, parent_age)
    add(has_sibling, "Sibling", 50, rng.random(n) < 0.4, rng.integers(18, 61, n))
    add(has_relative, "Other relative", 60, rng.random(n) < 0.4, rng.integers(18, 81, n))
    add(has_other, "Other", 70, rng.random(n) < 0.4, rng.integers(18, 71, n))
    roster = pd.concat(parts, ignore_index=True).sort_values(["row", "order"], kind="stable")
    roster["line_no"] = roster.groupby("row").cumcount() + 1
    resp_line = roster.loc[roster["relation"] == "Respondent", ["row", "line_no"]]
    resp_id = resp_line.sort_values("row")["line_no"].to_numpy().astype(np.int64)
    out = pd.DataFrame(
        {
            "hhid": hhid[roster["row"].to_numpy()],
            "line_no": roster["line_no"].to_numpy().astype(np.int64),
            "relation": pd.Categorical(roster["relation"], categories=list(L.UNHCR_RELATIONS)),
            "sex": _text(roster["male"].to_numpy().astype(bool), L.UNHCR_SEX),
            "age": roster["age"].to_numpy().astype(np.int64),
        }
    )
    return out.reset_index(drop=True), resp_id


def _simulate_round(
    rng: np.random.Generator, rnd: str, scale: float, with_truth: bool
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    effects = dgp.TRUE_EFFECTS
    n = dgp.scaled_n(N_HOUSEHOLDS[rnd], scale)
    names = list(HOSTS)
    p_sample = np.array([HOSTS[c][0] for c in names])
    p_sample = p_sample / p_sample.sum()
    p_pop = np.array([HOSTS[c][1] for c in names])
    p_pop = p_pop / p_pop.sum()
    country_idx = rng.choice(len(names), size=n, p=p_sample)
    iso = np.array([L.UNHCR_COUNTRIES[c] for c in names])[country_idx]
    cty = L.countries()
    distw = np.array([cty[c].distw for c in iso])
    contig = np.array([cty[c].contig for c in iso])
    dates = _interview_dates(rng, rnd, n)
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    latest = int(dgp.month_index(int(years.min()), int(months.min()))) - 1
    traits = dgp.draw_traits(rng, n, dgp.PROFILES[SOURCE], latest)
    hhid = HHID_BASE[rnd] + 1 + np.arange(n, dtype=np.int64)
    roster, resp_id = _roster(rng, hhid, traits.age, traits.male, traits.n_children,
                              traits.spouse_child)  # fmt: skip
    out = dgp.draw_outcomes(rng, traits, f"{SOURCE}:{rnd}", distw, effects)
    employed, intention = out.employed, out.intention
    status = dgp.draw_status(traits.status_u, traits.age, employed)
    # design: interviewer clusters nested in country (≈ 25 interviews each)
    k_c = np.maximum(2, np.rint(p_sample * n / 25.0)).astype(np.int64)
    base = _psu_bases(rnd, len(names), int(k_c.max()))
    psu = base[country_idx] + 1 + (rng.random(n) * k_c[country_idx]).astype(np.int64)
    w_country = p_pop / p_sample * REFUGEE_POPULATION / n
    weight = np.round(w_country[country_idx] * np.exp(rng.normal(0.0, 0.3, n)), 4)
    s4_year, s4_month = dgp.index_to_year_month(traits.arrival)
    hh = pd.DataFrame(
        {
            "hhid": hhid,
            "wave": _text(np.zeros(n), [rnd]),
            "sample_type": _text(rng.random(n) >= PANEL_SHARE[rnd], L.UNHCR_SAMPLE_TYPES),
            "country": _text(country_idx, names),
            "stratum": _text(~contig, L.UNHCR_STRATA),
            "psu": psu,
            "weight": weight,
            "interview_date": pd.Categorical(np.datetime_as_string(dates, unit="D")),
            "resp_id": resp_id,
            "return_intentions": _text(intention, L.UNHCR_INTENTIONS),
            "spouse_child_ukr": _text(~traits.spouse_child, L.UNHCR_YES_NO),
            "s4_year": s4_year,
            "s4_month": s4_month,
            "origin_oblast": _text(traits.origin - 1, [o.name_en for o in L.oblasts()]),
            "q_employment": _employment_text(rng, status),
        }
    )
    truth = _truth(hh, roster, iso, years, months, dates) if with_truth else None
    return hh, roster, truth


def _truth(
    hh: pd.DataFrame,
    roster: pd.DataFrame,
    iso: npt.NDArray[Any],
    years: IntArray,
    months: IntArray,
    dates: npt.NDArray[Any],
) -> pd.DataFrame:
    """What the mapping rules of SOURCES.md give for the round's households."""
    n = len(hh)
    key = pd.MultiIndex.from_arrays([roster["hhid"], roster["line_no"]])
    resp_key = pd.MultiIndex.from_arrays([hh["hhid"], hh["resp_id"]])
    by_line = roster.set_index(key)
    resp = by_line.reindex(resp_key)
    others = roster.merge(hh[["hhid", "resp_id"]], on="hhid")
    is_child = (others["line_no"] != others["resp_id"]) & (others["age"] <= 17)
    n_kids = is_child.groupby(others["hhid"]).sum().reindex(hh["hhid"]).to_numpy()
    cols = TruthColumns(n)
    cols.set("wave", hh["wave"].to_numpy())
    cols.set("raw_id", hh["hhid"].to_numpy())
    cols.set("household_raw_id", hh["hhid"].to_numpy())
    cols.set("host_country", iso)
    cols.set("interview_date", dates.astype("datetime64[s]"))
    age = resp["age"].to_numpy().astype(np.int64)
    cols.set("age", age, np.where(age == L.UNHCR_AGE_DONT_KNOW, "dont_know", ""))
    cols.set("gender", np.where(resp["sex"].to_numpy() == "Male", "male", "female"))
    cols.set("n_children_u18", n_kids)
    cols.set("has_children_u18", n_kids > 0)
    emp = hh["q_employment"].to_numpy().astype(str)
    refused = np.where(emp == "Prefer not to say", "refused", "")
    cols.set("employed", np.isin(emp, ["Employed", "Self-employed"]), refused)
    cols.set("employment_status", np.array([EMPLOYMENT_TEXT.get(e, "") for e in emp]), refused)
    name_to_code = {o.name_en: o.code for o in L.oblasts()}
    codes = np.array([name_to_code[x] for x in hh["origin_oblast"]], dtype=np.int64)
    cols.set("origin_oblast", oblast_iso(codes))
    cols.set("origin_area", oblast_area(codes))
    cols.set("spouse_child_in_ukraine", hh["spouse_child_ukr"].to_numpy() == "Yes")
    cols.set("months_in_host", (years - hh["s4_year"].to_numpy()) * 12
             + (months - hh["s4_month"].to_numpy()))  # fmt: skip
    ri = hh["return_intentions"].to_numpy().astype(str)
    level = {text: k for k, text in enumerate(L.UNHCR_INTENTIONS)}
    lvl = np.array([level[t] for t in ri], dtype=np.int64)
    cols.set("return_intention", code_map(lvl, dict(enumerate(dgp.INTENTION_LEVELS))))
    cols.set("intention_category",
             code_map(lvl, {0: "stay", 1: "undecided", 2: "return", 3: "return"}))  # fmt: skip
    cols.set("weight", hh["weight"].to_numpy())
    cols.set("psu", hh["psu"].to_numpy())
    cols.set("stratum", hh["stratum"].to_numpy())
    return build_truth(SOURCE, cols)


def simulate(rng: np.random.Generator, scale: float, *, with_truth: bool = True) -> UnhcrDraw:
    """Draw both rounds (independent child streams per round).

    ``with_truth=False`` skips building the truth table (writing files does not need it).
    """
    tables: dict[str, pd.DataFrame] = {}
    truths = []
    for rnd, child in zip(ROUNDS, rng.spawn(len(ROUNDS)), strict=True):
        hh, roster, truth = _simulate_round(child, rnd, scale, with_truth)
        tables[f"ris_{rnd.lower()}_households"] = hh
        tables[f"ris_{rnd.lower()}_individuals"] = roster
        truths.append(truth)
    truth = pd.concat(truths, ignore_index=True) if with_truth else None
    return UnhcrDraw(tables=tables, truth=truth)


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    """UTF-8 CSV, header line, fields quoted only where needed (as NADA exports do)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    table = pa.Table.from_pandas(df, preserve_index=False)
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, pc.cast(table.column(i), pa.string()))
    options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
    with atomic_path(path) as tmp:
        pacsv.write_csv(table, str(tmp), write_options=options)


def write(out_dir: Path, draw: UnhcrDraw) -> list[Path]:
    """Write the four UTF-8 CSV files into ``out_dir/unhcr_ris/``."""
    folder = Path(out_dir) / FOLDER
    paths = []
    for rnd in ROUNDS:
        for table in ("households", "individuals"):
            name = f"ris_{rnd.lower()}_{table}"
            path = folder / f"{name}.csv"
            _write_csv(draw.tables[name], path)
            paths.append(path)
    return paths


def _psu_bases(rnd: str, n_countries: int, most_psus: int) -> np.ndarray:
    """First PSU id of each country: blocks of 100 ids (of 10x more when a country has
    100 clusters or more, at large ``--scale``), so that ids never run into the next
    country's (or round's) block: PSUs stay nested in countries and strata at any scale."""
    span = 100
    while most_psus >= span:
        span *= 10
    blocks: np.ndarray = PSU_BASE[rnd] * (span // 100) + span * np.arange(n_countries)
    return blocks
