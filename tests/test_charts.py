import matplotlib
import numpy as np
import pandas as pd
import pytest

from aidcalc.aggregate import aggregate_loans
from aidcalc.audit import run_audit
from aidcalc.charts import (
    SOURCE_LINE,
    format_amount,
    plot_aid_by_plan,
    plot_grouped_bars,
    plot_implied_rates,
    save_figure,
    save_table,
)
from aidcalc.io import load_table

matplotlib.use("Agg")


@pytest.mark.parametrize(
    ("value", "text"),
    [(1_560_000_000, "1.56 bn"), (254_000_000, "254 m"), (90_000, "90 k"), (450, "450"), (0.25, "0.25")],
)
def test_amounts_are_written_short_with_their_scale(value, text):
    assert format_amount(value) == text


def _bars(fig):
    return [p for p in fig.axes[0].patches if p.get_height() > 0]


def test_a_missing_value_gets_no_bar_rather_than_a_zero_one():
    table = pd.DataFrame({"plan": ["1st", "2nd"], "committed": [5.0, np.nan], "requested": [3.0, 4.0]})
    fig = plot_grouped_bars(table, "plan", ["committed", "requested"], title="t", ylabel="USD")
    assert sorted(p.get_height() for p in _bars(fig)) == [3.0, 4.0, 5.0]  # three bars, not four


def test_every_chart_carries_its_title_unit_and_source():
    agg = aggregate_loans(load_table("loans"))
    fig = plot_aid_by_plan(agg.table, ylabel=agg.unit)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Aid committed to Albania by five-year plan"
    assert ax.get_ylabel() == "USD (official rates via USD, gold basis)"
    assert SOURCE_LINE in [t.get_text() for t in fig.texts]


def test_aid_by_plan_draws_each_lender_beside_the_total_requested():
    agg = aggregate_loans(load_table("loans"))
    fig = plot_aid_by_plan(agg.table, ylabel=agg.unit)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["China", "Soviet bloc", "requested by Albania"]
    heights = {round(p.get_height()) for p in _bars(fig)}
    # the first plan's bloc total: 254 million old rubles at 4.00 per USD = 63.5 million USD
    assert 63_500_000 in heights
    # the second plan's requests, all lenders: (500 million from the bloc, L0016, + 50 million
    # from China, L0008) old rubles / 4.00 = 137.5 million USD
    assert (500_000_000 + 50_000_000) / 4.00 in heights


def test_implied_rates_draw_one_point_per_conversion_that_has_a_ratio():
    conversions = run_audit().conversions
    fig = plot_implied_rates(conversions)
    drawn = sum(len(c.get_offsets()) for c in fig.axes[0].collections)
    assert drawn == conversions["implied_over_official"].notna().sum()
    assert fig.axes[0].get_yscale() == "log"


def test_nothing_is_written_without_an_output_folder(tmp_path):
    fig = plot_grouped_bars(pd.DataFrame({"plan": ["1st"], "v": [1.0]}), "plan", ["v"], title="t", ylabel="u")
    assert save_figure(fig, "", "chart") == [] and save_table(pd.DataFrame({"a": [1]}), None, "t") is None
    written = save_figure(fig, tmp_path, "chart")
    assert [p.name for p in written] == ["chart.png", "chart.svg"]
    assert all(p.stat().st_size > 1000 for p in written)
