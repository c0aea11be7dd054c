"""Totals with their range: each bound computed by hand from the source's figures and the rates."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aidcalc.evidence.ranges import aggregate_loans_with_range, sensitivity
from aidcalc.evidence.readings import apply_alternatives, parse_alternative
from aidcalc.money.basis import Basis
from aidcalc.tables.context import load_table

LOANS = load_table("loans")
TABLE = aggregate_loans_with_range().table.set_index(["plan", "lender"])
OLD_RUB_LOAN = 500e6 / 4.444 / 0.90  # L0021: 500 million old rubles, gold ratio 4.444, then 0.90 per USD


def _bounds(plan):
    row = TABLE.loc[(plan, "China")]
    return row["committed_low"], row["committed"], row["committed_high"]


def test_the_second_plan_has_no_doubt_to_widen_it():
    # L0010: 80 million old rubles of 1956 at 4.00 per USD (R002), no judged row, no restatement
    assert _bounds(2) == pytest.approx((20e6, 20e6, 20e6))


def test_the_third_plan_spans_the_new_ruble_reading_of_the_1961_loan():
    central = 55e6 / 4.00 + OLD_RUB_LOAN + 30e6 / 0.90 + 151.9e6 / 0.90 + 6.5e6 / 0.90
    # high: L0021 read as new rubles, 500e6 / 0.90
    high = central + 500e6 / 0.90 - OLD_RUB_LOAN
    # low: the 30 million of 1962 inside the 151.9 million (L0032 part of L0034); the 151.9 million
    # at the source's own 168.609 million USD; 6.5 million at the rate 168.609/151.9 it implies
    low = (central - 30e6 / 0.90 + (168.609e6 - 151.9e6 / 0.90)
           + (6.5e6 * 168.609 / 151.9 - 6.5e6 / 0.90))
    assert _bounds(3) == pytest.approx((low, central, high))


def test_the_fourth_plan_spans_the_ruble_restatement_of_the_1968_yuan_loan():
    central = 170e6 / 0.90 + 14.3e6 / 0.90 + 1.56e9 / 2.4618 + 35e6
    # low: 1.56e9 yuan as the source's 252.4 million rubles (line 5809), and the 170 million of 1965
    # at the rate the 1962 figures imply (151.9 rubles = 168.609 USD)
    low = central + (252.4e6 / 0.90 - 1.56e9 / 2.4618) + (170e6 * 168.609 / 151.9 - 170e6 / 0.90)
    # high: the 14.3 million rubles of 1966 at the 534/445 USD per ruble of line 5881
    high = central + (14.3e6 * 534 / 445 - 14.3e6 / 0.90)
    assert _bounds(4) == pytest.approx((low, central, high))


def test_the_fifth_plan_spans_the_ruble_figure_and_the_industrial_reallocation():
    central = 1.88e9 / 2.4618 + 14e6 + 30e6 / 0.90
    # low: the 1.88e9 yuan as 445 million rubles (line 5881); the 30 million rubles as 70 million yuan
    low = central + (445e6 / 0.90 - 1.88e9 / 2.4618) + (70e6 / 2.4618 - 30e6 / 0.90)
    # high: the 184 million yuan of 1971 read as new money rather than a reallocation (line 6938)
    high = central + 184e6 / 2.4618
    assert _bounds(5) == pytest.approx((low, central, high))


def test_the_sixth_plan_spans_its_ruble_and_its_yuan_valuation():
    # L0065: 225 million rubles of June 1975; R048 gives 0.735 (0.72-0.75) rubles per USD: central
    central = 225e6 / 0.735
    # the same rubles as units of the Sino-Albanian loan account (R049), in yuan, then at the
    # official yuan rate of 1975 (R026, 1.859 per USD): low end 70/30 yuan per ruble (line 6928),
    # high end 1,560/252.4 (line 5809)
    low = 225e6 * (70 / 30) / 1.859
    high = 225e6 * (1560 / 252.4) / 1.859
    assert _bounds(6) == pytest.approx((low, central, high))
    # the Chinese side's own figure for this loan, 1 billion yuan (I0038), lies inside
    assert low < 1e9 / 1.859 < high
    assert "R048" in TABLE.loc[(6, "China"), "committed_note"]
    assert TABLE.loc[(6, "China"), "committed_low_by"].startswith("L0065 as account rubles, R049 low end")
    assert TABLE.loc[(6, "China"), "committed_high_by"].startswith("L0065 as account rubles, R049 high end")


def test_the_account_rate_reaches_no_ruble_row_whose_yuan_the_source_gives():
    # L0058 (30 million rubles, Sept 1971) has its own 70 million yuan (L0059): no account valuation;
    # plans 4 and 5 take their yuan from the source (L0049, L0054), so the rule adds nothing there
    readings = aggregate_loans_with_range().readings
    named = readings.loc[readings["reading"].str.contains("account rubles"), "reading"]
    assert set(named.str.split().str[0]) == {"L0062", "L0065"}  # the 1975 request and the 1975 loan


def test_the_sixth_plan_request_is_the_highest_option_still_standing_valued_by_the_same_rule():
    # the 813 million draft was set aside (line 7313); 665 million, the first option (line 7314), is the
    # request, as the 250 million the January 1965 letter was to ask is plan 4's (L0039, line 4011)
    row = TABLE.loc[(6, "China")]
    assert (row["requested_low"], row["requested"], row["requested_high"]) == pytest.approx(
        (665e6 * 70 / 30 / 1.859, 665e6 / 0.735, 665e6 * 1560 / 252.4 / 1.859), rel=1e-6)
    assert TABLE.loc[(4, "China"), "requested"] == pytest.approx(250e6 / 0.90)


def test_each_bound_names_the_reading_that_sets_it():
    assert TABLE.loc[(3, "China"), "committed_high_by"].startswith("L0021 read vintage=new")
    assert TABLE.loc[(5, "China"), "committed_low_by"].startswith("L0054 as 445 million rubles")


def test_the_sixth_plan_appears_in_rubles_and_yuan_too():
    for currency in ("RUB", "CNY"):
        table = aggregate_loans_with_range(to=currency).table.set_index(["plan", "lender"])
        assert table.loc[(6, "China"), "committed"] > 0


def test_sensitivity_is_a_view_of_the_same_readings():
    s = sensitivity().set_index(["plan", "lender"])
    assert s.loc[(3, "China"), "L0021 read vintage=new"] == pytest.approx(500e6 / 0.90 - OLD_RUB_LOAN)
    assert s.loc[(3, "China"), "committed_high"] == pytest.approx(TABLE.loc[(3, "China"), "committed_high"])


def test_an_alternative_is_applied_to_its_row_only():
    flipped = apply_alternatives(LOANS, ["L0021"]).set_index("id")
    assert flipped.loc["L0021", "vintage"] == "new" and flipped.loc["L0022", "vintage"] == "old"
    assert parse_alternative("part_of=") == {"part_of": None}


@settings(max_examples=15, deadline=None)
@given(st.sets(st.sampled_from(sorted(LOANS["id"])), min_size=1))
def test_low_central_high_are_ordered_and_no_row_vanishes_for_any_subset(ids):
    subset = LOANS[LOANS["id"].isin(ids)].reset_index(drop=True)
    agg = aggregate_loans_with_range(subset)
    assert len(agg.counted) + len(agg.excluded) == len(subset)
    for m in ("requested", "committed"):
        low, mid, high = (agg.table[c].to_numpy(dtype=float) for c in (f"{m}_low", m, f"{m}_high"))
        known = ~np.isnan(mid)
        assert (low[known] <= mid[known] + 1e-6).all() and (mid[known] <= high[known] + 1e-6).all()


def test_tonnage_keeps_the_thousands_reading_of_the_heavy_artillery_load_as_its_range():
    from aidcalc import aggregate_tonnage
    from aidcalc.evidence.ranges import with_judged_range

    arms = load_table("arms_shipments")
    table = with_judged_range(aggregate_tonnage, arms, "plan", by="plan").table.set_index("plan")
    # plan 4 (1966-70): 160,000 t expected in 1968 plus A0017's '266.218 tons' (line 5765), read as
    # 266.218 t by default and as 266,218 t in the other reading
    assert table.loc[4, ["expected_low", "expected", "expected_high"]].tolist() == pytest.approx(
        [160_000 + 266.218, 160_000 + 266.218, 160_000 + 266_218])
    assert "A0017 read amount=266218" in table.loc[4, "expected_range_by"]


CONSTANT = aggregate_loans_with_range(to=Basis("USD", 1990)).table.set_index(["plan", "lender"])


def test_the_second_plan_in_1990_dollars_deflates_its_restatement_too():
    # L0010: 80 million old rubles of July 1956 at 4.00 per USD = 20 million USD; L0012 restates it
    # as 20 million USD (line 1106). Both in 1990 dollars: 20e6 * CPI-U 1990 130.7 / CPI-U 1956 27.2.
    # The restatement was once left nominal and set the low at 20.0 million.
    in_1990 = 20e6 * 130.7 / 27.2
    row = CONSTANT.loc[(2, "China")]
    assert (row["committed_low"], row["committed"], row["committed_high"]) == pytest.approx(
        (in_1990, in_1990, in_1990))


def test_the_sixth_plan_in_1990_dollars_deflates_both_its_valuations_by_the_1975_deflator():
    # L0065: 225 million rubles of June 1975 at 0.735 rubles per USD (R048); its bounds as account
    # rubles at 70/30 and 1,560/252.4 yuan (R049), 1.859 yuan per USD (R026); each times
    # CPI-U 1990 130.7 / CPI-U 1975 53.8
    deflator = 130.7 / 53.8
    row = CONSTANT.loc[(6, "China")]
    assert (row["committed_low"], row["committed"], row["committed_high"]) == pytest.approx(
        (225e6 * 70 / 30 / 1.859 * deflator, 225e6 / 0.735 * deflator, 225e6 * 1560 / 252.4 / 1.859 * deflator))


def _one_event(row_id):
    """The loan row ``row_id`` with every row that restates it: one event, valued at one date."""
    return LOANS[(LOANS["id"] == row_id) | (LOANS["same_as"] == row_id)]


# rows whose whole event (the row and its restatements) is in loans.csv and counted
EVENTS = [rid for rid in LOANS.loc[LOANS["same_as"].isna() & LOANS["part_of"].isna(), "id"]
          if not aggregate_loans_with_range(_one_event(rid)).counted.empty]


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(EVENTS), st.sampled_from([1950, 1970, 1990]))
def test_changing_the_price_basis_scales_each_bound_like_its_central_value(row_id, price_year):
    # one event at one date: every valuation of it (rate interval, other reading, restatement in
    # another currency, other rate basis) is deflated by the same CPI ratio as its central value
    event = _one_event(row_id)
    nominal = aggregate_loans_with_range(event).table.set_index(["plan", "lender"])
    constant = aggregate_loans_with_range(event, to=Basis("USD", price_year)).table.set_index(
        ["plan", "lender"])
    for measure in ("requested", "committed"):
        if measure not in nominal or nominal[measure].isna().all():
            continue
        ratio = constant[measure] / nominal[measure]
        for bound in (f"{measure}_low", f"{measure}_high"):
            moved = nominal[bound].notna() & (nominal[bound] != 0)
            assert (constant[bound][moved] / nominal[bound][moved]).to_numpy() == pytest.approx(
                ratio[moved].to_numpy(), rel=1e-9)


def test_the_readings_add_up_to_each_bound_and_are_made_when_first_read():
    agg = aggregate_loans_with_range()
    assert callable(agg._readings)  # the long table costs nothing until a reader asks for it
    moves = agg.readings[agg.readings["measure"] == "committed"].groupby(["plan", "lender"])["move"]
    table = agg.table.set_index(["plan", "lender"])
    # plan 6, China: L0065, 225 million rubles at 0.735 per USD (R048, 0.72-0.75), moved by the
    # interval of R048 and by its account valuations: R049's ends as data/rates.csv stores them
    # (2.333333 and 6.180666 yuan per ruble, i.e. 70/30 and 1,560/252.4), at 1.859 yuan per USD
    down = moves.apply(lambda m: m[m < 0].sum()).loc[(6, "China")]
    up = moves.apply(lambda m: m[m > 0].sum()).loc[(6, "China")]
    assert down == pytest.approx(225e6 * 2.333333 / 1.859 - 225e6 / 0.735, rel=1e-9)
    assert up == pytest.approx(225e6 * 6.180666 / 1.859 - 225e6 / 0.735, rel=1e-9)
    for (plan, lender), group in moves:
        row = table.loc[(plan, lender)]
        assert row["committed_low"] == pytest.approx(row["committed"] + group[group < 0].sum())
        assert row["committed_high"] == pytest.approx(row["committed"] + group[group > 0].sum())


def test_a_bound_names_its_five_largest_readings_and_counts_the_rest():
    # seven more rows like L0038 (rubles of 1962, valued also at the rate the source's own 151.9
    # million rubles = 168.609 million USD implies), of 10 to 70 million rubles
    copies = pd.concat([LOANS[LOANS["id"] == "L0038"]] * 7)
    copies = copies.assign(id=[f"L09{i:02d}" for i in range(1, 8)], amount=[k * 10e6 for k in range(1, 8)])
    loans = pd.concat([LOANS, copies], ignore_index=True)
    agg = aggregate_loans_with_range(loans)
    named = agg.table.set_index(["plan", "lender"]).loc[(3, "China"), "committed_low_by"]
    moves = agg.readings.query("plan == 3 and lender == 'China' and measure == 'committed' and move < 0")
    shown = named.split("; and ")[0].split("; ")
    assert len(shown) == 5 and named.endswith(f"; and {len(moves) - 5} more")
    # the largest of the copies: 70 million rubles x (168.609/151.9 - 1/0.90) USD per ruble
    per_ruble = 168.609 / 151.9 - 1 / 0.90
    assert f"L0907 at the source-implied rate ({70e6 * per_ruble / 1e6:+,.1f} million)" in shown
    sizes = [abs(float(s.rsplit("(", 1)[1].split()[0].replace(",", ""))) for s in shown]
    assert sizes == sorted(sizes, reverse=True)  # largest first


def test_each_judged_reading_moves_the_totals_as_summing_every_row_under_it_would():
    # the readings are summed over the rows tied to the judged one only; the whole table summed
    # again under each reading must give the same moves
    from aidcalc.evidence.aggregation import aggregate_loans
    from aidcalc.evidence.readings import judged_rows

    readings = aggregate_loans_with_range().readings
    central = aggregate_loans(LOANS).table.set_index(["plan", "lender"])[["requested", "committed"]]
    judged = judged_rows(LOANS)
    assert len(judged) >= 5
    for rid in judged:
        other = aggregate_loans(apply_alternatives(LOANS, [rid])).table.set_index(["plan", "lender"])
        index = central.index.union(other.index)
        expected = (other[["requested", "committed"]].reindex(index).fillna(0)
                    - central.reindex(index).fillna(0)).stack()
        expected = expected[expected.abs() > 1e-6]
        mine = readings[readings["reading"].str.startswith(f"{rid} read ")]
        got = mine.set_index(["plan", "lender", "measure"])["move"]
        assert sorted(got.index) == sorted(expected.index), rid
        assert got.loc[expected.index].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-9), rid


def test_the_data_totals_are_summed_once_per_version_of_the_tables_and_again_after_an_edit(data_copy):
    from aidcalc.tables.context import open_data

    data = open_data(data_copy)
    first = aggregate_loans_with_range(data=data)
    again = aggregate_loans_with_range(data=data)
    assert again.table is not first.table and again.table.equals(first.table)
    again.table.loc[:, "committed"] = -1.0  # a caller's edit reaches no later result
    again.split.rows.loc[:, "value"] = -1.0
    again.counted.loc[:, "value"] = -1.0
    assert (aggregate_loans_with_range(data=data).counted["value"] > 0).all()
    plan_2 = aggregate_loans_with_range(data=data).table.set_index(["plan", "lender"]).loc[(2, "China")]
    assert plan_2["committed"] == pytest.approx(80e6 / 4.00)  # L0010: 80 million old rubles at R002
    # the source's 80 million of 1956 (L0010) read as 160 million: the next call sees the edit
    loans = data_copy / "loans.csv"
    loans.write_text(loans.read_text().replace(",80000000,RUB,old,", ",160000000,RUB,old,", 1))
    plan_2 = aggregate_loans_with_range(data=data).table.set_index(["plan", "lender"]).loc[(2, "China")]
    assert plan_2["committed"] == pytest.approx(160e6 / 4.00)
