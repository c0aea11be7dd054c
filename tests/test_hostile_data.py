"""Careless and hostile data edits that loaded before and changed a total or failed later in a notebook.

Each case edits one cell of a copy of data/; the table must be refused on load and by
``aidcalc validate``, naming the file, the line, the column and the value, with what is accepted.
"""

import pytest
from test_validate import _rows, cell

from aidcalc.cli import main
from aidcalc.errors import DataValidationError
from aidcalc.tables.context import load_table


def _with_period(data):
    rows = _rows(data / "independent.csv")
    at = rows[0].index("period_start")
    return next(r[0] for r in rows[1:] if r[at])


def _with_low(data):
    rows = _rows(data / "rates.csv")
    at = rows[0].index("low")
    return next(r[0] for r in rows[1:] if r[at])


# (case, edit, fragment of the message); L0021 is the 500 million rubles of 1961, judged old,
# whose alternative reading is vintage=new
CASES = [
    # the alternative reading, checked as the cell it replaces
    ("an alternative vintage misspelled", cell("loans", "L0021", "alternative", "vintage=neww", "'neww'"),
     "in the alternative reading, vintage: 'neww' is not one of the allowed values (did you mean 'new'?)"),
    ("an alternative amount below zero", cell("loans", "L0021", "alternative", "amount=-5e8", "-500000000.0"),
     "in the alternative reading, amount: -500000000.0 is below the minimum 0"),
    ("an alternative amount of nan", cell("loans", "L0021", "alternative", "amount=nan", "'nan'"),
     "amount=nan: 'nan' is not a number"),
    ("an alternative amount of inf", cell("loans", "L0021", "alternative", "amount=inf", "'inf'"),
     "amount=inf: 'inf' is not a number"),
    ("an alternative unit with no rate", cell("loans", "L0021", "alternative", "unit=EUR", "'EUR'"),
     "unit: 'EUR' is not one of the allowed values"),
    ("an alternative event misspelled", cell("loans", "L0021", "alternative", "event=grantd", "'grantd'"),
     "(did you mean 'granted'?)"),
    ("an alternative part_of naming no row", cell("loans", "L0021", "alternative", "part_of=L9999", "'L9999'"),
     "'L9999' is in no evidence table"),
    ("an alternative part_of naming the row itself",
     cell("loans", "L0021", "alternative", "part_of=L0021", "'L0021'"), "'L0021' is the row itself"),
    ("an alternative field misspelled", cell("loans", "L0021", "alternative", "vintag=old", "'vintag'"),
     "is not a field an alternative reading may change (did you mean 'vintage'?)"),
    ("an alternative without =", cell("loans", "L0021", "alternative", "vintage new", "'vintage new'"),
     "is no field=value pair"),
    ("an alternative unit of dollars keeping the ruble vintage",
     cell("loans", "L0021", "alternative", "unit=USD", "'old'"), "which has no vintage"),
    ("an alternative field given twice",
     cell("loans", "L0021", "alternative", "vintage=new; vintage=old", "'vintage'"), "is given twice"),
    # rates: one per day and kind, a range around the rate, a validity forward in time
    ("two official ruble rates valid on one day", cell("rates", "R002", "valid_from", "1950-01-01",
                                                       "1950-01-01"),
     "overlaps R001 (line 2, 1937-07-01 to 1950-02-28), another official rate of RUB_old per USD"),
    ("a rate whose low is above it", cell("rates", _with_low, "low", "0.8", "0.8"), "low <= currency_per_base"),
    ("a rate whose high is below it", cell("rates", _with_low, "high", "0.7", "0.7"),
     "low <= currency_per_base"),
    ("a rate valid to a day before it starts", cell("rates", "R002", "valid_to", "1949-12-31", "'1949-12-31'"),
     "is before valid_from '1950-03-01'"),
    # plans, periods and independent figures a notebook divides by or indexes
    ("a plan ending before it starts", cell("plans", "1", "end_year", "1949", "1949"),
     "is before start_year 1951"),
    ("an evidence period ending before it starts", cell("loans", "L0021", "period_end", "1960", "1960"),
     "is before period_start 1961"),
    ("an independent period ending before it starts", cell("independent", _with_period, "period_end", "1950",
                                                          "1950"), "a period ends no earlier than it starts"),
    ("an independent figure of zero", cell("independent", "I0002", "amount", "0", "0"),
     "0 is no figure to compare with"),
]


@pytest.mark.parametrize(("case", "edit", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_an_edit_that_would_change_a_total_or_fail_a_notebook_is_refused_on_load(data_copy, case, edit,
                                                                                 fragment):
    name, line, column, shown = edit(data_copy)
    with pytest.raises(DataValidationError) as err:
        load_table(name.removesuffix(".csv"), data_copy)
    message = str(err.value)
    assert str(data_copy / name) in message
    assert f"line {line}, column {column!r}" in message, message
    assert shown in message and fragment in message, message


@pytest.mark.parametrize(("case", "edit", "fragment"), CASES[::4], ids=[c[0] for c in CASES[::4]])
def test_aidcalc_validate_refuses_the_same_edits(data_copy, monkeypatch, capsys, case, edit, fragment):
    name, line, column, _ = edit(data_copy)
    monkeypatch.setenv("AIDCALC_DATA", str(data_copy))
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert name in err and f"line {line}, column {column!r}" in err and fragment in err, err


def test_the_shipped_alternatives_and_rates_pass():
    loans = load_table("loans")
    assert loans.loc[loans["id"] == "L0021", "alternative"].tolist() == ["vintage=new"]
    assert len(load_table("rates")) > 0

