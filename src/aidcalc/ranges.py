"""Totals with their range: low, central and high, and the readings that set each bound.

The central figure is the default reading (the best-supported vintage of every judged row,
official rates, the rate rows' own values). Three families of doubt widen it:

* **rate intervals**: a rate row with ``low``/``high`` (a source that gives a range, or a rate
  from memory or derived, with its stated tolerance), carried through by ``convert(bounds=True)``;
* **judged readings**: every row with an ``alternative`` (the other vintage, an inclusion in a
  total, another separator reading), flipped one at a time;
* **valuations of one event**: the same event restated by the source in other currencies (the
  1970 loan as 1.88 billion yuan, 445 million rubles and 534 million USD), each converted at
  official rates, and the event converted at the rates the source's own conversions imply.

How they combine, and why: the judgements and valuations concern different documents and
agreements, so they are taken as independent of each other *across* events, and their moves are
added (the low bound sums every move down, the high bound every move up). The valuations of
*one* event are not independent of each other (they are one amount seen several ways), so each
event contributes only its lowest and its highest valuation, never a sum of them. Rate intervals
are added on top: the rows that carry them (rubles of the 1970s) are not among the judged ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aidcalc.aggregate import Aggregation, aggregate_loans
from aidcalc.context import open_data
from aidcalc.conversion import convert
from aidcalc.scenarios import apply_alternatives, conversion_options, judged_rows
from aidcalc.units import currency_code

KEY = ["plan", "lender"]
MEASURES = ("requested", "committed")


def _by_group(counted: pd.DataFrame, column: str) -> pd.DataFrame:
    """Sum ``column`` of counted rows per plan, lender and measure (wide: one column per measure)."""
    if counted.empty:
        empty = pd.MultiIndex.from_arrays([[], []], names=KEY)
        return pd.DataFrame(np.zeros((0, len(MEASURES))), index=empty, columns=list(MEASURES))
    grouped = counted.groupby(["plan_assigned", "lender", "measure"], observed=True)[column].sum()
    wide = grouped.unstack("measure")
    wide.index = wide.index.set_names(KEY)
    return wide.reindex(columns=list(MEASURES))


def _moves(central: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """Per plan, lender and measure, how far ``other`` lies from ``central`` (0 where both are missing)."""
    index = central.index.union(other.index)
    return other.reindex(index).fillna(0) - central.reindex(index).fillna(0)


def _valuations(counted: pd.DataFrame, loans: pd.DataFrame, to: str, data, implied: pd.Series | None):
    """Per counted row, the lowest and highest of its valuations minus its central value.

    Returns two Series indexed by row id, and a Series naming the valuation behind each.
    """
    low = pd.Series(0.0, index=counted["id"])
    high = pd.Series(0.0, index=counted["id"])
    why_low = pd.Series("", index=counted["id"], dtype=object)
    why_high = why_low.copy()
    value = counted.set_index("id")["value"]
    # a judged row's own alternative already spans the doubt about it: its valuations are not
    # added on top, so one event never moves a bound twice
    judged = set(judged_rows(loans))
    restated = loans[loans["same_as"].isin(value.index) & ~loans["same_as"].isin(judged)]
    candidates = []
    for row in restated.itertuples():
        main = counted.loc[counted["id"] == row.same_as].iloc[0]
        if row.unit == main["unit"] or row.unit not in ("RUB", "CNY", "USD", "ALL"):
            continue  # a repeat in the same unit is the same valuation
        code = currency_code(row.unit, row.vintage if isinstance(row.vintage, str) else None)
        got = convert(float(row.amount), code, main["converted_at"], to=to, errors="coerce", data=data)
        if not np.isnan(got.value):
            candidates.append((row.same_as, got.value, f"{row.same_as} as {row.figure_text} ({row.id})"))
    if implied is not None:
        for rid, v in implied.items():
            if rid in value.index and rid not in judged and not np.isnan(v) and not np.isclose(v, value[rid]):
                candidates.append((rid, v, f"{rid} at the source-implied rate"))
    for rid, v, why in candidates:
        move = v - value[rid]
        if move < low[rid]:
            low[rid], why_low[rid] = move, why
        if move > high[rid]:
            high[rid], why_high[rid] = move, why
    return low, high, why_low, why_high


def _interval_rows(counted: pd.DataFrame, table) -> dict:
    """Per plan and lender, the ids of interval rate rows its counted rows used."""
    rates = table.rates.set_index("id")
    wide = rates[(rates["low"].notna()) | (rates["high"].notna())].index
    out = {}
    for row in counted.itertuples():
        used = [r for r in str(row.rate_rows).split() if r in wide]
        if used:
            out.setdefault((row.plan_assigned, row.lender), set()).update(used)
    return out


def aggregate_loans_with_range(loans: pd.DataFrame | None = None, to: str = "USD", *, military=None,
                               data=None, price_year=None, rate_basis: str = "official",
                               basis: str = "gold") -> Aggregation:
    """Sum loans by plan and lender (as :func:`aidcalc.aggregate.aggregate_loans`) with each total's range.

    Parameters
    ----------
    loans : DataFrame, optional
        ``data/loans.csv``; defaults to that of ``data``.
    to : str
        Target currency: ``USD``, ``RUB`` or ``CNY``.
    military : DataFrame, optional
        ``data/arms_shipments.csv``, to add the values of arms aid.
    data : DataContext or path, optional
        The data to read; defaults to the packaged tables.
    price_year : int, optional
        Constant US dollars of this year.
    rate_basis : {"official", "source_implied"}
        The rates of the central figure; the other basis is one of the valuations.
    basis : {"gold", "cash"}
        Redenomination basis.

    Returns
    -------
    Aggregation
        ``table`` as that of ``aggregate_loans``, plus, per measure m (``requested``,
        ``committed``): ``m_low`` and ``m_high``; ``m_low_by`` and ``m_high_by`` naming the
        readings that set each bound; ``m_note`` where a total rests on an interval rate.
        ``readings`` (an attribute of the result) is the long table of every move.

    Examples
    --------
    >>> t = aggregate_loans_with_range().table.set_index(["plan", "lender"])
    >>> low, high = t.loc[(6, "China"), ["committed_low", "committed_high"]]
    >>> round(low / 1e6, 1), round(high / 1e6, 1)  # 225 million rubles / 0.75 and / 0.72
    (300.0, 312.5)

    """
    data = open_data(data)
    loans = data.table("loans") if loans is None else loans
    options = conversion_options(to, "constant" if price_year else "nominal", price_year or 1990,
                                 rate_basis, data=data)
    options["basis"] = basis

    def run(frame, **extra):
        return aggregate_loans(frame, military=military, data=data, **{**options, **extra})

    central = run(loans, bounds=True)
    counted = central.counted
    base = _by_group(counted, "value")
    moves = []  # (reading, kind, plan/lender/measure moves)
    # rate intervals, summed over the counted rows
    moves.append(("rate intervals (low)", _by_group(counted, "value_low") - base))
    moves.append(("rate intervals (high)", _by_group(counted, "value_high") - base))
    # judged readings, one at a time
    for rid in judged_rows(loans):
        other = run(apply_alternatives(loans, [rid]))
        alt = loans.loc[loans["id"] == rid, "alternative"].iloc[0]
        moves.append((f"{rid} read {alt}", _moves(base, _by_group(other.counted, "value"))))
    # valuations of one event: restatements, and the other rate basis
    other_basis = "source_implied" if rate_basis == "official" else "official"
    flipped = aggregate_loans(loans, military=military, data=data,
                              **{**conversion_options(to, "constant" if price_year else "nominal",
                                                      price_year or 1990, other_basis, data=data),
                                 "basis": basis})
    implied = flipped.counted.set_index("id")["value"]
    low, high, why_low, why_high = _valuations(counted, loans, to, options["rates"], implied)
    table = central.table.set_index(KEY)
    readings = []
    for name, move in moves:
        long = move.reindex(table.index.union(move.index)).stack(future_stack=True).rename("move")
        readings.append(long.reset_index().rename(columns={"level_2": "measure"}).assign(reading=name))
    # each event's lowest and highest valuation, named by the figure behind it
    for moves_of, why in ((low, why_low), (high, why_high)):
        rows = counted.assign(move=moves_of.reindex(counted["id"]).to_numpy(),
                              reading=why.reindex(counted["id"]).to_numpy())
        rows = rows.drop(columns="plan").rename(columns={"plan_assigned": "plan"})
        rows = rows[[*KEY, "measure", "move", "reading"]]
        readings.append(rows.assign(measure=rows["measure"].astype(str), lender=rows["lender"].astype(str)))
    readings = pd.concat(readings, ignore_index=True).dropna(subset=["move"])
    readings = readings[readings["move"].abs() > 1e-6]
    table = table.reindex(table.index.union(readings.set_index(KEY).index.unique()))
    for m in MEASURES:
        rows = readings[readings["measure"] == m]
        down = rows[rows["move"] < 0].groupby(KEY)["move"].sum()
        up = rows[rows["move"] > 0].groupby(KEY)["move"].sum()
        centre = table[m].fillna(0) if m in table else pd.Series(0.0, index=table.index)
        has = table[m].notna() | table.index.isin(rows.set_index(KEY).index)
        table[f"{m}_low"] = (centre + down.reindex(table.index).fillna(0)).where(has)
        table[f"{m}_high"] = (centre + up.reindex(table.index).fillna(0)).where(has)
        table[f"{m}_low_by"] = _names(rows[rows["move"] < 0], table.index)
        table[f"{m}_high_by"] = _names(rows[rows["move"] > 0], table.index)
    notes = _interval_rows(counted, options["rates"])
    table["committed_note"] = [
        f"rests on interval rate rows {', '.join(sorted(notes[k]))}" if k in notes else ""
        for k in table.index]
    for col in ("requested_rows", "committed_rows"):
        table[col] = table[col].fillna(0).astype(np.int64)
    out = Aggregation(table.reset_index(), counted, central.excluded, unit=central.unit,
                      n_input=central.n_input)
    out.readings = readings.reset_index(drop=True)
    return out


def sensitivity(to: str = "USD", *, data=None) -> pd.DataFrame:
    """Each plan's committed total, its range, and how far each reading moves it (one column each).

    A view of :func:`aggregate_loans_with_range`: the same readings, not a second implementation.

    Examples
    --------
    >>> s = sensitivity().set_index(["plan", "lender"])
    >>> move = s.loc[(3, "China"), "L0021 read vintage=new"]  # 500e6/0.90 - 500e6/4.444/0.90
    >>> round(float(move) / 1e6, 1)
    430.5

    """
    agg = aggregate_loans_with_range(to=to, data=data)
    moves = agg.readings[agg.readings["measure"] == "committed"]
    wide = moves.pivot_table(index=KEY, columns="reading", values="move", aggfunc="sum")
    table = agg.table.set_index(KEY)[["committed", "committed_low", "committed_high"]]
    return table.join(wide, how="left").reset_index()


def _names(rows: pd.DataFrame, index: pd.Index) -> list[str]:
    """Per plan and lender, the readings that moved the bound, largest first."""
    out = []
    grouped = {k: g for k, g in rows.groupby(KEY)} if not rows.empty else {}
    for key in index:
        g = grouped.get(key)
        if g is None:
            out.append("")
            continue
        g = g.reindex(g["move"].abs().sort_values(ascending=False).index)
        pairs = zip(g["reading"], g["move"], strict=True)
        out.append("; ".join(f"{r} ({m / 1e6:+,.1f} million)" for r, m in pairs))
    return out
