"""The real figures of data/: each total checked against the source's own arithmetic."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aidcalc.errors import MissingColumnError, UnknownParameterError
from aidcalc.evidence.aggregation import (
    aggregate_items,
    aggregate_loans,
    aggregate_projects,
    aggregate_tonnage,
)
from aidcalc.tables.context import load_table

LOANS = load_table("loans")
ARMS = load_table("arms_shipments")


def _row(table, plan, lender):
    return table.set_index(["plan", "lender"]).loc[(plan, lender)]


def test_the_second_plan_china_total_restates_50_plus_30_million():
    agg = aggregate_loans(LOANS)
    # stated total 80e6 old rubles at 4.00 per USD = 20e6; the additional 30e6 is inside it
    assert _row(agg.table, 2, "China")["committed"] == pytest.approx(80e6 / 4.00)
    # requested: the 50e6 old rubles of November 1954 at 4.00 = 12.5e6; granted/requested = 1.6
    assert _row(agg.table, 2, "China")["requested"] == pytest.approx(50e6 / 4.00)
    assert _row(agg.table, 2, "China")["granted_share"] == pytest.approx(80 / 50)


def test_the_fourth_plan_request_against_what_china_gave():
    agg = aggregate_loans(LOANS, to="RUB")
    row = _row(agg.table, 4, "China")
    assert row["requested"] == pytest.approx(250e6)  # L0039, 250 million rubles asked in 1965
    # committed: 170e6 rubles (1965) + 14.3e6 (1966) + 1.56e9 yuan (1968) via USD + 35e6 USD cash
    expected = 170e6 + 14.3e6 + 1.56e9 / 2.4618 * 0.90 + 35e6 * 0.90
    assert row["committed"] == pytest.approx(expected)


def test_repeats_and_own_conversions_are_excluded_not_added():
    excluded = aggregate_loans(LOANS).excluded.set_index("id")
    assert excluded.loc["L0022", "reason"] == "repeats row L0021"  # 500 million again at line 2757
    assert excluded.loc["L0033", "reason"] == "restates row L0032 in another unit"  # 33 million USD


def test_comparison_figures_for_other_recipients_are_excluded():
    excluded = aggregate_loans(LOANS).excluded.set_index("id")
    assert excluded.loc["L0036", "reason"].startswith("receiver is not Albania")  # North Korea


def test_military_values_join_the_totals_only_when_asked():
    agg = aggregate_loans(LOANS, military=ARMS)
    lenders = set(agg.table["lender"])
    assert "China (military)" in lenders
    assert "China (military)" not in set(aggregate_loans(LOANS).table["lender"])
    assert len(agg.counted) + len(agg.excluded) == len(LOANS) + len(ARMS)


def test_tonnage_by_year_keeps_the_source_cumulative_beside_the_sum_of_loads():
    table = aggregate_tonnage(ARMS).table.set_index("year")
    # delivered loads: 19,000 t + 80,000 t in 1968, 1,400 t in 1969
    assert table.loc[1968, "delivered"] == 19_000 + 80_000
    assert table.loc[1969, "delivered_cumulative"] == 19_000 + 80_000 + 1_400
    assert table.loc[1976, "stated_total"] == 450_000  # the thesis' own cumulative figure
    assert table.loc[1975, "requested"] == 380_000


def test_tonnage_by_plan_runs_requests_and_deliveries_cumulatively():
    table = aggregate_tonnage(ARMS, by="plan").table.set_index("plan")
    # plan 3: 90,000 t asked in 1963 (A0001); plan 4: 200,000 t asked in 1967 (A0002, for
    # 1967-71, read as plan 4 with a year's slack), and 19,000 + 80,000 + 1,400 t delivered
    assert table.loc[3, "requested"] == 90_000
    assert table.loc[4, "requested_cumulative"] == 90_000 + 200_000
    assert table.loc[4, "delivered"] == table.loc[6, "delivered_cumulative"] == 19_000 + 80_000 + 1_400
    # plan 5: 229,000 t (1971) + 380,000 t (1975) asked; 20,000 t of ammunition promised for 1973-77
    assert table.loc[5, "requested"] == 229_000 + 380_000
    assert table.loc[5, "promised"] == 20_000
    # the 450,000 t the source says had arrived by 1976 stays beside the 100,400 t of loads it names
    assert table.loc[6, "stated_total"] == 450_000


def test_two_cumulative_statements_in_one_period_are_not_added():
    later = ARMS[ARMS["event"] == "stated_total"].assign(id="A9999", date="1976-12", amount=460_000.0)
    table = aggregate_tonnage(pd.concat([ARMS, later], ignore_index=True)).table.set_index("year")
    assert table.loc[1976, "stated_total"] == 460_000  # the later statement, not 450,000 + 460,000


def test_tonnage_by_an_unknown_period_is_refused():
    with pytest.raises(UnknownParameterError, match=r"by='decade'.*\('year', 'plan'\)"):
        aggregate_tonnage(ARMS, by="decade")


def test_projects_by_plan_count_each_event_once():
    table = aggregate_projects(load_table("projects")).table.set_index("plan")
    assert table.loc[6, "granted"] == 10 and table.loc[6, "requested"] == 20  # 10 of 20 (line 7317)
    assert table.loc[4, "stated_total"] == 45


def test_projects_committed_run_cumulatively_beside_the_source_total():
    table = aggregate_projects(load_table("projects")).table.set_index("plan")
    # plan 3: 29 approved (P0005; P0002 repeats it); plan 4: 18 agreed (P0009); plan 5: none
    # on record; plan 6: 10 granted (P0017)
    assert table.loc[3, "committed"] == 29 and table.loc[4, "committed"] == 18
    assert np.isnan(table.loc[5, "committed"])  # missing, not zero
    assert table["committed_cumulative"].tolist() == [29, 29 + 18, 29 + 18, 29 + 18 + 10]
    # the source's own count by 1965 is 45, two fewer than its parts: shown, not reconciled
    assert table.loc[4, "stated_total"] == 45 != table.loc[4, "committed_cumulative"]


def test_items_requested_in_1975():
    table = aggregate_items(ARMS).table.set_index("item")
    assert table.loc["tanks", "requested"] == 800
    assert table.loc["tanks", "promised"] == 130 + 200  # 1967 and 1972 promises


PROJECTS = load_table("projects")
OTHER_AGGREGATIONS = [  # (function, its table, the columns that identify a row of its result)
    (aggregate_projects, PROJECTS, ["plan"]),
    (aggregate_tonnage, ARMS, ["year"]),
    (lambda rows: aggregate_tonnage(rows, by="plan"), ARMS, ["plan"]),
    (aggregate_items, ARMS, ["item"]),
]


@pytest.mark.parametrize(("aggregate", "table", "keys"), OTHER_AGGREGATIONS)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_other_aggregations_ignore_row_order_and_lose_no_row(aggregate, table, keys, data):
    order = data.draw(st.permutations(list(range(len(table)))))
    subset = data.draw(st.lists(st.integers(0, len(table) - 1), min_size=1, unique=True))
    expected = aggregate(table).table.set_index(keys).sort_index()
    shuffled = aggregate(table.iloc[order].reset_index(drop=True)).table.set_index(keys).sort_index()
    pd.testing.assert_frame_equal(expected, shuffled[expected.columns], check_exact=False, rtol=1e-12)
    agg = aggregate(table.iloc[sorted(subset)])
    assert sorted([*agg.counted["id"], *agg.excluded["id"]]) == sorted(table["id"].iloc[subset])


@pytest.mark.parametrize(
    ("aggregate", "table", "dropped"),
    [
        (aggregate_loans, LOANS, "vintage"),
        (aggregate_projects, PROJECTS, "period_end"),
        (aggregate_tonnage, ARMS, "date"),
        (aggregate_items, ARMS, "item"),
    ],
)
def test_a_frame_without_a_needed_column_is_refused_naming_it(aggregate, table, dropped):
    with pytest.raises(MissingColumnError, match=f"reads the column {dropped}, which the frame given lacks") as err:
        aggregate(table.drop(columns=dropped))
    assert isinstance(err.value, KeyError)
    assert "load_table(" in str(err.value)



def test_the_accepted_1967_arms_list_shows_as_promised_tonnage_in_the_fourth_plan():
    table = aggregate_tonnage(ARMS, by="plan").table.set_index("plan")
    # nearly 200,000 t asked (A0002, line 5043) and accepted (A0039, line 5049): plan 4 promised
    assert table.loc[4, "promised"] == 200_000


@pytest.mark.parametrize(
    ("end", "yuan_row", "ruble_row", "ratio"),
    [
        ("currency_per_base", "L0054", "L0055", 1880 / 445),  # line 5881: 1,880 billion yuan = 445 million rubles
        ("high", "L0049", "L0050", 1560 / 252.4),  # line 5809: 1.56 billion yuan = 252.4 million rubles
        ("low", "L0059", "L0058", 70 / 30),  # line 6928: 30 million rubles = 70 million yuan
    ],
)
def test_the_account_rate_of_the_loans_is_worked_out_from_the_thesis_restatements(end, yuan_row, ruble_row, ratio):
    rate = load_table("rates").set_index("id").loc["R049"]
    loans = LOANS.set_index("id")
    assert loans.loc[yuan_row, "amount"] / loans.loc[ruble_row, "amount"] == pytest.approx(ratio)
    assert rate[end] == pytest.approx(ratio, rel=1e-6)
    assert (rate["currency"], rate["base"], rate["rate_type"], rate["status"]) == ("CNY", "RUB", "account", "D")
    # the thesis's combined restatement, 'almost 3 billion yuan' = 697.8 million rubles (line 5812), lies inside
    assert rate["low"] < 3000 / 697.8 < rate["high"]
