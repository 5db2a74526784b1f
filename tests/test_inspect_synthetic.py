"""`surveytk inspect` on synthetic deliveries shows SOURCES.md's labels and missing codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from surveytk.cli.main import cli
from surveytk.synth import write_synthetic_sources


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    write_synthetic_sources(out, seed=7, scale=0.05, sources=["wodc", "soep_ukr", "fi_moi"])
    return out


def _inspect(path: Path) -> dict[str, dict[str, object]]:
    result = CliRunner().invoke(cli, ["inspect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    return {v["name"]: v for v in report["variables"]}


def _labels(var: dict[str, object]) -> dict[object, str]:
    return {d["code"]: d["label"] for d in var["value_labels"]}  # type: ignore[attr-defined]


def test_wodc_dutch_labels_and_declared_user_missing(synth: Path) -> None:
    v = _inspect(synth / "wodc" / "locov_w1.sav")
    assert _labels(v["geslacht"]) == {1: "Man", 2: "Vrouw", 3: "Anders / wil niet zeggen",
                                      98: "Weet niet", 99: "Wil niet zeggen"}
    for item in ("geslacht", "betaald_werk", "partner_kind_oekraine", "terugkeer_veilig",
                 "opvang"):
        assert sorted(v[item]["missing_values"]) == [98, 99], item  # type: ignore[arg-type]
    assert _labels(v["terugkeer_veilig"])[3] == "Twijfel"
    assert _labels(v["herkomst_oblast"])[2] == "Kharkiv Oblast (Харківська область)"


def test_soep_bracketed_labels_and_negative_codes(synth: Path) -> None:
    v = _inspect(synth / "soep_ukr" / "pl.dta")
    labels = _labels(v["plj0085_v1"])
    assert labels[1] == "[1] Yes" and labels[2] == "[2] No"
    assert labels[-1].startswith("[-1] ")
    assert _labels(v["plb0022_v11"])[9] == "[9] Not employed"


def test_finland_no_answer_is_labelled_not_declared(synth: Path) -> None:
    v = _inspect(synth / "fi_moi" / "fi_moi_2025.sav")
    assert _labels(v["q2"])[6] == "65 or older"
    assert _labels(v["q30"])[99] == "No answer"
    assert v["q30"]["missing_values"] == []
