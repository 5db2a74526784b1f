"""``surveytk estimate DATA --mean VAR ...``: descriptive estimates and tests, design-based."""

from __future__ import annotations

from typing import Any

import click

from surveytk.cli.options import (
    analysis_data_options,
    design_options,
    replicate_options,
    sheet_option,
    subpop_option,
)

_CI = ("wald", "logit", "beta")
_RANK_SCORES = ("wilcoxon", "vanderwaerden", "median")
_OUT_SUFFIXES = (".csv", ".json", ".md", ".tex", ".html", ".docx", ".xlsx")


def _pairs(values: tuple[str, ...], sep: str, option: str) -> tuple[tuple[str, str], ...]:
    out = []
    for v in values:
        parts = [p.strip() for p in v.split(sep)]
        if len(parts) != 2 or not all(parts):
            raise click.BadParameter(f"expecting A{sep}B, got {v!r}", param_hint=option)
        out.append((parts[0], parts[1]))
    return tuple(out)


def _once(values: tuple[str, ...], option: str) -> str | None:
    """The value of an option given at most once (a repeat is an error, never ignored)."""
    if len(values) > 1:
        raise click.BadParameter(
            f"given {len(values)} times; give it once (for two domain variables, use --by "
            "with one and --subpop for a level of the other)",
            param_hint=option,
        )
    return values[0] if values else None


