"""The CI entry point and the Makefile parse: a syntax error there stops CI before any test runs."""

import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


def test_the_ci_script_is_valid_bash():
    script = PROJECT / ".ci" / "run"
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_ci_script_ends_by_running_the_whole_suite():
    lines = [line.strip() for line in (PROJECT / ".ci" / "run").read_text().splitlines()]
    commands = [line for line in lines if line and not line.startswith("#")]
    assert commands[-1] == "make test"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", ["setup", "report", "test", "check"])
def test_each_readme_target_is_known_to_make(target):
    result = subprocess.run(["make", "-n", target], cwd=PROJECT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
