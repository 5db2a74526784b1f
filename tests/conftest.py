"""Shared fixtures: where the third-party test files live (all inside tests/)."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
TESTFILES = TESTS_DIR / "data"  # third-party files, provenance in tests/data/README.md
LOOKUPS = TESTFILES / "lookups"
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


@pytest.fixture(scope="session")
def testfiles() -> Path:
    if not TESTFILES.is_dir():
        pytest.fail(f"third-party test files not found at {TESTFILES}")
    return TESTFILES


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE_DIR
