"""surveytk: survey microdata, from raw files to design-based estimates.

The workflow in Python::

    import surveytk

    # 1. read a file (SPSS, Stata, CSV, Excel, Parquet) with its labels
    lf = surveytk.read_file("apistrat.csv")

    # 2. bind the data to their design once (R svydesign)
    svy = surveytk.Survey(lf, weights="pw", strata="stype", fpc="fpc",
                          define={"wide": '`sch.wide` == "Yes"'})

    # 3. describe: means, totals, proportions, quantiles, shares
    svy.describe(mean="api00", by="stype").tidy()
    svy.tabulate("stype").to_frame()

    # 4. model, then continue from the result
    res = svy.fit(model="logit", formula="wide ~ ell + meals + stype")
    res.tidy(exponentiate=True)               # odds ratios
    res.predict(newdata)                      # predictions with intervals
    res.margins(at={"stype": None})           # predictive margins
    res.margins()                             # average marginal effects
    res.save("fit.json"); surveytk.load_result("fit.json")

``surveytk.fit(data, model=..., formula=..., weights=..., ...)`` fits without a
:class:`Survey`; ``surveytk.describe`` estimates likewise. Names that are not
identifiers are quoted in backticks or ``Q("...")``: ``"`sch.wide` ~ ell"``.
Every error surveytk raises on purpose is a :class:`SurveytkError` whose
message names the argument, the variable and what to do. Harmonising files
through YAML codebooks lives in :mod:`surveytk.harmonise`; the command line is
``surveytk --help``.

Heavy modules are imported lazily: ``import surveytk`` costs little.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name → module that defines it
_LAZY: dict[str, str] = {
    "read_file": "surveytk.io.readers",
    "Survey": "surveytk.survey_object",
    "describe": "surveytk.survey_object",
    "fit": "surveytk.models.api",
    "FitResult": "surveytk.models.results",
    "load_result": "surveytk.models.results",
    "SurveyDesign": "surveytk.survey.design",
    "LabelledFrame": "surveytk.io.delivered_frame",
    "VariableMeta": "surveytk.io.delivered_frame",
    "FileMeta": "surveytk.io.delivered_frame",
    "load_codebook": "surveytk.codebook",
    "write_synthetic_sources": "surveytk.synth",
    "SurveytkError": "surveytk.errors",
    "ReadError": "surveytk.errors",
    "CodebookError": "surveytk.errors",
    "HarmoniseError": "surveytk.errors",
    "DesignError": "surveytk.errors",
    "ModelError": "surveytk.errors",
    "FormulaError": "surveytk.errors",
    "SpecError": "surveytk.errors",
    "OutputError": "surveytk.errors",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'surveytk' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))
