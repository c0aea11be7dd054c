"""China's aid 1954-78 by category, beside China's own totals: each figure worked out by hand."""

import csv

import pytest

from aidcalc import reconcile_china_total
from aidcalc.errors import UnknownParameterError
from aidcalc.evidence.ranges import aggregate_loans_with_range
from aidcalc.evidence.reconciliation import china_total
from aidcalc.money.basis import as_basis
from aidcalc.tables.context import load_table

USD = reconcile_china_total()
TABLE = USD.table.set_index("category")
PLANS = aggregate_loans_with_range().table.set_index(["plan", "lender"])
CASH = 35e6 + 14e6  # free-currency cash of Nov 1968 (L0051, line 5809) and Oct 1970 (L0057, line 5883)


def test_chinas_own_total_in_dollars_is_the_1978_note_with_the_yuan_total_at_the_periods_rates():
    total = china_total(as_basis("USD"))
    # central: about 5 billion dollars (I0021); ends: more than 10 billion yuan (I0024) at the
    # official yuan rates of 1955-71 (2.4618 per USD, R021) and of 1978 (1.6836, R029)
    assert (total["low"], total["central"], total["high"]) == pytest.approx((10e9 / 2.4618, 5e9, 10e9 / 1.6836))
    assert (total["low_by"], total["high_by"]) == ("I0024 at R021", "I0024 at R029")


def test_chinas_own_total_in_yuan_is_the_10_billion_with_the_dollar_note_at_the_periods_rates():
    total = china_total(as_basis("CNY"))
    assert (total["low"], total["central"], total["high"]) == pytest.approx((5e9 * 1.6836, 10e9, 5e9 * 2.4618))


def test_the_loans_are_the_committed_chinese_plan_totals_less_the_cash():
    # plans 2-6: 20.0 + 348.1 + 873.5 + 811.0 + 306.1 million USD, less 49 million of cash
    central = sum(PLANS.loc[(plan, "China"), "committed"] for plan in range(2, 7))
    low = sum(PLANS.loc[(plan, "China"), "committed_low"] for plan in range(2, 7))
    high = sum(PLANS.loc[(plan, "China"), "committed_high"] for plan in range(2, 7))
    row = TABLE.loc["loans"]
    assert (row["documented_low"], row["documented"], row["documented_high"]) == pytest.approx(
        (low - CASH, central - CASH, high - CASH))
    assert row["documented"] == pytest.approx(2_309.68e6, rel=1e-5)


@pytest.mark.parametrize(
    ("category", "china_share"),
    [("loans", 28 + 25), ("cash", 2), ("arms", 43)],  # general goods + complete plants; cash; military
)
def test_each_category_stands_beside_its_share_of_chinas_account(category, china_share):
    row = TABLE.loc[category]
    assert row["china_share"] == china_share
    assert (row["china_low"], row["china"], row["china_high"]) == pytest.approx(
        (10e9 / 2.4618 * china_share / 100, 5e9 * china_share / 100, 10e9 / 1.6836 * china_share / 100))


def test_the_cash_is_the_two_free_currency_loans_against_two_percent_of_chinas_total():
    row = TABLE.loc["cash"]
    assert row["documented"] == pytest.approx(CASH)
    # 49 million of 2% of 5 billion = 100 million: 49%; of 2% of 10e9 / 1.6836 and / 2.4618
    assert (row["share_low"], row["share"], row["share_high"]) == pytest.approx(
        (100 * CASH / (0.02 * 10e9 / 1.6836), 49.0, 100 * CASH / (0.02 * 10e9 / 2.4618)))


def test_the_arms_are_the_accepted_1967_list_valued_three_ways():
    row = TABLE.loc["arms"]
    # 650 million rubles of Jan 1967 (A0040, line 5044): / 0.90 per USD (R005); at the Sino-Soviet
    # clearing rate 2.22 yuan per ruble (R046) and 2.4618 yuan per USD; at the account rate's
    # high end 1,560/252.4 yuan per ruble (R049, line 5809)
    assert (row["documented_low"], row["documented"], row["documented_high"]) == pytest.approx(
        (650e6 * 2.22 / 2.4618, 650e6 / 0.90, 650e6 * 6.180666 / 2.4618))
    assert row["low_by"].startswith("A0040 at the clearing rate R046 (from memory)")
    assert row["tonnes"] == 450_000  # supplied by Sept 1976 (A0028, line 7386)
    assert "884 artillery pieces (A0021)" in row["quantities"]


def test_the_goods_outside_the_loans_are_grain_in_tonnes_without_a_value():
    row = TABLE.loc["goods outside the loans"]
    assert row["tonnes"] == 50_000 + 400_000  # 1960 (L0020, line 2370) and 1966-70 (L0042, line 4044)
    assert row["documented"] != row["documented"]  # missing, never a zero


