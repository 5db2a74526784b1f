"""Click options and helpers shared by several commands (defined once, applied as decorators).

Only click and the design vocabulary (:mod:`surveytk.survey.options`, dataclasses
and typing only) are imported at module level; the commands' ``--help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

# the design vocabulary (a light module: dataclasses and typing only)
from surveytk.survey.options import (
    CALIBRATION_METHODS,
    DEFAULT_LONELY_PSU,
    LONELY_PSU_RULES,
    REP_TYPES,
)

if TYPE_CHECKING:
    from surveytk.models.results import FitResult

F = TypeVar("F", bound=Callable[..., Any])

#: table formats of ``surveytk table`` and ``surveytk tabulate``
FORMATS = ("md", "latex", "html", "docx", "xlsx", "csv", "parquet")


def _stack(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """One decorator applying ``decorators`` so that they list in the given order."""

    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def design_options(*, lonely_psu_default: str = DEFAULT_LONELY_PSU) -> Callable[[F], F]:
    """The design options of every analysis command (weights differ per command).

    ``--strata``, ``--psu`` and ``--fpc`` repeat, one per sampling stage, first to
    last; ``--lonely-psu`` and ``--adjust-domain-lonely``; calibration
    (``--calibrate``, ``--calibration``, ``--calibration-bounds``) and ``--trim``.
    The command passes them on to :meth:`surveytk.survey.design.SurveyDesign.from_options`.
    """
    return _stack(
        click.option(
            "--strata",
            multiple=True,
            metavar="COL",
            help="Stratum column; repeat for the strata of later stages (first to last).",
        ),
        click.option(
            "--psu",
            multiple=True,
            metavar="COL",
            help="Sampling-unit (cluster) column; repeat for a multistage design: "
            "--psu district --psu school (first stage first).",
        ),
        click.option(
            "--fpc",
            multiple=True,
            metavar="COL",
            help="Finite population correction, one per stage: fraction (≤ 1) or "
            "population count of units.",
        ),
        click.option(
            "--lonely-psu",
            type=click.Choice(LONELY_PSU_RULES),
            default=lonely_psu_default,
            show_default=True,
            help="Rule for strata with a single PSU (as R survey.lonely.psu).",
        ),
        click.option(
            "--adjust-domain-lonely",
            is_flag=True,
            help="Apply the --lonely-psu rule to strata with one PSU in the domain too "
            "(R survey.adjust.domain.lonely).",
        ),
        click.option(
            "--calibrate",
            metavar="TOTALS.csv",
            type=click.Path(dir_okay=False, path_type=str),
            help="Calibrate the weights to population totals (columns variable,level,total).",
        ),
        click.option(
            "--calibration",
            type=click.Choice(CALIBRATION_METHODS),
            default="linear",
            show_default=True,
            help="Calibration method (with --calibrate).",
        ),
        click.option(
            "--calibration-bounds",
            type=(float, float),
            default=None,
            metavar="LOW HIGH",
            help="Bounds on the g-weights of linear calibration, e.g. 0.5 2.",
        ),
        click.option(
            "--nonresponse",
            metavar="CLASS",
            help="Adjust the weights for nonresponse within the classes of CLASS "
            "(with --respondent).",
        ),
        click.option(
            "--respondent",
            metavar="COL",
            help="Response indicator (1 responded, 0 not) for --nonresponse.",
        ),
        click.option(
            "--trim",
            type=(float, float),
            default=None,
            metavar="LOW HIGH",
            help="Trim weights to [LOW, HIGH] after calibration (R trimWeights).",
        ),
    )


def sheet_option() -> Callable[[F], F]:
    """``--sheet NAME|N`` (into ``sheet``): the workbook sheet a command reads."""
    return click.option(
        "--sheet",
        default=None,
        metavar="NAME|N",
        help="Sheet of an .xlsx/.xls workbook, by name or number (from 1); required when "
        "the workbook has several sheets.",
    )


def replicate_options() -> Callable[[F], F]:
    """Replicate-weight variance: shipped (``--repweights``) or made from the design."""
    return _stack(
        click.option("--repweights", metavar="REGEX", help="Replicate-weight columns (regex)."),
        click.option(
            "--reptype",
            type=click.Choice(REP_TYPES),
            help="Type of the replicate weights; alone (jk1, jkn, brr, fay) it makes them "
            "from the design.",
        ),
        click.option("--rho", type=float, help="Fay's rho (with --reptype fay)."),
        click.option(
            "--scale", type=float, help="Replicate variance scale (overrides the type's default)."
        ),
        click.option(
            "--rscales",
            metavar="R1,R2,...",
            callback=_floats,
            help="Per-replicate scales, comma-separated (one value: the same for all); "
            "shipped jkn weights need them.",
        ),
        click.option("--mse", is_flag=True, help="Centre replicates at the full-sample estimate."),
        click.option(
            "--replicates",
            type=click.IntRange(min=2),
            metavar="N",
            help="Make N bootstrap replicates from the design (--reptype bootstrap or "
            "subbootstrap).",
        ),
        click.option("--seed", type=int, metavar="S", help="Seed for --replicates."),
    )


def _floats(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[float, ...] | None:
    if value is None:
        return None
    try:
        return tuple(float(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"expecting numbers separated by commas, got {value!r}") from None


def format_option(help: str) -> Callable[[F], F]:
    """``--format/-f`` (into the parameter ``fmt``), one of :data:`FORMATS`."""
    return click.option(
        "--format", "-f", "fmt", type=click.Choice(FORMATS), default=None, help=help
    )


def digits_option(*, most: int, default: int, help: str) -> Callable[[F], F]:
    """``--digits`` from 0 to ``most``."""
    return click.option(
        "--digits",
        type=click.IntRange(0, most),
        default=default,
        show_default=True,
        help=help,
    )


def labels_option(
    help: str = "Variable and level labels from the common schema, or raw names.",
) -> Callable[[F], F]:
    """``--labels/--raw-names`` (into ``labels``)."""
    return click.option("--labels/--raw-names", default=True, show_default=True, help=help)


def schema_option() -> Callable[[F], F]:
    """``--schema`` for labels (into ``schema``)."""
    return click.option(
        "--schema",
        type=click.Path(path_type=Path),
        default=None,
        help="Schema file for labels (default codebooks/schema.yaml).",
    )


def column_labels_option(help: str) -> Callable[[F], F]:
    """Repeatable ``--label`` (into ``column_labels``), one per results file."""
    return click.option("--label", "column_labels", multiple=True, help=help)


def title_option(help: str) -> Callable[[F], F]:
    """``--title``."""
    return click.option("--title", default=None, help=help)


def load_results(
    results: Sequence[Path], column_labels: Sequence[str]
) -> tuple[list[FitResult], list[str]]:
    """Load RESULTS files and name them: ``--label`` values, else result label or file stem.

    Raises
    ------
    OutputError
        ``--label`` given, but not once per results file.
    """
    from surveytk.errors import OutputError

    if column_labels and len(column_labels) != len(results):
        raise OutputError(
            f"--label given {len(column_labels)} times for {len(results)} results files; "
            "give one per file or none"
        )
    from surveytk.models.by import load_any

    per_file = [load_any(p) for p in results]  # a `fit --by` file holds one result per level
    if column_labels and any(len(rs) != 1 for rs in per_file):
        raise OutputError(
            "--label cannot name the columns of a results-by-group file (fit --by); "
            "their headings are the levels"
        )
    loaded = [r for rs in per_file for r in rs]
    heads = list(column_labels) or [
        r.label or p.stem for rs, p in zip(per_file, results, strict=True) for r in rs
    ]
    return loaded, heads


def analysis_data_options() -> Callable[[F], F]:
    """``--define``, ``--keep-user-missing`` and ``--value-labels/--codes`` of analysis commands.

    Into ``define`` (tuple of ``NAME=EXPR``), ``keep_user_missing`` and ``value_labels``.
    """
    return _stack(
        click.option(
            "--define",
            "define",
            multiple=True,
            metavar="NAME=EXPR",
            help='Derived variable, repeatable, e.g. --define "young=age < 30" --define '
            '"agegrp=cut(age, [18, 30, 45, 65])" (docs/formulas.md).',
        ),
        click.option(
            "--keep-user-missing",
            is_flag=True,
            help="Keep SPSS declared user-missing codes as values (default: they are "
            "missing, and the output says how many per variable).",
        ),
        click.option(
            "--value-labels/--codes",
            "value_labels",
            default=True,
            show_default=True,
            help="Name levels of labelled numeric variables by their value labels, or codes.",
        ),
    )


def subpop_option() -> Callable[[F], F]:
    """``--subpop EXPR``: a domain of the full design."""
    return click.option(
        "--subpop",
        metavar="EXPR",
        help='Domain, e.g. "female == 1" or \'source == "wodc" & age >= 30\'.',
    )
