"""Shared fixtures: a copy of data/ that a test may break."""

import shutil
from pathlib import Path

import pytest

from aidcalc import paths


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of data/ (the tables, schema and package descriptor)."""
    target = tmp_path / "data"
    shutil.copytree(paths.data_dir(), target)
    return target
