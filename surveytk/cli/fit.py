"""``surveytk fit DATA --model M --formula F ... --out FILE``: one model, design-based SEs."""

from __future__ import annotations

from typing import Any

import click

from surveytk.cli.options import design_options

_MODELS = ("logit", "probit", "lpm", "ologit", "oprobit", "mlogit", "panel-fe", "panel-re")
_REPTYPES = ("bootstrap", "jk1", "jkn", "brr", "fay")


@click.command(name="fit")
@click.argument("data", type=click.Path(dir_okay=False, path_type=str))
@click.option("--model", required=True, type=click.Choice(_MODELS), help="Model family.")
@click.option(
    "--formula",
    required=True,
    metavar="F",
    help='Model formula, e.g. "intends_return ~ age + female + C(origin_area)".',
)
@click.option(
    "--weights", metavar="COL", help="Sampling-weight column (zero weights are left out)."
)
@design_options(lonely_psu_default="fail")
@click.option("--repweights", metavar="REGEX", help="Replicate-weight columns (regex).")
@click.option("--reptype", type=click.Choice(_REPTYPES), help="Type of the replicate weights.")
@click.option("--rho", type=float, help="Fay's rho (with --reptype fay).")
@click.option("--mse", is_flag=True, help="Centre replicates at the full-sample estimate.")
@click.option(
    "--replicates",
    type=click.IntRange(min=2),
    metavar="N",
    help="Make N bootstrap replicates from the design (or jackknife with --reptype jk1/jkn).",
)
@click.option("--seed", type=int, metavar="S", help="Seed for --replicates.")
@click.option(
    "--subpop",
    metavar="EXPR",
    help='Domain, e.g. "female == 1" or \'source == "wodc" & age >= 30\'.',
)
@click.option("--ame", is_flag=True, help="Add average marginal effects (delta-method SEs).")
@click.option("--base", metavar="LEVEL", help="Base outcome level (mlogit).")
@click.option("--entity", metavar="COL", help="Entity column (panel models).")
@click.option("--time", metavar="COL", help="Time column (panel models).")
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

    from surveytk.errors import OutputError
    from surveytk.io.atomic import check_not_input
    from surveytk.models.api import fit

    out_path = Path(out)
    if out_path.suffix.lower() not in (".json", ".csv"):
        raise OutputError(f"{out}: --out must end in .json or .csv")
    check_not_input(out_path, [Path(data)])
    result = fit(data, **options)
    result.save(out_path)
    click.echo(_short_summary(result))
    click.echo(f"wrote {out_path}")


def _short_summary(result: object) -> str:
    """Header lines and the coefficient table (no AMEs, which are in the file)."""
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
        head.append(
            "rows left out: " + ", ".join(f"{k} {v}" for k, v in result.dropped.items() if v)
        )
    t = result.tidy(ame=False)[["term", "y_level", "estimate", "std_error", "p_value"]]
    if not t["y_level"].astype(bool).any():
        t = t.drop(columns="y_level")
    head.append(t.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    if result.ame is not None:
        head.append(f"({len(result.ame.terms)} average marginal effects in the output file)")
    head.extend(f"note: {n}" for n in result.notes)
    return "\n".join(head)
