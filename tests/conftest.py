"""Shared fixtures: a copy of data/ that a test may break; the sources, said loudly when absent."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from support import SEEDS_MISSING, require_seeds

from aidcalc import paths


def pytest_configure(config):
    """Keep the tests' validation cache out of the user's: one temporary folder per test session.

    Set here, before any test imports aidcalc, so that kernels and subprocesses inherit it too.
    """
    if "AIDCALC_CACHE" not in os.environ:
        os.environ["AIDCALC_CACHE"] = tempfile.mkdtemp(prefix="aidcalc-test-cache-")


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of data/ (the tables, schema and package descriptor)."""
    target = tmp_path / "data"
    shutil.copytree(paths.data_dir(), target)
    return target


@pytest.fixture
def seeds() -> Path:
    """The folder of the sources; skips the test without them, fails it when $CI is set."""
    require_seeds()
    return paths.SEEDS_DIR


def pytest_terminal_summary(terminalreporter):
    """Say at the end of the run, where it cannot be missed, how many provenance tests did not run."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if SEEDS_MISSING in str(r.longrepr)]
    if skipped:
        terminalreporter.write_sep("!", f"{len(skipped)} PROVENANCE TESTS SKIPPED", red=True, bold=True)
        terminalreporter.write_line(f"{SEEDS_MISSING}.", red=True, bold=True)
        terminalreporter.write_line("The rows' lines and figures were NOT checked against the sources. "
                                    "Put the sources there (set CI=1 to make this a failure).", red=True)
