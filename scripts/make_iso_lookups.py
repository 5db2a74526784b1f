"""Rebuild ``codebooks/lookups/iso3166_countries.csv`` and ``iso3166_names.csv``.

Inputs (see ``codebooks/lookups/README.md`` for provenance and licences):

* ``iso3166-1.json`` — the Debian iso-codes ISO 3166-1 table as shipped by pycountry
  (``src/pycountry/databases/iso3166-1.json``): alpha-2, alpha-3, numeric, English name;
* ``<lang>/country.csv`` (``id,value``) for en, de, nl, uk, fi, sv from
  umpirsky/country-list (Unicode CLDR short names).

Usage::

    python scripts/make_iso_lookups.py ISO3166_JSON CLDR_DIR OUT_DIR

``CLDR_DIR`` holds ``en.csv``, ``de.csv``, ... Names that two countries share
(after NFC, trimming and case folding) are left out of the names table so that
every name there identifies one country.
"""

from __future__ import annotations

import csv
import json
import sys
import unicodedata
from pathlib import Path

LANGUAGES = ("en", "de", "nl", "uk", "fi", "sv")


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def build(iso_json: Path, cldr_dir: Path, out_dir: Path) -> None:
    codes = json.loads(iso_json.read_text(encoding="utf-8"))["3166-1"]
    names: dict[str, dict[str, str]] = {}
    for lang in LANGUAGES:
        with (cldr_dir / f"{lang}.csv").open(encoding="utf-8", newline="") as fh:
            names[lang] = {row["id"]: row["value"] for row in csv.DictReader(fh)}
    rows = []
    for c in sorted(codes, key=lambda c: c["alpha_2"]):
        row = {"iso2": c["alpha_2"], "iso3": c["alpha_3"], "numeric": c["numeric"],
               "name_iso": c["name"]}
        row |= {f"name_{lang}": names[lang].get(c["alpha_2"], "") for lang in LANGUAGES}
        rows.append(row)
    with (out_dir / "iso3166_countries.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    seen: dict[str, set[str]] = {}
    entries: list[tuple[str, str, str, str]] = []
    for row in rows:
        for col in ("name_iso", *(f"name_{lang}" for lang in LANGUAGES)):
            name = row[col]
            if not name:
                continue
            key = _norm(name)
            if key in seen and row["iso3"] in seen[key]:
                continue
            seen.setdefault(key, set()).add(row["iso3"])
            entries.append((name, col.removeprefix("name_"), row["iso2"], row["iso3"]))
    ambiguous = {k for k, v in seen.items() if len(v) > 1}
    with (out_dir / "iso3166_names.csv").open("w", encoding="utf-8", newline="") as fh:
        w2 = csv.writer(fh, lineterminator="\n")
        w2.writerow(["name", "language", "iso2", "iso3"])
        w2.writerows(e for e in entries if _norm(e[0]) not in ambiguous)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: make_iso_lookups.py ISO3166_JSON CLDR_DIR OUT_DIR")
    build(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
