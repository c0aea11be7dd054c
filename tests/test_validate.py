"""Every table is checked for what its rows mean, not only cell by cell, on every load.

Each case breaks a temporary copy of data/ in one way that the schema alone accepted and that
changed or hid totals, then loads it as aidcalc would, and expects an AidcalcError naming the
file, the line, the column and the value.
"""

import csv
import os
import time

import pytest
from support import requires_seeds

from aidcalc import paths
from aidcalc.cli import main
from aidcalc.errors import AidcalcError, ClaimExpressionError, DataValidationError
from aidcalc.evidence.audit import load_claims
from aidcalc.evidence.package_check import validate_all
from aidcalc.tables.context import DataContext, load_table
from aidcalc.tables.reader import read_table, table_names


def _rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _write(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def _row_where(path, column, value) -> str:
    rows = _rows(path)
    at = rows[0].index(column)
    return next(r[0] for r in rows[1:] if r[at] == value)


def _set(path, row_id, column, value) -> int:
    """Set one cell of a copied table; return the line of the row (the header is line 1)."""
    rows = _rows(path)
    at = rows[0].index(column)
    for line, row in enumerate(rows[1:], start=2):
        if row[0] == row_id:
            row[at] = value
            _write(path, rows)
            return line
    raise AssertionError(f"no row {row_id} in {path}")


# -- edits: each takes the data folder and returns (file, line, column, value shown) ----------

def cell(table, row, column, value, shown=None):
    def edit(data):
        row_id = row(data) if callable(row) else row
        line = _set(data / f"{table}.csv", row_id, column, value)
        return f"{table}.csv", line, column, repr(value) if shown is None else shown
    return edit


def cycle(first, second):
    def edit(data):
        _set(data / "loans.csv", second, "part_of", first)
        line = _set(data / "loans.csv", first, "part_of", second)
        return "loans.csv", line, "part_of", repr(second)
    return edit


def raw_bytes(table, row_id, column, data_bytes, shown):
    def edit(data):
        path = data / f"{table}.csv"
        line = _set(path, row_id, column, "@@MARK@@")
        path.write_bytes(path.read_bytes().replace(b"@@MARK@@", data_bytes))
        return f"{table}.csv", line, column, shown
    return edit


def header(change):
    def edit(data):
        rows = _rows(data / "loans.csv")
        column = change(rows)
        _write(data / "loans.csv", rows)
        return "loans.csv", 1, column, repr(column)
    return edit


def _extra_column(rows):
    rows[0].append("reviewer")
    for row in rows[1:]:
        row.append("")
    return "reviewer"


def _missing_column(rows):
    at = rows[0].index("vintage_rule")
    for row in rows:
        del row[at]
    return "vintage_rule"


def _cny(data):
    return _row_where(data / "loans.csv", "unit", "CNY")


def _usd(data):
    return _row_where(data / "loans.csv", "unit", "USD")


TABLE_CASES = [
    # references between rows
    ("part_of in a cycle of two rows", cycle("L0040", "L0041")),
    ("part_of naming the row itself", cell("loans", "L0040", "part_of", "L0040")),
    ("same_as naming the row itself", cell("loans", "L0040", "same_as", "L0040")),
    ("same_as naming a row that does not exist", cell("loans", "L0040", "same_as", "L9999")),
    ("part_of naming a row that does not exist", cell("loans", "L0040", "part_of", "A9999")),
    # vintages
    ("an empty vintage on a ruble amount", cell("loans", "L0002", "vintage", "", "RUB")),
    ("an empty vintage on a yuan amount", cell("loans", _cny, "vintage", "", "CNY")),
    ("a vintage on a dollar amount", cell("loans", _usd, "vintage", "old")),
    ("a vintage on a tonnage", cell("arms_shipments", lambda d: _row_where(d / "arms_shipments.csv", "unit", "t"),
                                    "vintage", "new")),
    # amounts
    ("an amount of inf", cell("loans", "L0003", "amount", "inf")),
    ("an amount of Infinity", cell("loans", "L0003", "amount", "Infinity")),
    ("an amount of 1e400", cell("loans", "L0003", "amount", "1e400")),
    ("an amount of 1e300", cell("loans", "L0003", "amount", "1e300")),
    ("an amount of NaN", cell("loans", "L0003", "amount", "NaN")),
    ("an amount with underscores", cell("loans", "L0003", "amount", "6_500_000")),
    ("an amount in full-width digits", cell("loans", "L0003", "amount", "６５")),
    ("an amount with a thousands separator", cell("loans", "L0003", "amount", "6,500,000")),
    ("an amount with a plus sign and spaces", cell("loans", "L0003", "amount", " 65")),
    ("a line number with underscores", cell("loans", "L0003", "line", "9_24")),
    ("a rate of infinity", cell("rates", "R002", "currency_per_base", "1e999")),
    ("a census count in Arabic-Indic digits", cell("population", lambda d: _rows(d / "population.csv")[1][0],
                                                   "population", "١٢٣")),
    # units
    ("a unit of GBP, which has no rate", cell("loans", "L0003", "unit", "GBP")),
    ("a unit of CHF, which has no rate", cell("loans", "L0003", "unit", "CHF")),
    # text
    ("a receiver with a trailing space", cell("loans", "L0003", "receiver", "Albania ")),
    ("a giver with a leading space", cell("loans", "L0003", "giver", " USSR")),
    ("a receiver spelled in another case", cell("loans", "L0003", "receiver", "albania")),
    ("an event with a trailing space", cell("loans", "L0003", "event", "granted ")),
    ("a note with a Latin-1 byte", raw_bytes("loans", "L0003", "note", b"caf\xe9", "0xe9")),
    # dates
    ("the 30th of February", cell("loans", "L0003", "date", "1961-02-30")),
    ("the 31st of April", cell("loans", "L0003", "date", "1961-04-31")),
    ("the 29th of February of a common year", cell("loans", "L0003", "date", "1959-02-29")),
    ("a rate valid from the 30th of February", cell("rates", "R002", "valid_from", "1961-02-30")),
    ("a claim dated in the 13th month", cell("claims", "C001", "date", "1961-13")),
    # the header
    ("an extra column", header(_extra_column)),
    ("a missing column", header(_missing_column)),
    # claims: expressions refused when the table is read
    ("a claim calling __import__", cell("claims", "C001", "stated", "__import__('os').system('true')")),
    ("a claim dividing by zero", cell("claims", "C001", "recompute", "O0035 / 0")),
    ("a claim that does not parse", cell("claims", "C001", "recompute", "O0035 +")),
    ("a claim multiplying a string", cell("claims", "C001", "recompute", "'a' * 50000000")),
    ("a claim of a 200,000-term sum", cell("claims", "C001", "recompute", " + ".join(["O0035"] * 200_000),
                                           "'O0035 + O0035")),
    ("a claim of 240 nested parentheses", cell("claims", "C001", "recompute", "(" * 240 + "1" + ")" * 240,
                                               "'((((")),
    ("a claim of 300 unary minus signs", cell("claims", "C001", "recompute", "-" * 300 + "1", "'----")),
    ("a claim with a power", cell("claims", "C001", "recompute", "O0035 ** 2")),
    ("a claim reading an attribute", cell("claims", "C001", "recompute", "O0035.real")),
    ("a claim calling an unknown function", cell("claims", "C001", "recompute", "open('x')")),
    ("a claim converting to an unknown currency", cell("claims", "C001", "recompute",
                                                       "convert(L0002, 'GBP', '1961-01-01')")),
    ("a claim converting on the 30th of February", cell("claims", "C001", "recompute",
                                                        "convert(L0002, 'USD', '1961-02-30')")),
    ("a claim with a boolean", cell("claims", "C001", "recompute", "True + 1")),
    ("a claim with an infinite number", cell("claims", "C001", "recompute", "1e400 * O0035")),
]


@pytest.mark.parametrize(("case", "edit"), TABLE_CASES, ids=[c[0] for c in TABLE_CASES])
def test_a_table_breaking_the_meaning_of_its_rows_is_refused_naming_file_line_column_and_value(
        data_copy, case, edit):
    name, line, column, shown = edit(data_copy)
    table = name.removesuffix(".csv")
    started = time.perf_counter()
    with pytest.raises(DataValidationError) as err:
        load_table(table, data_copy)
    message = str(err.value)
    assert time.perf_counter() - started < 5
    assert len(message) < 5000  # no 50 MB message, and no 200,000-term expression in it
    assert str(data_copy / name) in message
    assert f"line {line}, column {column!r}" in message, message
    assert shown in message, message
    assert any(p[0] == line and p[1] == column for p in err.value.problems)


@pytest.mark.parametrize(("case", "edit"), TABLE_CASES, ids=[c[0] for c in TABLE_CASES])
def test_a_refused_table_is_not_remembered_as_valid_and_stays_refused(data_copy, case, edit):
    edit(data_copy)
    table = name_of(edit, data_copy)
    context = DataContext(data_copy)
    for _ in range(2):
        with pytest.raises(DataValidationError):
            context.table(table)
    with pytest.raises(DataValidationError):
        DataContext(data_copy).table(table)


def name_of(edit, data):
    # the table an edit broke: the one file that differs from the shipped data
    changed = [p.stem for p in data.glob("*.csv")
               if p.read_bytes() != (paths.data_dir() / p.name).read_bytes()]
    assert len(changed) == 1, changed
    return changed[0]


# -- claims evaluated against the evidence (load_claims, validate_all) ---------------------------

CLAIM_CASES = [
    ("a claim dividing by a difference that is zero", "O0035 / (L0002 - L0002)", ClaimExpressionError,
     "divide by zero"),
    ("a claim overflowing to infinity", " * ".join(["L0002"] * 45), ClaimExpressionError, "not a finite number"),
    ("a claim naming a row that does not exist", "L0003 + L9999", AidcalcError, "'L9999'"),
]


@pytest.mark.parametrize(("case", "expression", "error", "why"), CLAIM_CASES, ids=[c[0] for c in CLAIM_CASES])
def test_a_claim_that_cannot_be_evaluated_is_refused_naming_the_claim_line_and_column(
        data_copy, case, expression, error, why):
    line = _set(data_copy / "claims.csv", "C001", "recompute", expression)
    for check in (load_claims, validate_all):
        with pytest.raises(error) as err:
            check(data_copy)
        message = str(err.value)
        assert "claim C001" in message and "claims.csv" in message
        assert f"line {line}, column 'recompute'" in message
        assert why in message and len(message) < 2000


# -- across files ---------------------------------------------------------------------------

@requires_seeds
@pytest.mark.parametrize(("table", "row_id"), [("loans", "L0003"), ("claims", "C001")])
def test_a_line_beyond_the_end_of_the_source_file_is_refused(data_copy, table, row_id):
    line = _set(data_copy / f"{table}.csv", row_id, "line", "999999")
    load_table(table, data_copy)  # the table alone does not know the source's length
    with pytest.raises(DataValidationError) as err:
        validate_all(data_copy)
    message = str(err.value)
    assert f"{table}.csv" in message and f"line {line}, column 'line'" in message
    assert "999999" in message and "lines" in message


def test_the_shipped_tables_pass_every_check():
    counts = validate_all()
    assert counts["loans"] > 0 and counts["claims"] > 0


# -- one reader, remembered -----------------------------------------------------------------

def test_a_table_that_passed_is_not_checked_again_until_its_bytes_change(data_copy, monkeypatch, tmp_path):
    monkeypatch.setenv("AIDCALC_CACHE", str(tmp_path / "cache"))
    calls = []
    import aidcalc.tables.rules

    real = aidcalc.tables.rules.check_cells
    monkeypatch.setattr(aidcalc.tables.rules, "check_cells", lambda *a: calls.append(1) or real(*a))
    DataContext(data_copy).table("loans")
    assert len(calls) == 1
    DataContext(data_copy).table("loans")  # a new context: the digest is remembered on disk
    assert len(calls) == 1
    _set(data_copy / "loans.csv", "L0003", "receiver", "Albania ")
    with pytest.raises(DataValidationError, match="'Albania '"):
        DataContext(data_copy).table("loans")
    assert len(calls) == 2


def test_loading_every_table_after_validation_takes_well_under_a_second(data_copy, monkeypatch, tmp_path):
    monkeypatch.setenv("AIDCALC_CACHE", str(tmp_path / "cache"))
    for name in table_names(data_copy):
        DataContext(data_copy).table(name)
    started = time.perf_counter()
    context = DataContext(data_copy)
    for name in table_names(data_copy):
        context.table(name)
    assert time.perf_counter() - started < 0.5


def test_what_validates_loads_with_the_types_of_the_schema():
    loans = read_table(paths.data_dir(), "loans")
    assert str(loans["amount"].dtype) == "float64"
    assert str(loans["line"].dtype) == "Int64"
    assert str(loans["unit"].dtype) == "string"


@pytest.mark.parametrize("value", ["6_500_000", "６５", "1e400"])
def test_the_command_line_says_which_cell_is_wrong_instead_of_a_traceback(data_copy, monkeypatch, capsys, value):
    line = _set(data_copy / "loans.csv", "L0003", "amount", value)
    monkeypatch.setitem(os.environ, "AIDCALC_DATA", str(data_copy))
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "loans.csv" in err and f"line {line}, column 'amount'" in err and repr(value) in err


def test_the_standard_validator_agrees_with_the_package_and_catches_what_its_schema_forbids(data_copy):
    from aidcalc.evidence.package_check import check_with_frictionless

    check_with_frictionless(data_copy)  # the shipped data passes the reference validator too
    path = data_copy / "plans.csv"
    path.write_text(path.read_text().replace("1951,1955", "1951,x", 1))
    with pytest.raises(DataValidationError, match=r"plans.csv.*line 2.*end_year.*Frictionless"):
        check_with_frictionless(data_copy)
