"""Shared fixtures: where the third-party test files and the shared data live."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHARED_DIR = PROJECT_DIR.parent / "shared"
TESTFILES = SHARED_DIR / "testfiles"
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"


@pytest.fixture(scope="session")
def testfiles() -> Path:
    if not TESTFILES.is_dir():
        pytest.fail(f"shared test files not found at {TESTFILES}")
    return TESTFILES


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE_DIR
