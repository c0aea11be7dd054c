"""The package as another project gets it: a wheel installed into a fresh environment."""

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from aidcalc import paths

# the slow tier: `make check` leaves these out, `make test` (and CI) runs them
pytestmark = pytest.mark.install

ROOT = paths.PROJ_ROOT
#: The README's reuse example, plus columns and an aggregation, as another analysis would run them.
REUSE = """
import aidcalc, pandas as pd
from aidcalc import aggregate_loans, convert, load_table

loan = convert(80_000_000, "RUB_old", "1956-07", to="USD")
print(aidcalc.__file__)
print(loan.value, loan.rate_ids)
col = convert(pd.Series([4.0, 0.9], index=["a", "b"]), "RUB_old", ["1955", "1955"])
print(col.value.to_dict())
agg = aggregate_loans(load_table("loans"), to="RUB")
print(len(agg.counted) + len(agg.excluded) == len(load_table("loans")))
"""


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    """A wheel of the checkout installed into a new environment that reuses the installed dependencies."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "-q", "-w", str(tmp / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((tmp / "dist").glob("aidcalc-*.whl"))
    env_dir = tmp / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    site = Path(subprocess.run([str(env_dir / "bin" / "python"), "-c", "import site; print(site.getsitepackages()[0])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target",
                    str(site), str(wheel)], check=True, capture_output=True)
    # the dependencies come from this environment (offline, fast); its editable aidcalc is a .pth
    # file there, which Python reads only in a site folder of its own, so it is not seen
    (site / "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return env_dir, wheel


def _run(env_dir, cwd, code):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIDCALC_") and k != "PYTHONPATH"}
    return subprocess.run([str(env_dir / "bin" / "python"), "-c", code], cwd=cwd, env=env,
                          capture_output=True, text=True)


def test_the_wheel_carries_the_tables_and_their_schema(wheel_env):
    import zipfile

    names = zipfile.ZipFile(wheel_env[1]).namelist()
    for table in ("loans.csv", "rates.csv", "datapackage.json", "schemas/evidence.json"):
        assert f"aidcalc/data/{table}" in names


@pytest.mark.parametrize("where", ["an unrelated folder", "a folder holding a checkout named aidcalc"])
def test_the_readme_reuse_example_runs_from_an_installed_wheel(wheel_env, tmp_path, where):
    env_dir, _ = wheel_env
    if where != "an unrelated folder":
        (tmp_path / "aidcalc").symlink_to(ROOT, target_is_directory=True)
    out = _run(env_dir, tmp_path, REUSE)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(str(env_dir)), lines[0]  # the installed package, not the checkout
    assert lines[1] == "20000000.0 ('R002',)"  # 80 million old rubles / 4.00 per USD
    assert lines[2] == "{'a': 1.0, 'b': 0.225}"  # 4 and 0.9 old rubles / 4.00
    assert lines[3] == "True"


def test_the_installed_command_line_reports_an_error_without_a_traceback(wheel_env, tmp_path):
    env_dir, _ = wheel_env
    out = _run(env_dir, tmp_path, "import sys; from aidcalc.cli import main; sys.exit(main(['convert', '1', 'EUR', '1960']))")
    assert out.returncode == 2
    assert "unknown currency or unit 'EUR'" in out.stderr and "Traceback" not in out.stderr


def test_a_data_folder_without_tables_is_refused_naming_aidcalc_data(wheel_env, tmp_path):
    env_dir, _ = wheel_env
    code = f"import os; os.environ['AIDCALC_DATA'] = {str(tmp_path)!r}; from aidcalc import convert; convert(1, 'USD', '1960')"
    out = _run(env_dir, tmp_path, code)
    assert "DataNotFoundError" in out.stderr and "AIDCALC_DATA" in out.stderr
