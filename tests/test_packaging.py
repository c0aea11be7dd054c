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


def _readme_reuse_example() -> str:
    """The first Python block of the README's section on reuse, as a reader would paste it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Reusing the conversions in another analysis", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.fixture(scope="module")
def core_env(wheel_env, tmp_path_factory):
    """The wheel installed with its core dependencies alone into a fresh environment, as pip resolves them."""
    env_dir = tmp_path_factory.mktemp("core") / "env"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    out = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel_env[1])],
                         capture_output=True, text=True)
    if out.returncode != 0 and any(s in out.stderr for s in ("No matching distribution", "NewConnectionError")):
        pytest.skip(f"no package index reachable to install numpy, pandas and pint: {out.stderr[-300:]}")
    assert out.returncode == 0, out.stderr
    return env_dir


def test_the_core_install_brings_numpy_pandas_and_pint_and_no_notebook_stack(core_env):
    out = _run(core_env, core_env, "import importlib.metadata as m; print(sorted(d.metadata['Name'].lower() "
                                   "for d in m.distributions()))")
    installed = set(eval(out.stdout))  # a list of names printed by the line above
    assert {"aidcalc", "numpy", "pandas", "pint"} <= installed
    assert installed.isdisjoint({"matplotlib", "papermill", "nbconvert", "ipykernel", "jupyterlab",
                                 "frictionless", "dask", "pyyaml", "tqdm"})


@pytest.mark.parametrize("example", ["the README's reuse example", "columns and an aggregation"])
def test_the_reuse_examples_run_on_the_core_install_alone(core_env, tmp_path, example):
    code = _readme_reuse_example() if example == "the README's reuse example" else REUSE
    out = _run(core_env, tmp_path, code)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    if example == "the README's reuse example":
        assert lines[0] == "20000000.0 ('R002',)"  # 80 million old rubles / 4.00 per USD
        assert float(lines[1]) == 80_000_000 / 4.444  # a loan restated at the gold ratio, 4.444 old = 1 new
    else:
        assert lines[1:] == ["20000000.0 ('R002',)", "{'a': 1.0, 'b': 0.225}", "True"]


@pytest.mark.parametrize(("code", "extra"), [
    ("import aidcalc.publish.charts", "report"),
    ("from aidcalc import run_reports", "report"),
    ("from aidcalc import validate_all; validate_all(standard=True)", "validate"),
])
def test_a_module_whose_extra_is_missing_names_the_extra_to_install(core_env, tmp_path, code, extra):
    out = _run(core_env, tmp_path, code)
    assert "MissingExtraError" in out.stderr
    assert f'pip install "aidcalc[{extra}]"' in out.stderr


def test_the_core_install_lists_the_functions_it_can_import_and_names_its_version(core_env, tmp_path):
    out = _run(core_env, tmp_path, "import aidcalc; names = dir(aidcalc); "
                                   "print('convert' in names, 'run_reports' in names, aidcalc.__version__)")
    assert out.stdout.split() == ["True", "False", (ROOT / "src/aidcalc/VERSION").read_text().strip()]


@pytest.mark.parametrize("command", [["report"], ["validate"]])
def test_the_core_command_line_says_what_it_could_not_do(core_env, tmp_path, command):
    out = subprocess.run([str(core_env / "bin" / "aidcalc"), *command], cwd=tmp_path, capture_output=True,
                         text=True, env={k: v for k, v in os.environ.items() if not k.startswith("AIDCALC_")})
    if command == ["report"]:
        assert out.returncode == 2 and 'pip install "aidcalc[report]"' in out.stderr
    else:
        assert out.returncode == 0, out.stderr
        assert 'not checked: the Frictionless check of the data package did not run: pip install' in out.stdout
        assert "not checked: the lines of the rows citing" in out.stdout  # no sources beside an install


def test_the_reports_regenerate_from_an_installed_wheel_into_a_folder_of_ones_choice(wheel_env, tmp_path):
    env_dir, _ = wheel_env
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIDCALC_")}
    # the borrowed dependencies' data files (nbconvert's templates) sit under this environment's
    # share/, where an install of aidcalc[report] would have put them in its own
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    out = subprocess.run([str(env_dir / "bin" / "python"), "-m", "aidcalc", "report", "--reports-dir", "out",
                          "--only", "04_source_audit", "--no-progress"], cwd=tmp_path, capture_output=True,
                         text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == f"the reports: {tmp_path / 'out' / 'index.html'}"
    assert (tmp_path / "out" / "index.html").is_file()
    assert (tmp_path / "out" / "04_source_audit" / "default" / "04_source_audit.html").is_file()
    assert "Kernel is running over TCP" not in out.stdout + out.stderr  # the kernel's chatter goes to a log
