"""DDI-Codebook 2.5 XML of the harmonised codebook (``codebook docs --format ddi``).

One ``<codeBook>`` describes the harmonised table: ``docDscr`` and ``stdyDscr``
name the schema and its version, one ``fileDscr`` per crosswalk records the
delivered files, and ``dataDscr`` holds one ``<var>`` per common variable with
its label, each source's question (``qstn``), the valid range, the definition
(``txt``), the harmonised categories and the missing reasons (``catgry``, with
pooled frequencies where harmonised tables are given and the disclosure
threshold allows), how each source makes it and numeric summaries (``notes``)
and its format. Element
order follows the DDI-Codebook 2.5 schema; the XML is built with
:mod:`xml.etree.ElementTree`, which escapes every text.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from surveytk.codebook.docs_site import Site, VariablePage, derive_text, origin_text

DDI_NAMESPACE = "ddi:codebook:2_5"
DDI_SCHEMA_LOCATION = ("ddi:codebook:2_5 "
                       "http://www.ddialliance.org/Specification/DDI-Codebook/2.5/XMLSchema/"
                       "codebook.xsd")
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _sub(parent: ET.Element, tag: str, text: str | None = None,
         **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _title(parent: ET.Element, title: str) -> None:
    citation = _sub(parent, "citation")
    _sub(_sub(citation, "titlStmt"), "titl", title)


def _pooled_counts(page: VariablePage, threshold: int) -> dict[str, str]:
    """Pooled published counts per category, where every source's cell is published."""
    if page.freq is None:
        return {}
    out = {}
    for value, row in zip(page.freq.index, page.freq.to_numpy().tolist(), strict=True):
        if all(str(c).isdigit() for c in row):
            total = sum(int(c) for c in row)
            if total >= threshold or total == 0:
                out[str(value)] = str(total)
    return out


def _var(parent: ET.Element, page: VariablePage, site: Site, index: int) -> None:
    var = page.var
    discrete = var.type in ("category", "ordered", "boolean")
    file_ids = {b.name: f"F{i}" for i, b in enumerate(site.books, start=1)}
    el = _sub(parent, "var", ID=f"V{index}", name=page.name, files=" ".join(file_ids.values()),
              intrvl="discrete" if discrete else "contin")
    _sub(el, "labl", var.label)
    for entry in page.entries:
        if entry.question:
            # sdatrefs: the fileDscr of the crosswalk that asked it
            qstn = _sub(el, "qstn", ID=f"V{index}Q{len(el.findall('qstn')) + 1}",
                        sdatrefs=file_ids[entry.codebook])
            _sub(qstn, "qstnLit", entry.question)
    if var.range is not None:
        _sub(_sub(el, "valrng"), "range", min=f"{var.range[0]:g}", max=f"{var.range[1]:g}")
    if var.description:
        _sub(el, "txt", var.description)
    counts = _pooled_counts(page, site.threshold)
    categories: list[tuple[str, str, bool]] = []
    if var.type == "boolean":
        categories = [("false", "false", False), ("true", "true", False)]
    categories += [(lv.value, lv.label, False) for lv in var.levels]
    if var.nullable:
        categories += [(f"missing: {r.value}", r.label, True)
                       for r in site.schema.missing_reasons]
    for value, label, missing in categories:
        cat = _sub(el, "catgry", **({"missing": "Y"} if missing else {}))
        _sub(cat, "catValu", value.removeprefix("missing: "))
        _sub(cat, "labl", label)
        if value in counts:
            _sub(cat, "catStat", counts[value], type="freq")
    if var.derive is not None:
        _sub(_sub(el, "derivation"), "drvdesc",
             "derived in the schema: " + derive_text(var.derive.function, dict(var.derive.args)))
    fmt = {"integer": "numeric", "float": "numeric", "boolean": "numeric"}.get(var.type,
                                                                           "character")
    _sub(el, "varFormat", type=fmt, schema="other")
    for entry in page.entries:
        lines = [f"{entry.codebook} v{entry.version}: {origin_text(entry)}"]
        lines += [f"{code} ({label}) -> {target}" if label else f"{code} -> {target}"
                  for code, label, target in entry.rows]
        _sub(el, "notes", "; ".join(lines), subject=entry.source)
    for s in page.numeric:
        _sub(el, "notes", f"{s.source}: n {s.n}, missing {s.share_missing}, mean {s.mean}, "
                          f"median {s.median}, min {s.minimum}, max {s.maximum} "
                          f"(disclosure threshold {site.threshold})", subject="summary")


def ddi_codebook(site: Site) -> str:
    """The DDI-Codebook 2.5 XML text of the documented schema and crosswalks."""
    ET.register_namespace("", DDI_NAMESPACE)
    ET.register_namespace("xsi", XSI)
    root = ET.Element("codeBook", {"version": "2.5", "ID": f"surveytk-{site.schema.schema_name}",
                                   f"{{{XSI}}}schemaLocation": DDI_SCHEMA_LOCATION})
    title = f"{site.schema.schema_name} {site.schema.version}: harmonised survey microdata"
    _title(_sub(root, "docDscr"), f"Codebook of {title}")
    study = _sub(root, "stdyDscr")
    _title(study, title)
    info = _sub(study, "stdyInfo")
    _sub(info, "abstract", "Common schema harmonising " + ", ".join(
        f"{b.name} ({site.source_label(b.crosswalk.source)})" for b in site.books)
         + "; made by surveytk from the codebooks (YAML crosswalks).")
    for i, book in enumerate(site.books, start=1):
        fd = _sub(root, "fileDscr", ID=f"F{i}")
        txt = _sub(fd, "fileTxt")
        _sub(txt, "fileName", book.name)
        _sub(txt, "fileCont", f"source {book.crosswalk.source}, codebook version "
                              f"{book.version}; delivered files: "
                              + ", ".join(f.path for f in book.crosswalk.files.values()))
        _sub(_sub(txt, "dimensns"), "varQnty", str(len(site.pages)))
    data = _sub(root, "dataDscr")
    for i, page in enumerate(site.pages, start=1):
        _var(data, page, site, i)
    # the default namespace on every element, as DDI expects
    for el in root.iter():
        if not el.tag.startswith("{"):
            el.tag = f"{{{DDI_NAMESPACE}}}{el.tag}"
    ET.indent(root, space="  ")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode") + "\n")
