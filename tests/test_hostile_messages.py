"""Messages a person can act on: a careless edit is named once, with the form that would be accepted."""

import csv

import pytest
from test_validate import _rows, _set, _write

from aidcalc import paths
from aidcalc.cli import main
from aidcalc.errors import DataValidationError
from aidcalc.evidence.package_check import validate_all
from aidcalc.tables.context import DataContext, load_table

NUMBERS = [
    # (case, table, row, column, written, the hint)
    ("a decimal comma", "rates", "R002", "currency_per_base", "4,5",
     "it looks like a decimal comma: write '4.5'"),
    ("a decimal comma after thousands points", "loans", "L0003", "amount", "1.234,5",
     "it looks like a decimal comma: write '1234.5'"),
    ("thousands separated by commas", "loans", "L0003", "amount", "6,500,000", "; write '6500000'"),
    ("a decimal comma in a whole number", "loans", "L0003", "line", "92,4",
     "it looks like a decimal comma, but an integer has no decimals"),
]


@pytest.mark.parametrize(("case", "table", "row", "column", "written", "hint"), NUMBERS,
                         ids=[c[0] for c in NUMBERS])
def test_a_careless_number_is_named_once_with_the_form_to_write(data_copy, case, table, row, column, written,
                                                                hint):
    line = _set(data_copy / f"{table}.csv", row, column, written)
    with pytest.raises(DataValidationError) as err:
        load_table(table, data_copy)
    here = [p for p in err.value.problems if p[0] == line and p[1] == column]
    assert len(here) == 1, here  # not also "empty, but the column is required"
    assert repr(written) in here[0][2] and hint in here[0][2]
    assert "empty, but" not in str(err.value)


def test_reordered_columns_load_and_validate_without_frictionless_noise(data_copy, capsys, monkeypatch):
    rows = _rows(data_copy / "plans.csv")
    _write(data_copy / "plans.csv", [r[::-1] for r in rows])
    validate_all(data_copy)  # the standard validator matches columns by name too
    monkeypatch.setenv("AIDCALC_DATA", str(data_copy))
    assert main(["validate"]) == 0
    assert "Incorrect Label" not in capsys.readouterr().err


def test_a_validation_cache_that_is_not_utf8_is_read_as_empty(data_copy, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "validated.txt").write_bytes(b"\xff\xfe\x00garbled by a sync tool\n")
    monkeypatch.setenv("AIDCALC_CACHE", str(cache))
    assert paths.cache_dir() == cache
    plans = DataContext(data_copy).table("plans")
    with open(data_copy / "plans.csv", encoding="utf-8", newline="") as f:
        assert len(plans) == len(list(csv.reader(f))) - 1  # every row below the header
