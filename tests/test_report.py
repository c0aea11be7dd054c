"""The report runner: every notebook runs headless, failures leave the last good reports."""

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml

from aidcalc import paths
from aidcalc.errors import ReportError, UnknownParameterError
from aidcalc.report.config import load_jobs, validate_parameters
from aidcalc.report.runner import run_reports
from aidcalc.report.tree import data_digest

# the slow tier: `make check` leaves these out, `make test` (and CI) runs them
pytestmark = pytest.mark.kernel

NOTEBOOKS = sorted(p.name for p in paths.NOTEBOOKS_DIR.glob("*.ipynb"))


@pytest.fixture(scope="module")
def built_reports(tmp_path_factory):
    """Run every notebook once on its default parameters into a temporary reports folder."""
    out = tmp_path_factory.mktemp("reports")
    config = out.parent / f"{out.name}-config.yaml"  # beside the reports: a run writes only what it made
    config.write_text(yaml.safe_dump({"notebooks": NOTEBOOKS, "parameter_sets": {"default": {}}}))
    shutil.copy(config, paths.NOTEBOOKS_DIR / ".test-config.yaml")
    try:
        timings = run_reports(paths.NOTEBOOKS_DIR / ".test-config.yaml", out, progress=False)
    finally:
        (paths.NOTEBOOKS_DIR / ".test-config.yaml").unlink()
    return out, timings


def test_every_notebook_has_a_parameters_cell():
    for name in NOTEBOOKS:
        cells = json.loads((paths.NOTEBOOKS_DIR / name).read_text())["cells"]
        assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in cells), name


def test_every_notebook_runs_on_its_defaults_and_writes_html_charts_and_tables(built_reports):
    out, timings = built_reports
    assert len(timings) == len(NOTEBOOKS)
    for name in NOTEBOOKS:
        folder = out / Path(name).stem / "default"
        html = folder / f"{Path(name).stem}.html"
        assert html.stat().st_size > 50_000, html  # a real rendering, with the charts inline
        pngs, svgs, csvs = (list(folder.glob(f"*.{ext}")) for ext in ("png", "svg", "csv"))
        assert pngs and svgs and csvs, folder
        assert all(p.stat().st_size > 10_000 for p in pngs)
    index = (out / "index.html").read_text()
    assert all(Path(name).stem in index for name in NOTEBOOKS)
    # one run, switched in whole: every folder and the index are links into it
    assert {os.readlink(out / Path(name).stem) for name in NOTEBOOKS} == {
        f".current/{Path(name).stem}" for name in NOTEBOOKS}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["data_digest"] == data_digest(paths.data_dir())
    assert set(manifest["runs"]) == set(timings)


def test_a_failing_notebook_names_itself_and_leaves_the_previous_reports(tmp_path):
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    params = {"cell_type": "code", "id": "params", "metadata": {"tags": ["parameters"]}, "outputs": [],
              "execution_count": None, "source": 'output_dir = ""'}
    failing = {"cell_type": "code", "id": "deliberate-failure", "metadata": {}, "outputs": [],
               "execution_count": None, "source": "raise RuntimeError('deliberate failure')"}
    for name, cells in (("good", [params]), ("broken", [params, failing])):
        nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        (nb_dir / f"{name}.ipynb").write_text(json.dumps(nb))
    reports = tmp_path / "reports"
    previous = reports / "broken" / "default"
    previous.mkdir(parents=True)
    (previous / "chart.png").write_bytes(b"last good run")
    config = nb_dir / "reports.yaml"
    config.write_text(yaml.safe_dump({"notebooks": ["good.ipynb", "broken.ipynb"]}))
    with pytest.raises(ReportError, match=r"broken.ipynb \[default\] failed in cell .*deliberate failure"):
        run_reports(config, reports, progress=False)
    assert (previous / "chart.png").read_bytes() == b"last good run"
    assert not list(reports.glob(".staging-*")) and not list(reports.glob(".runs/*"))


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"currency": "EUR"}, "currency='EUR' is not accepted"),
        ({"price_year": 2020}, "price_year=2020"),
        ({"plan_range": [5, 2]}, "plan_range=[5, 2]"),
        ({"price_basis": "constant", "currency": "RUB"}, "needs currency='USD'"),
        ({"include_military": "yes"}, "include_military='yes'"),
    ],
)
def test_a_bad_parameter_value_is_refused_before_any_kernel_starts(params, fragment):
    with pytest.raises(UnknownParameterError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        validate_parameters(params)


def test_an_unknown_parameter_name_in_the_config_is_refused(tmp_path):
    config = tmp_path / "reports.yaml"
    shutil.copy(paths.NOTEBOOKS_DIR / NOTEBOOKS[0], tmp_path / NOTEBOOKS[0])
    config.write_text(yaml.safe_dump({"notebooks": [NOTEBOOKS[0]],
                                      "parameter_sets": {"default": {"colour": "red"}}}))
    with pytest.raises(UnknownParameterError, match=r"gives \['colour'\]"):
        load_jobs(config)


def test_the_shipped_config_is_valid():
    jobs = load_jobs()
    assert {j.parameter_set for j in jobs} >= {"default", "constant_1990_usd"}
