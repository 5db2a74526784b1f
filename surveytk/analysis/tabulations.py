"""Tabulations of an analysis spec: design-based shares with disclosure control."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from surveytk.analysis.spec import TabulationSpec


def write_tabulation(table: pd.DataFrame, tab: TabulationSpec, path: Path, fmt: str, *,
                     threshold: int, subpop: str | None = None) -> Path:
    """Tabulate ``tab.by`` on ``table`` with its design and write it as ``fmt``.

    ``subpop`` (the spec's sample rules) is the domain; the full design is kept.
    """
    from surveytk.io.atomic import write_bytes_atomic
    from surveytk.report.labels import Labeller
    from surveytk.tabulate import render_tabulation, tabulate

    options = tab.design.options(table)
    if options.get("replicates") or options.get("reptype"):
        from surveytk.errors import SpecError

        raise SpecError(
            f"tabulation {tab.name!r}: tabulations use linearised variance; drop "
            "replicates/reptype from its design"
        )
    result = tabulate(
        table,
        list(tab.by),
        weights=options.pop("weights"),
        strata=options.pop("strata"),
        psu=options.pop("psu"),
        fpc=options.pop("fpc"),
        lonely_psu=options.pop("lonely_psu"),
        design_options=options,
        threshold=threshold,
        reference=tab.reference,
        subpop=subpop,
    )
    data = render_tabulation(result, "latex" if fmt == "tex" else fmt,
                             labeller=Labeller.from_schema())
    write_bytes_atomic(path, data)
    return path
