"""Design options on the command line and in specs: stages, calibration, lonely PSUs,
and options given twice."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from surveytk.analysis.spec import DesignSpec
from surveytk.cli.main import cli, main

REF = Path(__file__).parent / "reference"
DATA = REF / "data"
API = Path(__file__).parent / "data" / "survey"


def invoke(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(cli, list(args))
    return res.exit_code, res.output


# ---------------------------------------------------------------------------
# a single-valued option given twice
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["fit", "x.csv", "--model", "logit", "--formula", "y ~ x", "--weights", "a",
         "--weights", "b", "--out", "o.json"],
        ["fit", "x.csv", "--model", "logit", "--model", "probit", "--formula", "y ~ x",
         "--out", "o.json"],
        ["tabulate", "x.csv", "--by", "a", "--weights=w1", "--weights", "w2"],
        ["tabulate", "x.csv", "--by", "a", "--lonely-psu", "adjust", "--lonely-psu", "fail"],
        ["tabulate", "x.csv", "--by", "a", "--calibrate", "t.csv", "--calibrate", "u.csv"],
        ["codebook", "check", "--codebook", "a", "--codebook", "b", "--input-dir", "d"],
    ],
)  # fmt: skip
def test_single_valued_option_given_twice_is_refused(args: list[str]) -> None:
    code, out = invoke(*args)
    assert code == 2
    assert "given twice" in out


def test_flag_pair_given_both_ways_is_refused() -> None:
    code, out = invoke("tabulate", "x.csv", "--by", "a", "--labels", "--raw-names")
    assert code == 2 and "both given" in out


def test_repeatable_options_and_values_like_options_pass_the_check() -> None:
    from surveytk.cli.repeated import check_repeated_options
    from surveytk.cli.tabulate import command

    # --by and --psu repeat; a value that looks like an option is a value
    check_repeated_options(command, ["x", "--by", "a", "--by", "b", "--psu", "p", "--psu", "q"])
    check_repeated_options(command, ["x", "--title", "--weights", "--weights", "w"])
    check_repeated_options(command, ["x", "--weights", "w", "--", "--weights"])


# ---------------------------------------------------------------------------
# stages and calibration through the commands
# ---------------------------------------------------------------------------


def test_fit_two_stage_design_from_the_command_line(tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    code, text = invoke(
        "fit", str(DATA / "design_apiclus2.csv"), "--model", "logit", "--formula",
        "sch_wide ~ ell + meals", "--psu", "dnum", "--psu", "snum", "--fpc", "fpc1",
        "--fpc", "fpc2", "--out", str(out),
    )  # fmt: skip
    assert code == 0, text
    ref = pd.read_csv(REF / "design_survey_reference.csv")
    exp = ref[(ref.fixture == "apiclus2_2stage") & (ref.quantity == "glm")].set_index("term")
    coef = json.loads(out.read_text())["coef"]
    se = np.sqrt(np.diag(np.asarray(coef["cov"], dtype=float)))
    np.testing.assert_allclose(coef["estimates"], exp["estimate"], rtol=1e-6)
    np.testing.assert_allclose(se, exp["std_error"], rtol=1e-6)


def test_more_fpc_than_stages_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["fit", str(DATA / "design_apiclus2.csv"), "--model", "logit", "--formula",
              "sch_wide ~ ell", "--psu", "dnum", "--fpc", "fpc1", "--fpc", "fpc2",
              "--out", "unused.json"])  # fmt: skip
    assert exc.value.code != 0
    assert "2 --fpc columns for 1 stage" in capsys.readouterr().err


def test_tabulate_post_stratified_shares_equal_the_population(tmp_path: Path) -> None:
    d = pd.read_csv(API / "apiclus1.csv")
    path = tmp_path / "api.csv"
    d.to_csv(path, index=False)
    code, text = invoke(
        "tabulate", str(path), "--by", "stype", "--weights", "pw", "--psu", "dnum",
        "--fpc", "fpc", "--calibrate", str(DATA / "totals_stype.csv"),
        "--calibration", "poststratify", "--format", "csv", "--digits", "4", "--raw-names",
    )  # fmt: skip
    assert code == 0, text
    from surveytk.tabulate import tabulate

    tab = tabulate(d, ["stype"], weights="pw", psu="dnum", fpc="fpc",
                   design_options={"calibrate": str(DATA / "totals_stype.csv"),
                                   "calibration": "poststratify"})  # fmt: skip
    cells = tab.cells.set_index("level")
    np.testing.assert_allclose(cells.loc[["E", "H", "M"], "share"],
                               np.array([4421, 755, 1018]) / 6194, rtol=1e-12)  # fmt: skip
    # shares of the post-stratification variable are known: no sampling variance
    np.testing.assert_allclose(cells["std_error"], 0.0, atol=1e-12)
    assert "post-stratified" in (tab.design.calibration or "")


def test_calibration_errors_are_one_clear_line(tmp_path: Path) -> None:
    from surveytk.errors import DesignError
    from surveytk.survey.design import SurveyDesign

    d = pd.read_csv(API / "apiclus1.csv")
    bad = tmp_path / "t.csv"
    bad.write_text("variable,level,total\nstype,E,4421\nstype,H,755\n")
    with pytest.raises(DesignError, match="level\\(s\\) 'M' in the data but no population"):
        SurveyDesign.from_options(d, {"weights": "pw", "calibrate": str(bad),
                                      "calibration": "poststratify"})  # fmt: skip
    bad.write_text("variable,level,total\nstype,E,4421\nstype,H,755\nstype,M,1000\nstype,X,5\n")
    with pytest.raises(DesignError, match="empty cell"):
        SurveyDesign.from_options(d, {"weights": "pw", "calibrate": str(bad),
                                      "calibration": "rake"})  # fmt: skip
    bad.write_text("variable,level,total\nstype,E,4421\nstype,H,755\nstype,M,1018\n"
                   "sch.wide,No,10\nsch.wide,Yes,20\n")  # fmt: skip
    with pytest.raises(DesignError, match="disagree on the population size"):
        SurveyDesign.from_options(d, {"weights": "pw", "calibrate": str(bad),
                                      "calibration": "rake"})  # fmt: skip
    with pytest.raises(DesignError, match="did not converge"):
        SurveyDesign.from_options(d, {"weights": "pw", "psu": "dnum",
                                      "calibrate": str(DATA / "totals_linear.csv"),
                                      "calibration_bounds": (0.99, 1.01)})  # fmt: skip
    bad.write_text("variable,level,total\nstype,E,many\n")
    with pytest.raises(DesignError, match="finite number"):
        SurveyDesign.from_options(d, {"weights": "pw", "calibrate": str(bad)})


# ---------------------------------------------------------------------------
# one lonely-PSU default for every command
# ---------------------------------------------------------------------------


def test_fit_and_tabulate_share_the_lonely_psu_default(tmp_path: Path) -> None:
    from surveytk.errors import DesignError
    from surveytk.models import fit
    from surveytk.tabulate import tabulate

    d = pd.read_csv(API / "apistrat.csv")
    d["sch_wide"] = (d["sch.wide"] == "Yes").astype(float)
    d["cluster"] = d["snum"]
    d.loc[d["stype"] == "H", "cluster"] = -1  # stratum H: one PSU
    with pytest.raises(DesignError, match="lonely PSU"):
        tabulate(d, ["sch.wide"], weights="pw", strata="stype", psu="cluster")
    with pytest.raises(DesignError, match="lonely PSU"):
        fit(d, model="logit", formula="sch_wide ~ ell", weights="pw", strata="stype",
            psu="cluster")  # fmt: skip
    assert tabulate(d, ["sch.wide"], weights="pw", strata="stype", psu="cluster",
                    lonely_psu="adjust").cells["std_error"].gt(0).all()  # fmt: skip


# ---------------------------------------------------------------------------
# analysis specs: design with stages
# ---------------------------------------------------------------------------


def test_spec_design_stages() -> None:
    spec = DesignSpec.model_validate(
        {"weights": None, "lonely_psu": "fail",
         "stages": [{"psu": "dnum", "fpc": "fpc1"}, {"psu": "snum", "fpc": "fpc2"}]}
    )  # fmt: skip
    d = pd.read_csv(DATA / "design_apiclus2.csv")
    opts = spec.options(d)
    assert opts["psu"] == ("dnum", "snum") and opts["fpc"] == ("fpc1", "fpc2")
    from surveytk.models import fit

    res = fit(d, model="logit", formula="sch_wide ~ ell + meals", **opts)
    ref = pd.read_csv(REF / "design_survey_reference.csv")
    exp = ref[(ref.fixture == "apiclus2_2stage") & (ref.quantity == "glm")]
    np.testing.assert_allclose(res.std_errors.to_numpy(), exp["std_error"], rtol=1e-6)
    # the single-stage keys keep working
    single = DesignSpec.model_validate({"weights": "pw", "psu": "dnum"}).options(d)
    assert single["psu"] == "dnum" and single["strata"] is None


def test_spec_stages_and_single_keys_conflict() -> None:
    with pytest.raises(ValidationError, match="either as stages or with psu"):
        DesignSpec.model_validate({"psu": "a", "stages": [{"psu": "b"}]})
    with pytest.raises(ValidationError, match="at least one stage"):
        DesignSpec.model_validate({"stages": []})


def test_spec_calibration_path_is_relative_to_the_spec(tmp_path: Path) -> None:
    import shutil

    from surveytk.analysis.runner import fit_model
    from surveytk.analysis.spec import load_spec

    shutil.copy(DATA / "totals_rake.csv", tmp_path / "totals.csv")
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(
        "name: x\ninputs: [{source: api, harmonised: api.parquet}]\nmodels:\n"
        "  - name: m\n    model: logit\n    data: api\n    formula: 'sch_wide ~ ell + meals'\n"
        "    design:\n      weights: pw\n      lonely_psu: fail\n"
        "      stages: [{psu: dnum, fpc: fpc}]\n"
        "      calibrate: totals.csv\n      calibration: rake\n",
        encoding="utf-8",
    )
    spec = load_spec(spec_path)
    model = spec.models[0]
    assert model.design.calibrate == str(tmp_path / "totals.csv")
    d = pd.read_csv(API / "apiclus1.csv")
    d["sch_wide"] = (d["sch.wide"] == "Yes").astype(float)
    res = fit_model(model, d, seed=1)
    ref = pd.read_csv(REF / "design_survey_reference.csv")
    exp = ref[(ref.fixture == "apiclus1_rake") & (ref.quantity == "glm")]
    np.testing.assert_allclose(res.params.to_numpy(), exp["estimate"], rtol=1e-6)
    np.testing.assert_allclose(res.std_errors.to_numpy(), exp["std_error"], rtol=1e-6)
    assert "raked" in (res.design.calibration or "")


def test_bootstrap_reptype_alone_is_an_error() -> None:
    from surveytk.errors import DesignError
    from surveytk.survey.design import SurveyDesign

    d = pd.read_csv(API / "apistrat.csv")
    with pytest.raises(DesignError, match="needs --replicates N"):
        SurveyDesign.from_options(d, {"weights": "pw", "strata": "stype", "reptype": "bootstrap"})
    jk = SurveyDesign.from_options(d, {"weights": "pw", "strata": "stype", "reptype": "jkn"})
    assert jk.reptype == "jkn" and jk.n_replicates == len(d)


def test_spec_tabulation_takes_a_design_block(tmp_path: Path) -> None:
    from surveytk.analysis.spec import TabulationSpec
    from surveytk.analysis.tabulations import write_tabulation
    from surveytk.errors import DesignError, SpecError

    d = pd.read_csv(API / "apistrat.csv")
    d["weight"] = d["pw"]
    d["psu"] = d["snum"]
    d.loc[d["stype"] == "H", "psu"] = -1  # stratum H: a lonely PSU
    d["stratum"] = d["stype"]
    tab = TabulationSpec.model_validate({"name": "t", "data": "x", "by": ["sch.wide"]})
    with pytest.raises(DesignError, match="lonely PSU"):  # the default is fail, as fit's
        write_tabulation(d, tab, tmp_path / "t.md", "md", threshold=10)
    ok = TabulationSpec.model_validate(
        {"name": "t", "data": "x", "by": ["sch.wide"], "design": {"lonely_psu": "adjust"}}
    )
    assert write_tabulation(d, ok, tmp_path / "t.md", "md", threshold=10).exists()
    rep = TabulationSpec.model_validate(
        {"name": "t", "data": "x", "by": ["sch.wide"], "design": {"reptype": "jkn"}}
    )
    with pytest.raises(SpecError, match="linearised variance"):
        write_tabulation(d, rep, tmp_path / "t.md", "md", threshold=10)
