"""docs/reference/spec.md documents exactly the keys of the analysis spec's models.

Each keys table follows a marker ``<!-- spec-model: NAME -->`` naming a pydantic model
of ``surveytk/analysis/spec.py``: its first column must list exactly the model's fields,
and its ``default`` column (YAML in backquotes, or ``required``) must equal each field's
default. Every model of spec.py that a spec can contain has a table.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from docs_blocks import DOCS, blocks
from pydantic import BaseModel

from surveytk.analysis import spec
from surveytk.analysis.spec import AnalysisSpec, load_spec

PAGE = DOCS / "reference" / "spec.md"
MARKER = re.compile(r"<!--\s*spec-(model|keys):\s*(\w+)\s*-->")


def tables(page: Path) -> dict[str, list[list[str]]]:
    """Marker name → the rows (cells) of the table after it."""
    lines = page.read_text(encoding="utf-8").splitlines()
    out: dict[str, list[list[str]]] = {}
    for i, line in enumerate(lines):
        m = MARKER.search(line)
        if not m:
            continue
        rows = []
        for row in lines[i + 3:]:  # marker, header, separator
            if not row.startswith("|"):
                break
            rows.append([c.strip() for c in row.strip().strip("|").split("|")])
        assert rows, f"no table after {line}"
        out[m.group(2)] = rows
    return out


def _key(cell: str) -> str:
    m = re.fullmatch(r"`(\w+)`", cell)
    assert m, f"first column must be one `key`: {cell!r}"
    return m.group(1)


def reachable_models() -> set[type[BaseModel]]:
    """Every model a spec can contain, found by walking the field annotations."""
    seen: set[type[BaseModel]] = set()
    todo: list[type[BaseModel]] = [AnalysisSpec]
    classes = {c for _, c in inspect.getmembers(spec, inspect.isclass)
               if issubclass(c, BaseModel) and c.__module__ == spec.__name__}
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for f in model.model_fields.values():
            text = repr(f.annotation)
            todo.extend(c for c in classes if re.search(rf"\b{c.__name__}\b", text))
    return seen


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, BaseModel):
        return value.model_dump()
    return value


def test_every_spec_model_has_a_table() -> None:
    documented = set(tables(PAGE))
    names = {m.__name__ for m in reachable_models()}
    assert names <= documented, f"undocumented spec parts: {sorted(names - documented)}"
    assert documented <= names, "a table for a model that does not exist"


@pytest.mark.parametrize("model", sorted(reachable_models(), key=lambda m: m.__name__),
                         ids=lambda m: m.__name__)
def test_keys_and_defaults_match_the_model(model: type[BaseModel]) -> None:
    rows = tables(PAGE)[model.__name__]
    keys = [_key(r[0]) for r in rows]
    assert len(keys) == len(set(keys)), f"{model.__name__}: a key listed twice"
    fields = model.model_fields
    assert set(keys) == set(fields), (
        f"{model.__name__}: documented but not in the model: {sorted(set(keys) - set(fields))}; "
        f"in the model but not documented: {sorted(set(fields) - set(keys))}")
    for row in rows:
        name, default = _key(row[0]), row[2]
        field = fields[name]
        if field.is_required():
            assert default == "required", f"{model.__name__}.{name} is required"
            continue
        assert default != "required", f"{model.__name__}.{name} has a default"
        actual = _plain(field.get_default(call_default_factory=True))
        if default == "(all defaults)":
            assert actual == type(field.get_default()).model_construct().model_dump()
            continue
        m = re.fullmatch(r"`(.*)`", default)
        assert m, f"{model.__name__}.{name}: default must be `YAML`: {default!r}"
        assert yaml.safe_load(m.group(1)) == actual, f"{model.__name__}.{name}: default {actual!r}"


def test_the_page_examples_validate(tmp_path: Path) -> None:
    """The stages example is a valid design; the tutorial's spec loads."""
    stages = next(b for b in blocks(PAGE) if b.lang == "yaml" and "stages:" in b.text
                  and "psu: dnum" in b.text)
    design = yaml.safe_load(stages.text)["design"]
    doc = {"name": "x", "inputs": [{"source": "a", "harmonised": "a.parquet"}],
           "models": [{"name": "m", "model": "logit", "data": "a", "formula": "y ~ x",
                       "design": design}]}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    loaded = load_spec(path)
    assert [s.psu for s in loaded.models[0].design.stages or []] == ["dnum", "snum"]
