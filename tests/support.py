"""Helpers shared by the tests: the source files beside the project."""

import os

import pytest

from aidcalc import paths

#: A file of the sources that every provenance test reads.
SEED_PROBE = "003_d1637f23de3fa7fb.txt"
#: Why a test that reads the sources is skipped when they are absent.
SEEDS_MISSING = (f"the sources are not at {paths.SEEDS_DIR} (../shared/seeds beside the project, "
                 "or $AIDCALC_SEEDS): provenance not checked")


def seeds_present() -> bool:
    """Whether the source files are beside the project."""
    return (paths.SEEDS_DIR / SEED_PROBE).exists()


def require_seeds() -> None:
    """Skip the calling test when the sources are absent; fail it instead when $CI is set."""
    if seeds_present():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{SEEDS_MISSING}; CI runs with the sources present, so this is a failure")
    pytest.skip(SEEDS_MISSING)


#: Mark a test that reads the sources: skipped (loudly, see conftest.py) without them, failed on CI.
requires_seeds = pytest.mark.usefixtures("seeds")


def seed_lines(source_file: str) -> list[str]:
    """The lines of a source file in ../shared/seeds (1-based: index 0 is line 1)."""
    return (paths.SEEDS_DIR / source_file).read_text(encoding="utf-8").split("\n")


def following_text(lines: list[str], line: int, figure_text: str) -> str:
    """The source's text after a figure: the rest of its line and the next line."""
    text = lines[line - 1]
    at = text.find(figure_text)
    rest = text[at + len(figure_text):] if at >= 0 else ""
    return rest + "\n" + (lines[line] if line < len(lines) else "")