def _probs(text: str) -> tuple[float, ...]:
    try:
        probs = tuple(float(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise click.BadParameter(f"expecting numbers like 0.25,0.5; got {text!r}") from None
    if not probs or any(not 0 <= p <= 1 for p in probs):
        raise click.BadParameter(f"probabilities lie in [0, 1]; got {text!r}")
    return probs


@click.command(name="estimate")
@click.argument("data", type=click.Path(dir_okay=False, path_type=str))
@sheet_option()
@click.option("--mean", multiple=True, metavar="VAR", help="Mean of VAR (repeatable).")
@click.option("--total", multiple=True, metavar="VAR", help="Population total of VAR.")
@click.option("--ratio", multiple=True, metavar="NUM/DEN", help="Ratio of totals NUM/DEN.")
@click.option("--quantile", multiple=True, metavar="VAR", help="Quantiles of VAR (see --probs).")
@click.option(
    "--probs",
    multiple=True,
    metavar="P,P",
    help="Probabilities of --quantile, comma-separated (default 0.5).",
)
@click.option("--prop", multiple=True, metavar="VAR", help="Proportion of every level of VAR.")
@click.option(
    "--by", multiple=True, metavar="VAR", help="Estimate in each level of VAR (domains, as svyby)."
)
@click.option("--deff", is_flag=True, help="Add design effects (as R deff=TRUE).")
@click.option(
    "--ci",
    type=click.Choice(_CI),
    default="logit",
    show_default=True,
    help="Interval for proportions (as R svyciprop; beta = Korn-Graubard).",
)
@click.option(
    "--chisq", multiple=True, metavar="A,B", help="Rao-Scott F test of A and B (svychisq)."
)
@click.option("--ttest", multiple=True, metavar="VAR,GROUP", help="t-test of VAR across GROUP.")
@click.option("--ranktest", multiple=True, metavar="VAR,GROUP", help="Rank test across GROUP.")
@click.option(
    "--rank-score",
    type=click.Choice(_RANK_SCORES),
    default="wilcoxon",
    show_default=True,
    help="Scores of --ranktest (as R svyranktest).",
)
@click.option(
    "--level",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.95,
    show_default=True,
    help="Confidence level.",
)
@click.option("--weights", metavar="COL", help="Sampling-weight column (default: equal weights).")
@design_options(lonely_psu_default="fail")
@replicate_options()
@subpop_option()
@analysis_data_options()
@click.option(
    "--threshold",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Disclosure threshold: estimates from fewer respondents are suppressed.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=str),
    help="FILE.csv (tidy), .json (everything), .md/.tex/.html/.docx/.xlsx (formatted).",
)
@click.option("--digits", type=click.IntRange(0, 10), default=3, show_default=True)
def command(
    data: str,
    mean: tuple[str, ...],
    total: tuple[str, ...],
    ratio: tuple[str, ...],
    quantile: tuple[str, ...],
    probs: tuple[str, ...],
    prop: tuple[str, ...],
    by: tuple[str, ...],
    deff: bool,
    ci: str,
    chisq: tuple[str, ...],
    ttest: tuple[str, ...],
    ranktest: tuple[str, ...],
    rank_score: str,
    level: float,
    threshold: int,
    out: str | None,
    digits: int,
    **design: Any,
) -> None:
    """Means, totals, ratios, quantiles and proportions of DATA with design-based
    standard errors, by domain, and design-based tests.

    Example: `surveytk estimate apistrat.csv --weights pw --strata stype --fpc fpc
    --mean api00 --quantile api00 --probs 0.25,0.5 --prop sch.wide --by stype --deff`
    """
    import dataclasses
    from pathlib import Path

    from surveytk.estimate import EstimateRequest, estimate

    request = EstimateRequest(
        mean=mean,
        total=total,
        ratio=_pairs(ratio, "/", "--ratio"),
        quantile=quantile,
        probs=_probs(_once(probs, "--probs") or "0.5"),
        prop=prop,
        chisq=_pairs(chisq, ",", "--chisq"),
        ttest=_pairs(ttest, ",", "--ttest"),
        ranktest=_pairs(ranktest, ",", "--ranktest"),
        rank_score=rank_score,
        by=_once(by, "--by"),
        ci=ci,
        deff=deff,
        level=level,
        threshold=threshold,
    )
    out_path = Path(out) if out else None
    if out_path is not None:
        _check_out(out_path, Path(data))
    data_options = {
        k: design.pop(k) for k in ("define", "keep_user_missing", "value_labels", "sheet")
    }
    frame, design_obj, missing_notes = _frame_and_design(data, request, design, data_options)
    table = estimate(frame, design_obj, request)
    table = dataclasses.replace(table, notes=(*missing_notes, *table.notes))
    if out_path is None:
        click.echo(table.to_text())
        return
    _write(table, out_path, digits)
    click.echo(table.to_text())
    click.echo(f"wrote {out_path}")


def _check_out(out: Any, data: Any) -> None:
    from surveytk.errors import OutputError
    from surveytk.io.atomic import check_not_input

    if out.suffix.lower() not in _OUT_SUFFIXES:
        raise OutputError(f"{out}: --out must end in one of {', '.join(_OUT_SUFFIXES)}")
    check_not_input(out, [data])


def _frame_and_design(
    data: str, request: Any, design: dict[str, Any], data_options: dict[str, Any]
) -> tuple[Any, Any, tuple[str, ...]]:
    """Read DATA as `fit` does (declared missing set missing, definitions applied) and
    build the design through `fit`'s path; also the declared-missing notes."""
    from surveytk.analysis_frame import load_analysis_frame
    from surveytk.language.expr import definition_inputs, parse_condition, parse_definitions
    from surveytk.survey.design import SurveyDesign, design_columns
    from surveytk.survey.options import DesignOptions

    options = DesignOptions.of(design)
    definitions = parse_definitions(data_options["define"])
    columns: list[str] | None = None
    if options.repweights is None:
        columns = list(request.variables())
        if options.weights:
            columns.append(options.weights)
        columns.extend(design_columns(options))  # every stage, calibration variables
        if options.subpop:
            columns.extend(parse_condition(options.subpop).columns)
        columns = definition_inputs(definitions, list(dict.fromkeys(columns)))
    loaded = load_analysis_frame(
        data,
        columns=columns,
        keep_user_missing=data_options["keep_user_missing"],
        definitions=definitions,
        labels=data_options["value_labels"],
        sheet=data_options["sheet"],
    )
    notes = loaded.notes(request.threshold, list(request.variables()))
    return loaded.data, SurveyDesign.from_options(loaded.data, options), notes


def _write(table: Any, out: Any, digits: int) -> None:
    from surveytk.io.atomic import write_bytes_atomic
    from surveytk.io.formats import format_from_path
    from surveytk.report.render_estimate import render_estimates
    from surveytk.report.tables import SUFFIX_FORMATS

    fmt = format_from_path(out, {**SUFFIX_FORMATS, ".json": "json"})
    write_bytes_atomic(out, render_estimates(table, fmt, digits=digits))
