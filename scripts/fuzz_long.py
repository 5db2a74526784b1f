"""Long fuzz run of the readers, the codebook loader and the spec loader.

Usage::

    python scripts/fuzz_long.py --examples 5000 [--target files|third_party|codebooks|specs]

Each case ends in a result or one ``SurveytkError``; anything else (another
exception, a case slower than the hang limit) is a *finding*: printed with the
case that produced it, and the input written to ``--keep DIR`` for replay.
Before each case its input is saved as ``DIR/current.*`` so that a hard crash
of the C reader (which would end this process) leaves the culprit behind.
Prints, per target, how many cases ran and how they ended.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fuzz.strategies import (  # noqa: E402 - after the path set-up
    ENCODINGS,
    FORMATS,
    YAML_INJECTIONS,
    Outcome,
    corruptions,
    frames,
    outcome,
    text_edits,
    value_labels,
    write_valid,
)
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

TESTFILES = ROOT / "tests" / "data"


class Tally:
    """Counts of outcomes and the findings of one target."""

    def __init__(self, keep: Path) -> None:
        self.kinds: collections.Counter[str] = collections.Counter()
        self.errors: collections.Counter[str] = collections.Counter()
        self.findings: dict[str, str] = {}
        self.keep = keep
        self.slowest = 0.0

    def record(self, res: Outcome, case: str, current: Path) -> None:
        self.kinds[res.kind] += 1
        self.slowest = max(self.slowest, res.seconds)
        if res.kind == "error":
            self.errors[res.detail] += 1
        if res.kind == "finding" and res.detail not in self.findings:
            self.findings[res.detail] = case
            self.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(current, self.keep / f"finding-{len(self.findings)}{current.suffix}")


def _settings(n: int) -> Any:
    return settings(max_examples=n, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=False)


def fuzz_files(n: int, work: Path, tally: Tally) -> None:
    from surveytk.io.readers import read_file

    @_settings(n)
    @given(df=frames(max_rows=60, max_cols=8), fmt=st.sampled_from(FORMATS),
           damage=st.lists(corruptions, max_size=3), enc=st.sampled_from(ENCODINGS),
           huge=st.booleans(), missing=st.booleans(), data=st.data(),
           read_enc=st.sampled_from((None, None, "latin1", "utf-8", "cp1251")))
    def case(df: Any, fmt: str, damage: list[Any], enc: str, huge: bool, missing: bool,
             data: Any, read_enc: str | None) -> None:
        path = work / f"current.{fmt}"
        try:
            labels = data.draw(value_labels(df, huge=huge and fmt != "csv"))
            write_valid(df, fmt, path, labels=labels, encoding=enc, missing=missing)
        except Exception:  # the writer refused the generated frame: not our reader's case
            tally.kinds["unwritable"] += 1
            return
        raw = path.read_bytes()
        for c in damage:
            raw = c.apply(raw)
        path.write_bytes(raw)
        res = outcome(lambda: read_file(path, encoding=read_enc))
        tally.record(res, f"{fmt} rows={len(df)} cols={df.shape[1]} enc={enc} "
                          f"read_enc={read_enc} damage={damage}", path)

    case()


def fuzz_third_party(n: int, work: Path, tally: Tally) -> None:
    from surveytk.io.readers import read_file

    files = sorted(p for p in TESTFILES.rglob("*")
                   if p.suffix in (".sav", ".zsav", ".dta", ".csv") and p.stat().st_size < 5e6)

    @_settings(n)
    @given(src=st.sampled_from(files), damage=st.lists(corruptions, min_size=1, max_size=3))
    def case(src: Path, damage: list[Any]) -> None:
        path = work / f"current{src.suffix}"
        raw = src.read_bytes()
        for c in damage:
            raw = c.apply(raw)
        path.write_bytes(raw)
        res = outcome(lambda: read_file(path))
        tally.record(res, f"{src.relative_to(TESTFILES)} damage={damage}", path)

    case()


def fuzz_codebooks(n: int, work: Path, tally: Tally) -> None:
    from surveytk.codebook.loader import load_codebook, load_schema
    from surveytk.paths import BUILTIN_SOURCES_DIR

    texts = {p.name: p.read_text(encoding="utf-8")
             for p in sorted(BUILTIN_SOURCES_DIR.glob("*.yaml"))}
    schema = load_schema()

    @_settings(n)
    @given(name=st.sampled_from(sorted(texts)), edits=st.lists(text_edits, min_size=1,
                                                                max_size=4))
    def case(name: str, edits: list[Any]) -> None:
        text = texts[name]
        for e in edits:
            text = e.apply(text)
        path = work / name
        path.write_text(text, encoding="utf-8")
        res = outcome(lambda: load_codebook(path, schema=schema))
        tally.record(res, f"{name} edits={edits}", path)

    case()


def fuzz_specs(n: int, work: Path, tally: Tally) -> None:
    from surveytk.analysis.spec import load_spec
    from surveytk.paths import BUILTIN_ANALYSES_DIR

    text0 = (BUILTIN_ANALYSES_DIR / "return_intentions.yaml").read_text(encoding="utf-8")
    formulas = st.sampled_from((
        "y ~ x", "y ~ C(x, ref=\"a\") * z", "y ~ I(x / 0)", "y ~ __import__('os')",
        "y ~ x.__class__", "~", "y ~ ((((", "y ~ I(x ** 9 ** 9)", "y ~ " + " + ".join("x" * 50),
        *YAML_INJECTIONS,
    ))

    @_settings(n)
    @given(edits=st.lists(text_edits, max_size=4), formula=st.none() | formulas)
    def case(edits: list[Any], formula: str | None) -> None:
        text = text0
        if formula is not None:
            text = text.replace("'intends_return ~ employed + C(gender, ref=\"female\") + age "
                                "+ has_children_u18'", repr(formula), 1)
        for e in edits:
            text = e.apply(text)
        path = work / "spec.yaml"
        path.write_text(text, encoding="utf-8")
        res = outcome(lambda: load_spec(path))
        tally.record(res, f"formula={formula!r} edits={edits}", path)

    case()


TARGETS = {"files": fuzz_files, "third_party": fuzz_third_party, "codebooks": fuzz_codebooks,
           "specs": fuzz_specs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, help="cases per target")
    parser.add_argument("--target", choices=["all", *TARGETS], default="all")
    parser.add_argument("--keep", type=Path, default=Path("fuzz-findings"),
                        help="folder for inputs that produced findings")
    args = parser.parse_args(argv)
    targets = list(TARGETS) if args.target == "all" else [args.target]
    total_findings = 0
    with tempfile.TemporaryDirectory(prefix="surveytk-fuzz-") as tmp:
        for name in targets:
            work = Path(tmp) / name
            work.mkdir()
            tally = Tally(args.keep / name)
            t0 = time.perf_counter()
            TARGETS[name](args.examples, work, tally)
            dt = time.perf_counter() - t0
            ran = sum(tally.kinds.values())
            print(f"{name}: {ran} cases in {dt:.0f} s (slowest {tally.slowest:.2f} s): "
                  + ", ".join(f"{k} {v}" for k, v in sorted(tally.kinds.items())))
            for detail, count in tally.errors.most_common(8):
                print(f"    error {count:5d}  {detail}")
            for detail, case in tally.findings.items():
                print(f"  FINDING {detail}\n    case: {case}")
            total_findings += len(tally.findings)
    print(f"findings: {total_findings}")
    return 1 if total_findings else 0


if __name__ == "__main__":
    sys.exit(main())
