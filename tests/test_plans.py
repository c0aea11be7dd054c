import pandas as pd
import pytest

from aidcalc.evidence.plans import assign_plans, load_plans, plan_label

CASES = [
    # plan, period_start, period_end, date, expected plan, rule, remark fragment
    (2, None, None, "1954-11-13", 2, "named", ""),  # the source names the second plan
    (None, 1961, 1965, "1959-04", 3, "period", ""),  # the 1959 Soviet loan 'for 1961-65'
    (None, 1955, 1960, None, 2, "period", "1955-1960 read as plan 2"),  # the thesis' '1955-60'
    (None, 1965, 1970, None, 4, "period", "1965-1970 read as plan 4"),  # '1965-70'
    (None, 1973, 1977, "1972-11", 5, "date", ""),  # spans two plans: falls back to the date
    (None, None, None, "1947-07", None, "none", ""),  # before the first plan
]


@pytest.mark.parametrize(("plan", "ps", "pe", "date", "expected", "rule", "remark"), CASES)
def test_each_row_gets_its_plan_and_the_rule_that_gave_it(plan, ps, pe, date, expected, rule, remark):
    row = pd.DataFrame({"plan": [plan], "period_start": [ps], "period_end": [pe], "date": [date]})
    out = assign_plans(row).iloc[0]
    assert (pd.isna(out["plan_assigned"]) if expected is None else out["plan_assigned"] == expected)
    assert out["plan_rule"] == rule
    assert remark in out["plan_remark"]


def test_the_plan_table_has_seven_consecutive_plans():
    plans = load_plans()
    assert plans["plan"].tolist() == list(range(1, 8))
    assert (plans["start_year"].iloc[1:].to_numpy() == plans["end_year"].iloc[:-1].to_numpy() + 1).all()


def test_plan_labels_read_as_historians_write_them():
    assert plan_label(1) == "1st plan 1951-55"
    assert plan_label(6) == "6th plan 1976-80"


def test_a_long_column_gets_each_row_the_plan_of_its_date_as_a_short_one_does():
    # dates either side of the plan boundaries (1960/1961, 1965/1966), before the first plan,
    # and missing; repeated past the length at which years are looked up once each
    dates = ["1950-06-01", "1951-01-01", "1960-12-31", "1961-01-01", "1965-12-31", "1966-01-01", None]
    want = [None, 1, 2, 3, 3, 4, None]
    rows = pd.DataFrame({"plan": pd.array([pd.NA] * 7 * 1000, dtype="Int64"),
                         "period_start": pd.array([pd.NA] * 7000, dtype="Int64"),
                         "period_end": pd.array([pd.NA] * 7000, dtype="Int64"), "date": dates * 1000})
    got = assign_plans(rows)["plan_assigned"]
    assert got.isna().tolist() == [w is None for w in want] * 1000
    assert got.dropna().tolist() == [w for w in want if w is not None] * 1000
