"""Helpers shared by the tests: the source files beside the project."""

import pytest

from aidcalc import paths


def seed_lines(source_file: str) -> list[str]:
    """The lines of a source file in ../shared/seeds (1-based: index 0 is line 1)."""
    return (paths.SEEDS_DIR / source_file).read_text(encoding="utf-8").split("\n")


requires_seeds = pytest.mark.skipif(
    not (paths.SEEDS_DIR / "003_d1637f23de3fa7fb.txt").exists(),
    reason="../shared/seeds is not beside the project",
)