def test_the_share_of_chinas_total_the_thesis_documents_is_a_range():
    row = TABLE.loc["total"]
    documented = TABLE.loc[["loans", "cash", "arms"], "documented"].sum()
    assert row["documented"] == pytest.approx(documented)
    assert row["share"] == pytest.approx(100 * documented / 5e9)
    assert row["share_low"] == pytest.approx(100 * TABLE.loc[["loans", "cash", "arms"], "documented_low"].sum()
                                             / (10e9 / 1.6836))
    assert row["share_high"] == pytest.approx(100 * TABLE.loc[["loans", "cash", "arms"], "documented_high"].sum()
                                              / (10e9 / 2.4618))
    assert row["share_low"] < row["share"] < row["share_high"]


def test_every_loan_and_arms_row_is_counted_or_excluded_with_a_reason():
    rows = USD.rows
    assert len(rows.counted) + len(rows.excluded) == len(load_table("loans")) + len(load_table("arms_shipments"))
    assert rows.excluded["reason"].notna().all()
    assert set(rows.counted["reconciled_as"]) == {"loans", "cash", "arms", "goods outside the loans"}
    excluded = rows.excluded.set_index("id")["reason"]
    assert excluded["A0007"] == "included in the total of row A0040"  # the 1967 deliveries are in the list
    assert excluded["A0003"] == "event 'requested': not aid given"


def test_the_comparison_in_yuan_uses_the_same_rule():
    table = reconcile_china_total("CNY").table.set_index("category")
    # the cash in yuan: 49 million USD at 2.4618 yuan per USD (1968 and 1970, R021)
    assert table.loc["cash", "documented"] == pytest.approx(CASH * 2.4618)
    assert table.loc["total", "china"] == 10e9


@pytest.mark.parametrize("to", ["RUB", as_basis("USD", price_year=1990)])
def test_a_basis_chinas_totals_are_not_stated_in_is_refused(to):
    with pytest.raises(UnknownParameterError, match="nominal yuan and dollars"):
        reconcile_china_total(to)


def test_a_second_valued_arms_commitment_is_added_with_its_own_value(data_copy):
    path = data_copy / "arms_shipments.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for row in rows:
        if row["id"] == "A0020":  # the 3 billion yuan of Nov 1972 was a request; say it was agreed
            row["event"] = "agreed"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    arms = reconcile_china_total(data=data_copy).table.set_index("category").loc["arms"]
    # 3e9 yuan of 1972 at 2.245 per USD (R023) on top of 650e6 rubles / 0.90
    assert arms["documented"] == pytest.approx(650e6 / 0.90 + 3e9 / 2.245)


def test_the_chart_draws_each_valued_category_twice_with_its_whiskers():
    from aidcalc.publish.charts import plot_china_total

    fig = plot_china_total(USD.table)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_width() > 0]
    # loans, cash, arms and the total, each as the thesis has it and as China's account has it
    assert len(bars) == 2 * 4
    widths = sorted(round(p.get_width(), 6) for p in bars)
    assert round(5e9 / 1e9, 6) in widths  # China's total: about 5 billion dollars (I0021)
    assert round(TABLE.loc["total", "documented"] / 1e9, 6) in widths
    labels = [t.get_text() for t in ax.texts]
    assert any(text.startswith(f"{TABLE.loc['total', 'share']:.0f}% (") for text in labels)
    assert "billion USD" in ax.get_xlabel()


def test_the_key_figure_is_one_row_with_its_ranges_and_the_sentence_a_page_quotes():
    from aidcalc.evidence.reconciliation import key_figure

    row = key_figure(USD).iloc[0]
    total = TABLE.loc["total"]
    assert (row["documented"], row["share_low"], row["share_high"]) == pytest.approx(
        (total["documented"], total["share_low"], total["share_high"]))
    assert row["china"] == 5e9 and row["currency"] == "USD"
    assert f"{total['share']:.0f}% of the 5.00 billion" in row["sentence"]
    # a reader meets the source and the currency in words, not a row id or a code
    assert "billion US dollars of China's aid" in row["sentence"]
    assert "(Associated Press, 7 July 1978)" in row["sentence"] and "I0021" not in row["sentence"]


def test_china_own_total_in_yuan_is_named_by_its_source_and_year():
    from aidcalc.evidence.reconciliation import key_figure, reconcile_china_total

    row = key_figure(reconcile_china_total("CNY")).iloc[0]
    # I0024: '100多亿人民币' (over 10 billion yuan), Wang Hongqi from PRC aid statistics, for 1954-78
    assert row["china"] == 10e9
    assert "10.00 billion China itself reported giving (Wang Hongqi, 1978)" in row["sentence"]
    assert "billion yuan of China's aid" in row["sentence"] and "I0024" not in row["sentence"]
