"""CSV outputs: floats rounded to what they mean, the unit in each money column's name."""

import csv
import re

import pandas as pd
import pytest
import test_present

from aidcalc.publish import export

USD = test_present.USD


@pytest.fixture
def by_plan():
    return test_present.by_plan.__wrapped__()


def test_csv_rounds_to_meaning_and_names_the_unit(tmp_path, by_plan):
    path = export.to_csv(by_plan, tmp_path / "sub" / "aid_by_plan.csv", USD)
    text = path.read_text()
    head = text.splitlines()[0].split(",")
    assert head[:4] == ["plan", "lender", "committed_USD", "committed_low_USD"]
    assert "committed_per_capita_USD" in head and "population" in head
    assert "348095835" in text and "3.1445" in text and "198.03" in text
    assert not re.search(r"\d\.\d{5,}", text)  # no float noise
    assert not re.search(r"\b\d+\.0\b", text)  # no '.0' on whole numbers
    back = pd.read_csv(path)
    assert back["committed_rows"].tolist() == [1, 5, 4]


def test_csv_tags_constant_dollars_and_tonnes(tmp_path):
    t = pd.DataFrame({"plan": [3], "committed": [1.5e8]})
    export.to_csv(t, tmp_path / "a.csv", "constant 1990 USD (official rates via USD, gold basis)")
    assert (tmp_path / "a.csv").read_text().splitlines()[0] == "plan,committed_USD_constant_1990"
    t = pd.DataFrame({"year": [1969], "expected": [266.21800000000002]})
    export.to_csv(t, tmp_path / "t.csv", "t")
    assert (tmp_path / "t.csv").read_text().splitlines() == ["year,expected_t", "1969,266.218"]


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
                                  '=HYPERLINK("http://x","y")'])
def test_a_text_cell_a_spreadsheet_would_run_as_a_formula_gets_a_leading_apostrophe(tmp_path, cell):
    t = pd.DataFrame({"plan": [3], "lender": [cell], "note": [cell], "committed": [-5.0]})
    path = export.to_csv(t, tmp_path / "a.csv", USD)
    with path.open(newline="") as f:
        head, row = list(csv.reader(f))
    assert dict(zip(head, row, strict=True)) == {"plan": "3", "lender": "'" + cell, "note": "'" + cell,
                                                 "committed_USD": "-5"}  # a number stays a number


def test_plain_text_and_missing_cells_are_written_unchanged(tmp_path):
    t = pd.DataFrame({"lender": ["China", None, "USSR-CMEA"], "amount": [1.0, 2.0, 3.0]})
    text = export.to_csv(t, tmp_path / "a.csv").read_text().splitlines()
    assert text == ["lender,amount", "China,1", ",2", "USSR-CMEA,3"]


def test_a_column_name_that_starts_a_formula_is_neutralised_too(tmp_path):
    t = pd.DataFrame({"=cmd": ["x"]})
    assert export.to_csv(t, tmp_path / "a.csv").read_text().splitlines()[0] == "'=cmd"
