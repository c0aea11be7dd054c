"""Aggregations on a tiny edition of the data: the rules, whatever the figures (real figures: test_real_data.py)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tiny import TINY

from aidcalc.errors import DuplicateIdError
from aidcalc.evidence.aggregation import (
    aggregate_loans,
)

LOANS = TINY.table("loans")


def _row(table, plan, lender):
    return table.set_index(["plan", "lender"]).loc[(plan, lender)]


def test_every_input_row_is_counted_or_excluded_with_a_reason():
    agg = aggregate_loans(LOANS, data=TINY)
    assert len(agg.counted) + len(agg.excluded) == len(LOANS)
    assert set(agg.counted["id"]) | set(agg.excluded["id"]) == set(LOANS["id"])
    assert agg.excluded["reason"].str.len().gt(0).all()


def test_the_first_plan_bloc_total_is_the_stated_254_million_and_its_parts_are_not_added_again():
    agg = aggregate_loans(LOANS, data=TINY, to="RUB")
    # 254e6 old rubles (= 83 + 46 + 55 + 50 + 20) restated at the gold ratio: 254e6 / 4.444
    assert _row(agg.table, 1, "Soviet bloc")["committed"] == pytest.approx(254e6 / 4.444)
    excluded = agg.excluded.set_index("id")
    for part in ("L0003", "L0004", "L0005", "L0006", "L0007"):
        assert excluded.loc[part, "reason"] == "included in the total of row L0002"


def test_a_measure_with_no_rows_has_a_missing_sum_and_zero_rows():
    row = _row(aggregate_loans(LOANS, data=TINY).table, 1, "Soviet bloc")
    # the first plan's bloc loans: one stated total (L0002) committed, no request on record
    assert (row["committed_rows"], row["requested_rows"]) == (1, 0)
    assert np.isnan(row["requested"]) and np.isnan(row["granted_share"])


def test_components_count_when_their_total_cannot_be():
    # Without a date or period the stated total L0002 is excluded; its five components then
    # carry the first plan: 83 + 46 + 55 + 50 + 20 = 254 million old rubles, / 4.444 (gold).
    undated = LOANS.copy()
    total = undated["id"] == "L0002"
    undated.loc[total, ["date", "period_start", "period_end"]] = pd.NA
    agg = aggregate_loans(undated, data=TINY, to="RUB")
    assert agg.excluded.set_index("id").loc["L0002", "reason"].startswith("no date or period")
    assert set(agg.counted["id"]) >= {"L0003", "L0004", "L0005", "L0006", "L0007"}
    assert _row(agg.table, 1, "Soviet bloc")["committed"] == pytest.approx((83 + 46 + 55 + 50 + 20) * 1e6 / 4.444)


def test_rows_sharing_an_id_are_refused_when_rows_point_at_it():
    doubled = pd.concat([LOANS, LOANS[LOANS["id"] == "L0002"]], ignore_index=True)
    with pytest.raises(DuplicateIdError, match="L0002 each name more than one input row"):
        aggregate_loans(doubled, data=TINY)


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(len(LOANS)))))
def test_totals_do_not_depend_on_row_order(order):
    shuffled = LOANS.iloc[list(order)].reset_index(drop=True)
    a = aggregate_loans(LOANS, data=TINY).table.set_index(["plan", "lender"]).sort_index()
    b = aggregate_loans(shuffled, data=TINY).table.set_index(["plan", "lender"]).sort_index()
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, len(LOANS) - 1), min_size=1, max_size=len(LOANS), unique=True))
def test_counted_plus_excluded_is_the_input_for_any_subset(rows):
    subset = LOANS.iloc[sorted(rows)]
    agg = aggregate_loans(subset, data=TINY)
    assert sorted(list(agg.counted["id"]) + list(agg.excluded["id"])) == sorted(subset["id"])


def test_the_reasons_are_counted_alike_before_and_after_the_excluded_rows_are_made():
    # the frames of counted and excluded rows are made on first use; the reasons need neither
    lazy = aggregate_loans(LOANS, data=TINY).reasons
    agg = aggregate_loans(LOANS, data=TINY)
    made = agg.excluded["reason"].value_counts()
    assert lazy.equals(made) and lazy.equals(agg.reasons)
    assert int(lazy.sum()) == len(agg.excluded) == len(LOANS) - len(agg.counted)


def test_the_totals_are_those_of_the_counted_rows_when_made_later():
    agg = aggregate_loans(LOANS, data=TINY, to="RUB")
    sums = agg.counted.groupby(["plan_assigned", "lender", "measure"], observed=True)["value"].sum()
    assert sums.loc[(1, "Soviet bloc", "committed")] == pytest.approx(254e6 / 4.444)
    assert sums.loc[(1, "Soviet bloc", "committed")] == _row(agg.table, 1, "Soviet bloc")["committed"]


def test_an_aggregation_without_its_rows_is_refused():
    from aidcalc.evidence.aggregation import Aggregation

    with pytest.raises(TypeError, match="counted and excluded rows, or a RowSplit"):
        Aggregation(pd.DataFrame(), counted=LOANS)


def test_a_row_given_twice_is_refused_not_summed_twice():
    twice = pd.concat([LOANS.iloc[[0]], LOANS.iloc[[0]]])  # the same row, label and id twice
    first = LOANS["id"].iloc[0]
    with pytest.raises(DuplicateIdError, match=f"rows {first} are given more than once"):
        aggregate_loans(twice, data=TINY)
