"""The exact label sets of the four synthetic deliveries (SOURCES.md, "Exact labels").

Everything a file says in words lives here: value labels, variable labels (question
wording in the source's language) and the text values of the UNHCR CSV exports.
Oblast names come from the project lookup ``codebooks/lookups/oblasts_ua.csv`` (SOEP
``lr3586`` code, ISO 3166-2, English and Ukrainian names, origin area).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from surveytk.paths import BUILTIN_LOOKUP_DIR as LOOKUP_DIR

# --------------------------------------------------------------------------- lookups


@dataclass(frozen=True)
class Oblast:
    """One row of ``oblasts_ua.csv``."""

    code: int
    iso: str
    name_en: str
    name_uk: str
    area: str


@dataclass(frozen=True)
class Country:
    """One row of ``geodist_ukr.csv`` (CEPII GeoDist, distances to Ukraine in km)."""

    iso3: str
    contig: bool
    distcap: float
    distw: float


@cache
def oblasts() -> tuple[Oblast, ...]:
    """The 27 regions of Ukraine in SOEP ``lr3586`` code order."""
    with (LOOKUP_DIR / "oblasts_ua.csv").open(encoding="utf-8", newline="") as fh:
        rows = [
            Oblast(
                int(r["soep_lr3586"]), r["iso_3166_2"], r["name_en"], r["name_uk"], r["origin_area"]
            )
            for r in csv.DictReader(fh)
        ]
    return tuple(sorted(rows, key=lambda o: o.code))


@cache
def countries() -> dict[str, Country]:
    """CEPII distances by ISO3 code (rows with a missing ``distw`` are left out)."""
    out: dict[str, Country] = {}
    with (LOOKUP_DIR / "geodist_ukr.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            if not r["distw"]:
                continue
            out[r["iso3"]] = Country(
                r["iso3"], r["contig"] == "1", float(r["distcap"]), float(r["distw"])
            )
    return out


ORIGIN_AREAS = ("occupied", "frontline", "kyiv", "lviv", "west", "centre")

# --------------------------------------------------------------------------- SOEP

SOEP_MISSING: dict[int, str] = {
    -1: "no answer / don't know",
    -2: "does not apply",
    -3: "implausible value",
    -4: "inadmissible multiple response",
    -5: "not included in this version of the questionnaire",
    -6: "version of questionnaire with modified filtering",
    -7: "only available in less restricted edition",
    -8: "question not part of the survey programme this year",
    -9: "interview terminated",
}

SOEP_YES_NO = {1: "Yes", 2: "No"}
SOEP_SEX = {1: "male", 2: "female"}
SOEP_STAY_HOW_LONG = {1: "For one more year at most", 2: "For a few more years"}
SOEP_EMPLOYMENT = {
    1: "Employed full-time",
    2: "Employed part-time",
    3: "Completing in-service training / apprenticeship / in-service retraining",
    4: "In marginal or irregular employment",
    5: "In partial retirement, phase with zero working hours",
    7: "Voluntary social / ecological year, federal volunteer service",
    9: "Not employed",
    10: "Working reduced hours (short-time work)",
    11: "Completing an internship",
}
SOEP_PSAMPLE = {44: "M9 Refugees from Ukraine 2022", 48: "M10 Refugees from Ukraine 2023"}
SOEP_CORIGIN_UKRAINE = 157  # (assumed) SOEP country code of Ukraine
SOEP_CORIGIN = {SOEP_CORIGIN_UKRAINE: "Ukraine"}
SOEP_BULA = {
    1: "Schleswig-Holstein",
    2: "Hamburg",
    3: "Lower Saxony",
    4: "Bremen",
    5: "North Rhine-Westphalia",
    6: "Hesse",
    7: "Rhineland-Palatinate",
    8: "Baden-Wuerttemberg",
    9: "Bavaria",
    10: "Saarland",
    11: "Berlin",
    12: "Brandenburg",
    13: "Mecklenburg-Western Pomerania",
    14: "Saxony",
    15: "Saxony-Anhalt",
    16: "Thuringia",
}
SOEP_MONTHS = {
    m: name
    for m, name in enumerate(
        (
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        start=1,
    )
}


def soep_label_set(substantive: dict[int, str] | None = None) -> dict[int, str]:
    """A SOEP label set: ``[code] text`` for the missing codes −9…−1 and the substantive codes."""
    merged = {**SOEP_MISSING, **(substantive or {})}
    return {code: f"[{code}] {text}" for code, text in sorted(merged.items())}


def soep_oblast_labels() -> dict[int, str]:
    return {o.code: o.name_en for o in oblasts()}


SOEP_VARIABLE_LABELS: dict[str, dict[str, str]] = {
    "ppathl": {
        "pid": "Never changing person ID",
        "syear": "Survey year",
        "hid": "Current wave household number",
        "sex": "Sex",
        "gebjahr": "Year of birth",
        "gebmonat": "Month of birth",
        "psample": "Sample membership",
        "immiyear": "Year of immigration",
        "corigin": "Country of origin",
        "phrf": "Cross-sectional weight (person)",
    },
    "pl": {
        "pid": "Never changing person ID",
        "syear": "Survey year",
        "hid": "Current wave household number",
        "plj0085_v1": "Do you want to stay in Germany forever?",
        "plj0086_v1": "How long do you want to stay?",
        "plb0022_v11": "Employment status",
        "pmonin": "Month of interview",
    },
    "hl": {
        "hid": "Current wave household number",
        "syear": "Survey year",
        "hlk0044_v2": "Children born 2006 or later in the household",
    },
    "biol": {
        "pid": "Never changing person ID",
        "lr3586": "Region of Ukraine last lived in",
        "lr3130": "Year of arrival in Germany",
        "lr3131": "Month of arrival in Germany",
        "prev_nrkid": "Number of children",
        "lr3192": "Do you have children?",
    },
    "hbrutto": {
        "hid": "Current wave household number",
        "syear": "Survey year",
        "bula_h": "Federal state",
        "sample1": "Sample membership",
    },
    "design": {
        "hid": "Current wave household number",
        "psu": "Primary sampling unit (sampling municipality)",
        "strat": "Stratum",
    },
}

# --------------------------------------------------------------------------- UNHCR

UNHCR_INTENTIONS = (
    "Not planning or hoping to return",  # stay
    "Undecided",
    "Hoping to return one day",  # return_someday
    "Planning to return within the next 12 months",  # return_soon
)
UNHCR_YES_NO = ("Yes", "No")
UNHCR_STRATA = ("Neighbouring", "Non-neighbouring")
UNHCR_SAMPLE_TYPES = ("Panel", "Fresh")
UNHCR_RELATIONS = (
    "Respondent",
    "Spouse/partner",
    "Child",
    "Parent",
    "Sibling",
    "Other relative",
    "Other",
)
UNHCR_SEX = ("Female", "Male")
UNHCR_EMPLOYMENT = (
    "Employed",
    "Self-employed",
    "Unemployed, looking for work",
    "Student",
    "Retired",
    "Taking care of household",
    "Other",
    "Prefer not to say",
)
#: English host names as UNHCR writes them → ISO 3166-1 alpha-3.
UNHCR_COUNTRIES: dict[str, str] = {
    "Poland": "POL",
    "Czech Republic": "CZE",
    "Germany": "DEU",
    "Slovakia": "SVK",
    "Romania": "ROU",
    "Republic of Moldova": "MDA",
    "Hungary": "HUN",
    "Bulgaria": "BGR",
    "Lithuania": "LTU",
    "Latvia": "LVA",
    "Estonia": "EST",
    "Italy": "ITA",
    "Spain": "ESP",
    "France": "FRA",
    "Belgium": "BEL",
    "Netherlands": "NLD",
    "Austria": "AUT",
    "Ireland": "IRL",
}
UNHCR_AGE_DONT_KNOW = 98

# --------------------------------------------------------------------------- WODC

WODC_MISSING = {98: "Weet niet", 99: "Wil niet zeggen"}
WODC_GESLACHT = {1: "Man", 2: "Vrouw", 3: "Anders / wil niet zeggen"}
WODC_JA_NEE = {1: "Ja", 2: "Nee"}
WODC_TERUGKEER = {1: "Ja", 2: "Nee", 3: "Twijfel"}
WODC_OPVANG = {1: "Gemeentelijke opvang", 2: "Particuliere opvang", 3: "Eigen woning"}
WODC_STRATA = {
    1: "Minder dan 20.000 inwoners",
    2: "20.000 tot 50.000 inwoners",
    3: "50.000 tot 100.000 inwoners",
    4: "100.000 tot 250.000 inwoners",
    5: "250.000 inwoners of meer",
}


def wodc_oblast_labels() -> dict[int, str]:
    return {o.code: f"{o.name_en} ({o.name_uk})" for o in oblasts()}


WODC_VARIABLE_LABELS = {
    "respnr": "Respondentnummer",
    "gewicht": "Weegfactor",
    "strata": "Stratum: gemeentegrootteklasse",
    "geslacht": "Geslacht",
    "geboortejaar": "Geboortejaar",
    "interviewdatum": "Datum van het interview",
    "betaald_werk": "Heeft u op dit moment betaald werk?",
    "kinderen_u18": "Aantal eigen kinderen jonger dan 18 jaar in uw huishouden",
    "partner_kind_oekraine": "Verblijft uw partner of een kind van u nog in Oekraïne?",
    "herkomst_oblast": "In welke regio (oblast) woonde u voordat u Oekraïne verliet?",
    "aankomst_jaar": "In welk jaar bent u in Nederland aangekomen?",
    "aankomst_maand": "In welke maand bent u in Nederland aangekomen?",
    "terugkeer_veilig": "Wilt u terugkeren als Oekraïne weer veilig is?",
    "opvang": "In wat voor opvang of woning verblijft u?",
}

# --------------------------------------------------------------------------- Finland

FI_NO_ANSWER = {99: "No answer"}
FI_Q1 = {1: "Female", 2: "Male", 3: "Other", 4: "Prefer not to say"}
FI_Q2 = {1: "18-24", 2: "25-34", 3: "35-44", 4: "45-54", 5: "55-64", 6: "65 or older"}
FI_Q12 = {1: "Yes", 2: "No"}
FI_Q15 = {
    1: "Employed full-time",
    2: "Employed part-time",
    3: "Entrepreneur",
    4: "Student",
    5: "Unemployed",
    6: "Parental leave",
    7: "Retired",
    8: "Other",
}
FI_Q30 = {
    1: "Return to Ukraine after the war",
    2: "Return to Ukraine as soon as possible",
    3: "Stay in Finland",
    4: "Move to another country",
    5: "Undecided",
}
FI_Q31 = {1: "None", 2: "Basic", 3: "Intermediate", 4: "Good", 5: "Fluent"}  # (assumed)


def fi_oblast_labels() -> dict[int, str]:
    return {o.code: o.name_en for o in oblasts()}


FI_VARIABLE_LABELS = {
    "id": "Respondent ID",
    "q1": "What is your gender?",
    "q2": "What is your age?",
    "q3": "In which region of Ukraine did you live before leaving?",
    "q5": "In which year did you arrive in Finland?",
    "q8": "How many of your own children under 18 live with you in Finland?",
    "q12": "Is your spouse/partner or any of your children still in Ukraine?",
    "q15": "What is your main activity at the moment?",
    "q30": "What are your plans for the future?",
    "q31": "How would you rate your Finnish language skills?",
    "resp_date": "Date of response",
}
