"""Where the project's own files live (codebooks, lookups, analyses, shared data)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
CODEBOOK_DIR = PROJECT_DIR / "codebooks"
SOURCES_DIR = CODEBOOK_DIR / "sources"
LOOKUP_DIR = CODEBOOK_DIR / "lookups"
ANALYSES_DIR = PROJECT_DIR / "analyses"
