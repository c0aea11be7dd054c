"""China's aid to Albania, 1954-78, as the sources document it, set against China's own totals.

China's own accounts give one total for all its aid to Albania: more than 10 billion yuan in 75
agreements, 1954-78, split about 28% general goods, 43% military goods, 25% complete plants
and 2% cash (I0024, I0042-I0045), and, in China's note of 7 July 1978 as reported in dollars,
about 5 billion dollars over 24 years (I0021). The thesis documents China's aid loan by loan.
This module adds up what it documents, by the categories of China's account, each with its
range, and says what share of China's own total that is.

The categories, and the rows behind each:

* **loans** (general goods and complete plants in China's account): the committed Chinese
  loans of plans 2 to 6, with the range of :func:`~aidcalc.evidence.ranges.aggregate_loans_with_range`;
* **cash**: the free-currency loans of 1968 and 1970 (rows of category ``cash``);
* **arms**: the accepted arms list of 1967-71, valued in rubles by the source (A0040); its
  range runs from the Sino-Soviet clearing rate to the high end of the account rate of the
  loans (R049); later promises are counted in items and tonnes only, so this is a lower bound;
* **goods outside the loans**: grain given in tonnes (no value in the sources).

China's own total in the target currency: its own figure in that currency is the central
value (10 billion yuan, or 5 billion dollars); the range is its other figure converted at the
extreme official yuan rates of 1955-78 (the yuan of the 1950s-60s, 2.4618 per dollar, and of
1978, 1.6836). A share's low divides the documented low by China's high, and its high the
documented high by China's low, so the range holds every combination of the readings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aidcalc.errors import UnknownParameterError
from aidcalc.evidence.aggregation import Aggregation
from aidcalc.evidence.ranges import aggregate_loans_with_range
from aidcalc.money.basis import Basis, as_basis
from aidcalc.money.conversion import convert
from aidcalc.tables.context import open_data
from aidcalc.units import currency_name

#: China's own accounts: the total in yuan and in dollars, and the category shares of the yuan total.
TOTAL_IN = {"CNY": "I0024", "USD": "I0021"}
#: Each category of the reconciliation, and the rows of China's own account (shares) it matches.
CATEGORIES = {
    "loans": ("I0042", "I0044"),  # general goods and complete plants, which the loans paid for
    "cash": ("I0045",),
    "arms": ("I0043",),
    "goods outside the loans": (),  # within general goods in China's account; given in tonnes here
}
#: The years China's totals cover.
YEARS = (1954, 1978)
#: Events that say aid was given or promised (a request is not aid).
GIVEN_EVENTS = ("granted", "approved", "signed", "agreed", "added", "stated_total", "delivered", "promised")


@dataclass
class Reconciliation:
    """China's aid by category, beside China's own totals, with every input row accounted for.

    ``table`` has one row per category and one for the total: ``documented``,
    ``documented_low``, ``documented_high`` (in ``basis``), ``low_by``/``high_by`` (the
    readings that set them), ``tonnes`` (quantities the sources give without a value),
    ``china_share`` (percent of China's account), ``china``, ``china_low``, ``china_high``
    (that share of China's total, in ``basis``), and ``share``, ``share_low``, ``share_high``
    (documented / China's, in percent). ``china_total`` holds China's total (central, low,
    high, and the rows behind it); ``rows`` is the Aggregation of the input rows.
    """

    table: pd.DataFrame
    china_total: dict
    rows: Aggregation
    basis: Basis


def china_total(basis: Basis, data=None) -> dict:
    """Return China's own total for 1954-78 in ``basis``: central, low, high and where each comes from.

    Examples
    --------
    >>> t = china_total(as_basis("USD"))
    >>> round(t["central"] / 1e9, 2), round(t["low"] / 1e9, 3), round(t["high"] / 1e9, 3)
    (5.0, 4.062, 5.94)

    """
    data = open_data(data)
    independent = data.table("independent").set_index("id")
    if basis.currency not in TOTAL_IN or basis.price_year is not None:
        raise UnknownParameterError(
            f"China's own totals are nominal yuan and dollars: reconcile in 'USD' or 'CNY' at nominal "
            f"prices, not {basis.label!r}")
    own = TOTAL_IN[basis.currency]
    other = next(i for c, i in TOTAL_IN.items() if c != basis.currency)
    rates = data.table("rates")
    yuan = rates[(rates["currency"] == "CNY") & (rates["base"] == "USD") & (rates["rate_type"] == "official")]
    starts = pd.to_datetime(yuan["valid_from"]).dt.year
    ends = pd.to_datetime(yuan["valid_to"]).dt.year
    yuan = yuan[(ends >= YEARS[0]) & (starts <= YEARS[1])]
    weak, strong = yuan.loc[yuan["currency_per_base"].idxmax()], yuan.loc[yuan["currency_per_base"].idxmin()]
    amount = float(independent.at[other, "amount"])
    if basis.currency == "USD":  # yuan to dollars: the weak yuan gives the low
        ends_at = sorted([(amount / weak["currency_per_base"], weak["id"]),
                          (amount / strong["currency_per_base"], strong["id"])])
    else:
        ends_at = sorted([(amount * weak["currency_per_base"], weak["id"]),
                          (amount * strong["currency_per_base"], strong["id"])])
    (low, low_rate), (high, high_rate) = ends_at
    return {"central": float(independent.at[own, "amount"]), "central_by": own,
            "central_words": _figure_in_words(independent.loc[own], data),
            "low": float(low), "low_by": f"{other} at {low_rate}",
            "high": float(high), "high_by": f"{other} at {high_rate}"}


def _figure_in_words(figure: pd.Series, data) -> str:
    """Name an independent figure for a reader by its source's author and its date.

    For example "Associated Press, 7 July 1978" for I0021, not the row id.
    """
    sources = data.table("sources").set_index("id")
    author = str(sources.at[figure["source_id"], "author"]).split(";")[0]
    # "Associated Press (Tokyo)", "Wang Hongqi 王洪起 (...)": the name as the bibliography sorts it
    author = " ".join(w for w in author.split(" (")[0].split() if w.isascii())
    when = str(figure["date"])
    if len(when) == 10:  # a day: in words, as a historian writes it
        day = pd.Timestamp(when)
        when = f"{day.day} {day.strftime('%B')} {day.year}"
    return f"{author}, {when}"


def _plan_bounds(table: pd.DataFrame) -> tuple[float, float, str, str]:
    """Sum the committed bounds of China's plans, naming the largest reading of each plan's bound."""
    low, high = float(table["committed_low"].sum()), float(table["committed_high"].sum())
    names = []
    for column in ("committed_low_by", "committed_high_by"):
        named = [f"plan {plan}: {text.split(';')[0]}" for plan, text in table[column].items() if text]
        names.append("; ".join(named))
    return low, high, names[0], names[1]


def _loans(basis: Basis, data) -> tuple[dict, dict, pd.DataFrame, pd.DataFrame]:
    """Return the loans and cash categories, and the loan rows counted and excluded (with reasons)."""
    agg = aggregate_loans_with_range(to=basis, data=data)
    plans = agg.table[agg.table["lender"] == "China"].set_index("plan")
    counted = agg.counted
    china = (counted["lender"].astype(object) == "China") & (counted["measure"].astype(object) == "committed")
    cash = china & (counted["category"] == "cash")
    low, high, low_by, high_by = _plan_bounds(plans)
    # cash rows are dollar amounts with no reading of their own: they move no bound
    cash_value = float(counted.loc[cash, "value"].sum())
    loans = {"documented": float(counted.loc[china & ~cash, "value"].sum()),
             "documented_low": low - cash_value, "documented_high": high - cash_value,
             "low_by": low_by, "high_by": high_by}
    cash_row = {"documented": cash_value, "documented_low": cash_value, "documented_high": cash_value,
                "low_by": "", "high_by": ""}
    other = counted[~china]
    why = np.where(other["measure"].astype(object) == "requested", "a request, not aid given",
                   "lent by " + other["lender"].astype(str) + ", not China")
    excluded = pd.concat([agg.excluded, other.assign(reason=why)])
    given = counted[china].assign(reconciled_as=np.where(cash[china], "cash", "loans"))
    return loans, cash_row, given, excluded


def _goods(excluded: pd.DataFrame) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Take the grain China gave (in tonnes) out of the rows the loan sum left out."""
    grain = ((excluded["category"] == "grain") & (excluded["unit"] == "t") & (excluded["giver"] == "China")
             & (excluded["receiver"] == "Albania") & excluded["event"].isin(GIVEN_EVENTS)
             & excluded["same_as"].isna())
    rows = excluded[grain].drop(columns="reason").assign(reconciled_as="goods outside the loans")
    tonnes = float(rows["amount"].sum())
    refs = ", ".join(f"{a:,.0f} t ({i})" for i, a in zip(rows["id"], rows["amount"], strict=True))
    goods = {"documented": np.nan, "documented_low": np.nan, "documented_high": np.nan, "low_by": "",
             "high_by": "", "tonnes": tonnes, "quantities": f"grain {refs}; no value given"}
    return goods, rows, excluded[~grain]


def _arms_value(row: pd.Series, basis: Basis, data) -> dict:
    """Value a ruble arms commitment: official rates; the clearing rate (low); the account rate's high end.

    A yuan commitment is valued at the official rates only (its yuan need no ruble rate).
    """
    if row["unit"] == "CNY":
        value = convert(float(row["amount"]), "CNY", row["date"], to=basis, data=data).value
        return {"documented": value, "documented_low": value, "documented_high": value,
                "low_by": "", "high_by": ""}
    rates = data.table("rates").set_index("id")
    central = convert(float(row["amount"]), "RUB", row["date"], to=basis, data=data).value
    clearing = convert(float(row["amount"]), "RUB", row["date"], to="CNY", rate_type="clearing", via="direct",
                       data=data)
    low = convert(clearing.value, "CNY", row["date"], to=basis, data=data).value
    account = rates[rates["rate_type"] == "account"].iloc[0]
    high = convert(float(row["amount"]) * account["high"], "CNY", row["date"], to=basis, data=data).value
    return {"documented": central, "documented_low": min(low, central),
            "documented_high": max(high, central),
            "low_by": f"{row['id']} at the clearing rate {' '.join(clearing.rate_ids)} (from memory)",
            "high_by": (f"{row['id']} as account rubles, {account.name} high end "
                        f"({account['high']} yuan per ruble)")}


def _arms(arms: pd.DataFrame, basis: Basis, data) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Make the arms category: the accepted list valued, the cumulative tonnage, the promised items listed."""
    to_albania = (arms["giver"] == "China") & (arms["receiver"] == "Albania")
    given = to_albania & arms["event"].isin(GIVEN_EVENTS)
    value = given & (arms["category"] == "arms_value") & arms["part_of"].isna()
    tonnes = given & (arms["category"] == "arms_tonnage") & (arms["event"] == "stated_total")
    counted = arms[value | tonnes].assign(reconciled_as="arms")
    each = [_arms_value(r, basis, data) for _, r in arms[value].iterrows()]
    row = {k: sum(e[k] for e in each) for k in ("documented", "documented_low", "documented_high")}
    row.update(low_by="; ".join(e["low_by"] for e in each), high_by="; ".join(e["high_by"] for e in each))
    items = arms[given & (arms["category"] == "arms_items") & arms["event"].isin(("promised", "agreed"))]
    listed = "; ".join(f"{a:,.0f} {i} ({r})" for r, a, i in zip(items["id"], items["amount"], items["item"],
                                                                  strict=True))
    row["tonnes"] = float(arms.loc[tonnes, "amount"].sum())
    row["quantities"] = (f"{row['tonnes']:,.0f} t supplied by 1976 ({', '.join(arms.loc[tonnes, 'id'])}); "
                         f"promised or agreed, not valued: {listed}")
    rest = arms[~(value | tonnes)]
    parts = rest["part_of"].notna() & rest["part_of"].isin(counted["id"])
    reason = np.select(
        [~to_albania[rest.index], parts, ~rest["event"].isin(GIVEN_EVENTS), rest["category"] == "arms_items"],
        ["not China to Albania", "included in the total of row " + rest["part_of"].astype(str),
         "event '" + rest["event"].astype(str) + "': not aid given",
         "an item count: listed with the arms, not valued"],
        default="a share or a load inside the cumulative tonnage of 1976: not added")
    return row, counted, rest.assign(reason=reason)


def _china_side(category: str, shares: pd.Series, total: dict) -> dict:
    """China's own amount for a category: its share of China's total (central, low, high)."""
    ids = CATEGORIES[category]
    if not ids:
        return {"china_share": np.nan, "china": np.nan, "china_low": np.nan, "china_high": np.nan,
                "china_rows": ""}
    share = float(shares.loc[list(ids)].sum())
    return {"china_share": share, "china": total["central"] * share / 100,
            "china_low": total["low"] * share / 100, "china_high": total["high"] * share / 100,
            "china_rows": " ".join(ids)}


def _with_shares(table: pd.DataFrame) -> pd.DataFrame:
    """Add the documented share of China's amount, in percent: low over China's high, high over its low."""
    table["share"] = 100 * table["documented"] / table["china"]
    table["share_low"] = 100 * table["documented_low"] / table["china_high"]
    table["share_high"] = 100 * table["documented_high"] / table["china_low"]
    return table


def reconcile_china_total(to="USD", *, data=None) -> Reconciliation:
    """China's aid to Albania, 1954-78, by category with ranges, beside China's own totals.

    Parameters
    ----------
    to : {"USD", "CNY"} or Basis
        The currency of the comparison (nominal prices: China's own totals are nominal).
    data : DataContext or path, optional
        The data to read; defaults to the packaged tables.

    Returns
    -------
    Reconciliation
        ``table`` (one row per category, then ``total``), ``china_total`` and ``rows`` (every
        row of ``data/loans.csv`` and ``data/arms_shipments.csv``, counted under a category or
        excluded with its reason).

    Raises
    ------
    UnknownParameterError
        For a currency other than USD or CNY, or constant prices.

    Examples
    --------
    >>> r = reconcile_china_total()
    >>> total = r.table.set_index("category").loc["total"]
    >>> round(total["share_low"]), round(total["share"]), round(total["share_high"])
    (38, 62, 122)

    """
    data = open_data(data)
    basis = as_basis(to)
    total = china_total(basis, data)
    shares = data.table("independent").set_index("id")["amount"]
    loans, cash, loan_rows, excluded = _loans(basis, data)
    goods, goods_rows, excluded = _goods(excluded)
    arms_table = data.table("arms_shipments")
    arms, arms_rows, arms_excluded = _arms(arms_table, basis, data)
    rows = {"loans": loans, "cash": cash, "arms": arms, "goods outside the loans": goods}
    table = pd.DataFrame([{"category": c, **{"tonnes": np.nan, "quantities": ""}, **r,
                           **_china_side(c, shares, total)} for c, r in rows.items()])
    money = table[table["documented"].notna()]
    total_row = {"category": "total", "documented": money["documented"].sum(),
                 "documented_low": money["documented_low"].sum(),
                 "documented_high": money["documented_high"].sum(),
                 "low_by": "the sum of the categories' lows", "high_by": "the sum of the categories' highs",
                 "tonnes": np.nan, "quantities": "", "china_share": 100.0, "china": total["central"],
                 "china_low": total["low"], "china_high": total["high"],
                 "china_rows": " ".join(dict.fromkeys([total["central_by"], *total["low_by"].split()[:1]]))}
    table = _with_shares(pd.concat([table, pd.DataFrame([total_row])], ignore_index=True))
    counted = pd.concat([loan_rows, goods_rows, arms_rows], ignore_index=True)
    left_out = pd.concat([excluded, arms_excluded], ignore_index=True)
    checked = Aggregation(table, counted, left_out, unit=basis.currency,
                          n_input=len(data.table("loans")) + len(arms_table), basis=basis)
    return Reconciliation(table, total, checked, basis)


def key_figure(reconciliation: Reconciliation) -> pd.DataFrame:
    """Return the headline as one row: the documented total, China's own, the share, each with its range.

    Columns: ``documented``, ``documented_low``, ``documented_high``, ``china``, ``china_low``,
    ``china_high`` (in the reconciliation's currency), ``share``, ``share_low``, ``share_high``
    (percent), ``currency`` and ``sentence`` (the figure in words, for a page to quote).

    Examples
    --------
    >>> row = key_figure(reconcile_china_total()).iloc[0]
    >>> print(row["sentence"][:59])
    The thesis documents 3.08 billion US dollars of China's aid

    """
    total = reconciliation.table.set_index("category").loc["total"]
    columns = ["documented", "documented_low", "documented_high", "china", "china_low", "china_high",
               "share", "share_low", "share_high"]
    row = {c: float(total[c]) for c in columns}
    unit = reconciliation.basis.currency
    own = reconciliation.china_total["central_words"]
    row["currency"] = unit
    row["sentence"] = (
        f"The thesis documents {row['documented'] / 1e9:.2f} billion {currency_name(unit)} of China's aid "
        f"to Albania, "
        f"1954-78 ({row['documented_low'] / 1e9:.2f}-{row['documented_high'] / 1e9:.2f} billion by its "
        f"readings): {row['share']:.0f}% of the {row['china'] / 1e9:.2f} billion China itself "
        f"reported giving ({own}), {row['share_low']:.0f}-{row['share_high']:.0f}% over both ranges.")
    return pd.DataFrame([row])
