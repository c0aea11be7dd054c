import csv

import pandas as pd
import pytest

from aidcalc import paths
from aidcalc.errors import DataValidationError, UnknownParameterError
from aidcalc.evidence.package_check import validate_all
from aidcalc.tables.context import load_evidence, load_table
from aidcalc.tables.reader import EVIDENCE_TABLES


def _edit_row(path, row_id, **changes):
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    for row in rows:
        if row["id"] == row_id:
            row.update(changes)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_every_table_in_the_package_loads_and_validates():
    counts = validate_all()
    assert set(EVIDENCE_TABLES) <= set(counts)
    assert counts["loans"] == len(pd.read_csv(paths.data_dir() / "loans.csv"))


@pytest.mark.parametrize(
    ("column", "bad_value", "expected"),
    [
        ("unit", "ton", "unit"),  # pint's short ton, refused
        ("amount", "fifty", "amount"),  # not a number
        ("amount", "-5", "amount"),  # negative
        ("date", "1956/07", "date"),  # wrong date form
        ("event", "given", "event"),  # not in the vocabulary
        ("source_id", "unknown_book", "source_id"),  # no such source
        ("line", "0", "line"),  # lines are 1-based
        ("figure_text", "", "figure_text"),  # every row must quote its figure
    ],
)
def test_schema_rejects_a_malformed_row_naming_file_line_and_column(data_copy, column, bad_value, expected):
    _edit_row(data_copy / "loans.csv", "L0003", **{column: bad_value})
    with pytest.raises(DataValidationError) as err:
        load_table("loans", data_copy)
    message = str(err.value)
    assert "loans.csv" in message
    assert "line 4" in message  # L0003 is the third data row, after the header
    assert repr(expected) in message


def test_schema_rejects_a_duplicate_id(data_copy):
    _edit_row(data_copy / "loans.csv", "L0003", id="L0002")
    with pytest.raises(DataValidationError, match="L0002"):
        load_table("loans", data_copy)


def test_a_bad_rate_row_is_refused_too(data_copy):
    _edit_row(data_copy / "rates.csv", "R002", currency="EUR")
    with pytest.raises(DataValidationError, match="rates.csv.*'currency'"):
        load_table("rates", data_copy)


def test_empty_cells_stay_missing_not_zero():
    loans = load_table("loans").set_index("id")
    assert pd.isna(loans.loc["L0001", "plan"])  # the 1947 Soviet loan names no plan
    assert pd.isna(loans.loc["L0001", "qualifier"])
    assert loans["amount"].notna().all()


def test_unknown_table_names_the_known_ones():
    with pytest.raises(UnknownParameterError, match="known tables: arms_shipments"):
        load_table("loan")


def test_evidence_holds_every_row_of_every_evidence_table():
    evidence = load_evidence()
    assert len(evidence) == sum(len(load_table(name)) for name in EVIDENCE_TABLES)
    assert evidence["id"].is_unique


def _append_to_line(path, line, text):
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[line - 1] += text
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda p: _append_to_line(p, 4, ",stray"), r"line 4: 28 cells where the header has 27 \(extra cells \['stray'\]\)"),
        (lambda p: _append_to_line(p, 1, ",id"), r"line 1, column 'id': the column 'id' stands 2 times"),
        (lambda p: p.write_text("", encoding="utf-8"), r"line 1: the file is empty"),
        (lambda p: p.write_text(p.read_text(encoding="utf-8").replace("L0003,", "L0003\0,"), encoding="utf-8"),
         r"line 4.*"),
    ],
    ids=["a row with an extra cell", "a column twice in the header", "an empty file", "a NUL character"],
)
def test_a_file_that_is_not_a_table_of_its_schema_is_refused_naming_the_line(data_copy, change, expected):
    change(data_copy / "loans.csv")
    with pytest.raises(DataValidationError, match=expected):
        load_table("loans", data_copy)


def test_a_byte_order_mark_and_blank_lines_are_read_as_nothing(data_copy):
    path = data_copy / "loans.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes() + b"\n\n")
    assert load_table("loans", data_copy).equals(load_table("loans"))
