"""``surveytk fit DATA --model M --formula F ... --out FILE``: one model, design-based SEs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from surveytk.cli.options import (
    analysis_data_options,
    design_options,
    replicate_options,
    sheet_option,
)
from surveytk.models.options import AME_VCES, LINKS
from surveytk.models.registry import MODEL_NAMES

F = TypeVar("F", bound=Callable[..., Any])


def model_options(func: F) -> F:
    """Options of the GLM families, tests, margins, predictions and models by group."""
    options = [
        click.option(
            "--link",
            type=click.Choice(LINKS),
            help="Link of poisson/quasipoisson/negbin/gamma (default log).",
        ),
        click.option(
            "--offset",
            metavar="COL",
            help="Offset column added to the linear predictor (GLM families).",
        ),
        click.option(
            "--exposure",
            metavar="COL",
            help="Exposure column; log(COL) is the offset (as Stata exposure()).",
        ),
        click.option(
            "--wald",
            multiple=True,
            metavar="TERMS",
            help='Design-based Wald F test of terms, e.g. "ell + meals" '
            "(repeatable; as R regTermTest).",
        ),
        click.option(
            "--contrast",
            multiple=True,
            metavar="EXPR",
            help='Linear combination of coefficients, e.g. "ell - meals" '
            "(repeatable; as R svycontrast).",
        ),
        click.option(
            "--predict",
            multiple=True,
            metavar="SPEC",
            help='Average predictions at values, e.g. "age=18:75:5, gender" '
            "(x axis, then lines; repeatable). Feeds plot --kind predicted.",
        ),
        click.option(
            "--ame-vce",
            type=click.Choice(AME_VCES),
            default="conditional",
            show_default=True,
            help="AME variance: delta method given the covariates, or Stata's "
            "vce(unconditional) (covariates sampled too).",
        ),
        click.option(
            "--discrete",
            multiple=True,
            metavar="VAR",
            help="Numeric 0/1 variable whose AME is the change 0 -> 1 instead of "
            "the derivative (repeatable).",
        ),
        click.option(
            "--by",
            metavar="COL",
            help="Fit in each level of COL (domains of the full design); --out may "
            "then also be .md/.tex/.html/.docx/.xlsx (a column per level).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.command(name="fit")
@click.argument("data", type=click.Path(dir_okay=False, path_type=str))
@sheet_option()
@click.option("--model", required=True, type=click.Choice(MODEL_NAMES), help="Model family.")
@click.option(
    "--formula",
    required=True,
    metavar="F",
    help='Model formula, e.g. "intends_return ~ age + female + C(origin_area)".',
)
@click.option(
    "--weights", metavar="COL", help="Sampling-weight column (zero weights are left out)."
)
@design_options()
@replicate_options()
@click.option(
    "--subpop",
    metavar="EXPR",
    help='Domain, e.g. "female == 1" or \'source == "wodc" & age >= 30\'.',
)
@analysis_data_options()
@click.option("--ame", is_flag=True, help="Add average marginal effects (delta-method SEs).")
@click.option("--base", metavar="LEVEL", help="Base outcome level (mlogit).")
@click.option("--entity", metavar="COL", help="Entity column (panel models).")
@click.option("--time", metavar="COL", help="Time column (panel models).")
@model_options
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=str),
    help="Write the result to FILE.json (everything) or FILE.csv (tidy table).",
)
def command(data: str, out: str, **options: Any) -> None:
    """Fit one model to DATA with design-based standard errors and save it.

    Example: `surveytk fit pooled.parquet --model logit --formula "intends_return ~ age +
    female" --weights weight --strata stratum --psu psu --ame --out logit.json`
    """
    from pathlib import Path

    from surveytk.io.atomic import check_not_input
    from surveytk.models.api import run_fit as fit

    out_path = Path(out)
    _check_out(out_path, by=options.get("by") is not None)
    check_not_input(out_path, [Path(data)])
    result = fit(data, **options)
    _save(result, out_path)
    click.echo(_summary_any(result))
    click.echo(f"wrote {out_path}")


#: formatted-table suffixes ``fit --by --out`` accepts besides .json and .csv
TABLE_SUFFIXES = (".md", ".tex", ".html", ".docx", ".xlsx")


def _save(result: object, out_path: object) -> None:
    """JSON/CSV through the result; a --by table (a column per level) through the report."""
    from pathlib import Path

    from surveytk.models.by import ResultSet
    from surveytk.models.results import FitResult

    assert isinstance(out_path, Path) and isinstance(result, FitResult | ResultSet)
    if isinstance(result, ResultSet) and out_path.suffix.lower() in TABLE_SUFFIXES:
        from surveytk.report.tables import write_table

        write_table(list(result.results), out_path, labels=list(result.levels))
        return
    result.save(out_path)


def _check_out(out_path: object, *, by: bool) -> None:
    from pathlib import Path

    from surveytk.errors import OutputError

    assert isinstance(out_path, Path)
    allowed = (".json", ".csv", *(TABLE_SUFFIXES if by else ()))
    if out_path.suffix.lower() not in allowed:
        raise OutputError(f"{out_path}: --out must end in {', '.join(allowed)}")


def _summary_any(result: object) -> str:
    """One summary, or one per level of --by."""
    from surveytk.models.by import ResultSet

    if not isinstance(result, ResultSet):
        return _short_summary(result)
    parts = [
        f"== {result.by} = {lev}\n{_short_summary(r)}"
        for lev, r in zip(result.levels, result.results, strict=True)
    ]
    return "\n".join(parts)


def _short_summary(result: object) -> str:
    """Header lines and the coefficient table (no AMEs, which are in the file)."""
    from surveytk.disclosure import counts_text
    from surveytk.models.results import FitResult
    from surveytk.survey.summary_names import sample_line

    assert isinstance(result, FitResult)
    d = result.design
    head = [
        f"{result.model}: {result.formula}",
        d.describe(),
        sample_line(d.n_obs, d.sum_weights, d.df_design, result.df_resid),
    ]
    if any(result.dropped.values()):
        head.append("rows left out: " + counts_text(result.dropped))
    t = result.tidy(ame=False, tests=False)[["term", "y_level", "estimate", "std_error", "p_value"]]
    if not t["y_level"].astype(bool).any():
        t = t.drop(columns="y_level")
    head.append(t.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    head.extend(_test_lines(result))
    if result.ame is not None:
        head.append(f"({len(result.ame.terms)} average marginal effects in the output file)")
    head.extend(f"note: {n}" for n in result.notes)
    return "\n".join(head)


def _test_lines(result: object) -> list[str]:
    """Wald tests and contrasts, one line each."""
    from surveytk.models.results import FitResult

    assert isinstance(result, FitResult)
    lines = []
    for t in result.tests:
        if t["effect"] == "wald":
            den = f", {t['df_den']:g}" if t["df_den"] is not None else ""
            name = "F" if t["df_den"] is not None else "chi2"
            lines.append(
                f"Wald test {t['term']}: {name}({t['df_num']:g}{den}) = "
                f"{t['statistic']:.4g}, p = {t['p_value']:.4g}"
            )
        else:
            lines.append(
                f"contrast {t['term']}: {t['estimate']:.4g} (SE {t['std_error']:.4g}), "
                f"p = {t['p_value']:.4g}"
            )
    if any(r.get("x_var") for r in result.extra.get("predictions") or []):
        lines.append(f"({len(result.extra['predictions'])} predictions in the output file)")
    return lines
