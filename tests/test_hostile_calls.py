"""Library calls a confused caller makes: each is refused naming the argument and the row, or
read by the one rule every type shares, never answered with a silently wrong figure."""

import numpy as np
import pandas as pd
import pytest

from aidcalc import convert, load_table, parse_dates
from aidcalc.errors import InvalidAmountError, MisalignedInputError, UnknownParameterError
from aidcalc.evidence.aggregation import (
    NO_AMOUNT,
    aggregate_items,
    aggregate_loans,
    aggregate_projects,
    aggregate_tonnage,
)

CALLS = [
    # (case, call, error, fragment)
    ("an amount of 1e308, whose result is no finite number", lambda: convert(1e308, "RUB_old", "1955"),
     InvalidAmountError, "amount np.float64(1e+308) is 1e18 or more"),
    ("1e308 in a column", lambda: convert(np.array([1.0, 1e308]), "RUB_old", "1955"), InvalidAmountError,
     "at row 1 is 1e18 or more"),
    ("the text 'nan'", lambda: convert("nan", "RUB_old", "1955"), InvalidAmountError,
     "amount 'nan' is not a number"),
    ("the text 'nan' in a column", lambda: convert(pd.Series(["5", "nan"], index=["a", "b"]), "RUB_old", "1955"),
     InvalidAmountError, "amount 'nan' at row 'b' is not a number"),
    ("True as an amount", lambda: convert(True, "RUB_old", "1955"), InvalidAmountError,
     "amount True is a boolean, not an amount"),
    ("a boolean array", lambda: convert(np.array([True, False]), "RUB_old", "1955"), InvalidAmountError,
     "amount True at row 0 is a boolean"),
    ("a boolean Series", lambda: convert(pd.Series([False, True]), "RUB_old", "1955"), InvalidAmountError,
     "amount False at row 0 is a boolean"),
    ("a 2-D array of amounts", lambda: convert(np.ones((2, 2)), "RUB_old", "1955"), MisalignedInputError,
     "amount has 2 dimensions (shape (2, 2))"),
    ("a DataFrame as the dates", lambda: convert([1.0], "RUB_old", pd.DataFrame({"d": ["1955"]})),
     MisalignedInputError, "date (on) has 2 dimensions (shape (1, 1))"),
    ("projects summed from the arms shipments", lambda: aggregate_projects(load_table("arms_shipments")),
     UnknownParameterError, "aggregate_projects sums the rows of data/projects.csv (ids P0001, ...), but the "
                            f"frame given holds {len(load_table('arms_shipments'))} rows of data/arms_shipments.csv (first A0001)"),
    ("loans summed from the projects", lambda: aggregate_loans(load_table("projects")), UnknownParameterError,
     "holds 20 rows of data/projects.csv"),
    ("tonnage summed from the loans", lambda: aggregate_tonnage(load_table("loans")), UnknownParameterError,
     "aggregate_tonnage sums the rows of data/arms_shipments.csv"),
    ("items counted from the loans", lambda: aggregate_items(load_table("loans")), UnknownParameterError,
     "aggregate_items sums the rows of data/arms_shipments.csv"),
    ("loans given as the military rows", lambda: aggregate_loans(load_table("loans"), military=load_table("loans")),
     UnknownParameterError, "aggregate_loans (military=) sums the rows of data/arms_shipments.csv"),
]


@pytest.mark.parametrize(("case", "call", "error", "fragment"), CALLS, ids=[c[0] for c in CALLS])
def test_input_a_function_cannot_handle_is_refused_naming_argument_and_row(case, call, error, fragment):
    with pytest.raises(error) as err:
        call()
    assert fragment in str(err.value)


def test_a_loan_without_an_amount_is_excluded_with_its_reason_not_counted():
    loans = load_table("loans")
    whole = aggregate_loans(loans)
    totals = set(loans["part_of"].dropna())  # a total left out would leave its parts counted instead
    rid = next(r for r in whole.counted["id"] if r not in totals)
    loans.loc[loans["id"] == rid, "amount"] = np.nan
    agg = aggregate_loans(loans)
    assert rid not in agg.counted["id"].tolist()
    assert agg.excluded.set_index("id").loc[rid, "reason"] == NO_AMOUNT
    assert len(agg.counted) == len(whole.counted) - 1


@pytest.mark.parametrize(("function", "table"), [(aggregate_projects, "projects"),
                                                 (aggregate_tonnage, "arms_shipments"),
                                                 (aggregate_items, "arms_shipments")])
def test_a_count_or_tonnage_without_an_amount_is_excluded_with_its_reason(function, table):
    frame = load_table(table)
    rid = function(frame).counted["id"].iloc[0]
    frame.loc[frame["id"] == rid, "amount"] = np.nan
    assert function(frame).excluded.set_index("id").loc[rid, "reason"] == NO_AMOUNT


BARE_YEARS = [("the text", "1950"), ("an integer", 1950), ("a numpy integer", np.int64(1950)),
              ("a numpy year", np.datetime64("1950")), ("a numpy year array", np.array(["1950"], "datetime64[Y]")),
              ("a list of texts", ["1950"])]


@pytest.mark.parametrize(("case", "year"), BARE_YEARS, ids=[c[0] for c in BARE_YEARS])
def test_a_bare_year_is_read_as_1_july_whatever_its_type(case, year):
    assert parse_dates(year).astype(str).tolist() == ["1950-07-01"]


@pytest.mark.parametrize("month", ["1950-03", np.datetime64("1950-03"), np.array(["1950-03"], "datetime64[M]")])
def test_a_bare_month_is_read_as_the_15th_whatever_its_type(month):
    assert parse_dates(month).astype(str).tolist() == ["1950-03-15"]


def test_100_rubles_of_1950_convert_at_one_rate_whatever_the_year_type():
    # 1 July 1950 falls after the reform of 1 March 1950: 4.00 old rubles per USD (R002), 100 / 4 = 25
    results = {repr(y): convert(100, "RUB_old", y) for y in ("1950", 1950, np.datetime64("1950"))}
    assert {r.value for r in results.values()} == {25.0}
    assert {r.rate_ids for r in results.values()} == {("R002",)}
