"""The project says once, and everywhere alike, what it is called, which version it is, and under what terms."""

import csv
import json
import re
import subprocess
import sys
import tomllib

import pytest
import yaml

import aidcalc
from aidcalc import paths

ROOT = paths.PROJ_ROOT
VERSION = (ROOT / "src" / "aidcalc" / "VERSION").read_text(encoding="utf-8").strip()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CITATION = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
PACKAGE = json.loads((ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
DATASET = next(ref for ref in CITATION["references"] if ref["type"] == "data")
THESIS = next(ref for ref in CITATION["references"] if ref["type"] == "thesis")
with open(ROOT / "data" / "sources.csv", encoding="utf-8", newline="") as f:
    SOURCES = list(csv.DictReader(f))
#: The newest release in the changelog: "## 0.2.0 - 2026-12-04".
NEWEST = re.search(r"^## (\d+\.\d+\.\d+) - (\d{4}-\d{2}-\d{2})$", CHANGELOG, re.MULTILINE)


def test_the_version_is_a_release_number_written_once():
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"file": "src/aidcalc/VERSION"}


@pytest.mark.parametrize(("where", "version"), [
    ("aidcalc.__version__", aidcalc.__version__),
    ("data/datapackage.json", PACKAGE["version"]),
    ("CITATION.cff, the software", str(CITATION["version"])),
    ("CITATION.cff, the data package", str(DATASET["version"])),
    ("CHANGELOG.md, the newest release", NEWEST.group(1)),
])
def test_every_place_that_names_the_version_names_the_one_in_version(where, version):
    assert version == VERSION, f"{where} says {version}; src/aidcalc/VERSION says {VERSION}"


@pytest.mark.parametrize("command", [["-m", "aidcalc", "--version"]])
def test_the_command_names_its_version(command):
    out = subprocess.run([sys.executable, *command], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"python -m aidcalc {VERSION}"


def test_the_release_date_is_that_of_the_newest_changelog_entry():
    assert str(CITATION["date-released"]) == NEWEST.group(2)
    assert str(DATASET["date-released"]) == NEWEST.group(2)
    assert PACKAGE["created"].startswith(NEWEST.group(2))


def test_the_code_is_mit_in_pyproject_license_and_citation():
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert CITATION["license"] == "MIT"
    for name in PYPROJECT["project"]["license-files"]:
        assert (ROOT / name).is_file(), name


def test_the_data_is_cc_by_4_in_its_package_licence_file_citation_and_readme():
    assert [lic["name"] for lic in PACKAGE["licenses"]] == ["CC-BY-4.0"]
    assert "(CC-BY-4.0)" in (ROOT / "data" / "LICENSE").read_text(encoding="utf-8")
    assert DATASET["license"] == "CC-BY-4.0"
    assert "CC-BY-4.0" in README and "MIT" in README


def test_the_citation_names_the_data_package_by_its_title():
    assert DATASET["title"] == PACKAGE["title"]


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s["id"])
def test_the_data_package_lists_each_source_with_its_citation_as_sources_csv_gives_it(source):
    listed = {s["title"]: s for s in PACKAGE["sources"]}
    assert source["title"] in listed, f"add {source['id']} to the sources of data/datapackage.json"
    entry = listed[source["title"]]
    assert entry["citation"] == source["citation"], f"copy the citation of {source['id']} from data/sources.csv"
    assert entry.get("path", "") == source["url"]


def test_the_data_package_lists_no_source_that_sources_csv_does_not_hold():
    assert len(PACKAGE["sources"]) == len(SOURCES)


def test_the_thesis_is_cited_with_its_author_and_title_as_sources_csv_gives_them():
    row = next(s for s in SOURCES if s["id"] == "marku_thesis")
    assert THESIS["title"] == row["title"]
    assert f"{THESIS['authors'][0]['given-names']} {THESIS['authors'][0]['family-names']}" == row["author"]
    assert THESIS["thesis-type"] == row["kind"]


def test_the_thesis_names_its_university_and_year_as_its_repository_record_gives_them():
    # Lingnan Scholars (the university's repository) records it as a PhD thesis of Lingnan
    # University; the year, 2017, is the author's own account of the degree (data/sources.csv notes both)
    row = next(s for s in SOURCES if s["id"] == "marku_thesis")
    assert "Lingnan University" in row["citation"] and "2017" in row["citation"]
    assert row["url"].startswith("https://scholars.ln.edu.hk/")
    assert THESIS["institution"]["name"].startswith("Lingnan University") and THESIS["year"] == 2017
