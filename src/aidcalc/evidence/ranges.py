"""Totals with their range: low, central and high, and the readings that set each bound.

The central figure is the default reading (the best-supported vintage of every judged row,
official rates, the rate rows' own values). Three families of doubt widen it:

* **rate intervals**: a rate row with ``low``/``high`` (a source that gives a range, or a rate
  from memory or derived, with its stated tolerance), carried through by ``convert(bounds=True)``;
* **judged readings**: every row with an ``alternative`` (the other vintage, an inclusion in a
  total, another separator reading), flipped one at a time;
* **valuations of one event**: the same event restated by the source in other currencies (the
  1970 loan as 1.88 billion yuan, 445 million rubles and 534 million USD), each converted at
  official rates, and the event converted at the rates the source's own conversions imply;
  a ruble figure of the Sino-Albanian loan account of 1968-80 with no yuan of its own (the
  1975 loan) is also valued as account rubles in yuan (``rate_type`` ``account``, R049: the
  unit the source's restatements imply), at both ends of that rate's interval.

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

from aidcalc.distinct import factorize_rows
from aidcalc.errors import UnknownParameterError
from aidcalc.evidence.aggregation import Aggregation, aggregate_loans
from aidcalc.evidence.readings import apply_alternatives, judged_rows, rates_for
from aidcalc.evidence.rows import MONEY_UNITS
from aidcalc.money.basis import Basis, as_basis
from aidcalc.money.conversion import convert
from aidcalc.tables.context import DataLike, open_data
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


def _valuations(counted: pd.DataFrame, loans: pd.DataFrame, basis: Basis, rates, implied: np.ndarray):
    """Per counted row, its lowest and highest valuation minus its central value, and what gives each.

    ``implied`` holds each counted row's value under the other rate basis. A restatement is
    valued on the same ``basis`` as the row it restates (deflated too, in constant dollars), so
    each bound moves with the price basis as its central value does. Returns four arrays in
    the order of ``counted``: the move down, the move up (0 where none), and the valuation
    behind each ('' where none).
    """
    ids = counted["id"].to_numpy(dtype=object)
    value = counted["value"].to_numpy(dtype=float)
    # a judged row's own alternative already spans the doubt about it: its valuations are not
    # added on top, so one event never moves a bound twice
    named = set(judged_rows(loans))
    judged = pd.Series(ids).isin(named).to_numpy() if named else np.zeros(len(ids), dtype=bool)
    restated = loans.loc[loans["same_as"].notna(), ["id", "same_as", "unit", "vintage", "amount"]]
    # a restatement is named by the figure as the source writes it, else by its amount and unit
    restated["figure_text"] = (loans.loc[restated.index, "figure_text"] if "figure_text" in loans
                               else restated["amount"].astype(str) + " " + restated["unit"].astype(str))
    if len(restated):  # few rows restate another: find the rows they restate, not every row's id
        main = pd.DataFrame({"same_as": ids, "pos": np.arange(len(ids)),
                             "main_unit": counted["unit"].to_numpy(dtype=object)})
        restated = restated.astype({"same_as": object, "unit": object}).merge(main[~judged], on="same_as")
    else:
        restated = restated.assign(pos=np.zeros(0, dtype=np.int64), main_unit=restated["unit"])
    # a repeat in the same unit is the same valuation
    restated = restated[(restated["unit"] != restated["main_unit"]) & restated["unit"].isin(MONEY_UNITS)]
    pos, move, why = [], [], []
    if len(restated):
        at = restated["pos"].to_numpy()
        codes = currency_code(restated["unit"].to_numpy(dtype=object),
                              restated["vintage"].to_numpy(dtype=object))
        got = convert(restated["amount"].to_numpy(dtype=float), codes,
                      counted["converted_at"].to_numpy()[at], to=basis, errors="coerce", data=rates)
        pos.append(at)
        move.append(np.asarray(got.value) - value[at])
        why.append((restated["same_as"] + " as " + restated["figure_text"].astype(str) + " ("
                    + restated["id"] + ")").to_numpy(dtype=object))
    other = np.flatnonzero(~np.isnan(implied) & ~np.isclose(implied, value) & ~judged)
    pos.append(other)
    move.append(implied[other] - value[other])
    why.append(np.char.add(ids[other].astype(str), " at the source-implied rate").astype(object))
    for at, got, reason in _account_valuations(counted, loans, basis, rates, judged):
        # measured from the end of the row's own rate interval on the same side, so that the
        # bound this valuation sets is the valuation itself, not it plus the interval's move
        end = np.where(got < value[at], counted["value_low"].to_numpy(dtype=float)[at],
                       counted["value_high"].to_numpy(dtype=float)[at])
        pos.append(at)
        move.append(got - np.where(np.isnan(end), value[at], end))
        why.append(reason)
    pos, move, why = np.concatenate(pos), np.concatenate(move), np.concatenate(why)
    n = len(ids)
    low, high = np.zeros(n), np.zeros(n)
    why_low, why_high = np.full(n, "", dtype=object), np.full(n, "", dtype=object)
    order = np.argsort(-move, kind="stable")  # largest first: the last write per row is its lowest
    keep = ~np.isnan(move[order])
    for target, reason, sign in ((low, why_low, -1), (high, why_high, 1)):
        seq = order[keep] if sign < 0 else order[keep][::-1]
        seq = seq[sign * move[seq] > 0]
        target[pos[seq]], reason[pos[seq]] = move[seq], why[seq]
    return low, high, why_low, why_high


#: The ends of an account rate row's interval, and the words a bound names them by.
_ACCOUNT_ENDS = (("value", "central"), ("low", "low end"), ("high", "high end"))


def _account_valuations(counted: pd.DataFrame, loans: pd.DataFrame, basis: Basis, rates, judged):
    """Yield, for ruble rows of a bilateral account, their value through the account's yuan.

    The "rubles" of the Sino-Albanian loan accounts of 1968-80 are a unit of account whose
    yuan value the sources' own restatements imply (``rate_type`` ``account`` in
    ``data/rates.csv``, CNY per RUB, with an interval). A counted ruble row dated inside such
    a rate row, and with no yuan restatement of its own (where the source gives the yuan, that
    is the valuation), is valued as that many account rubles in yuan at the rate's central
    value and at both ends of its interval, then in ``basis`` at the official yuan rate.
    Yields ``(positions, values, names)`` per end of the interval; nothing where no row qualifies.
    """
    if not rates.has_pair("CNY", "RUB", ("account",)):
        return
    in_yuan = set(loans.loc[loans["same_as"].notna() & (loans["unit"] == "CNY"), "same_as"])
    ids = counted["id"].to_numpy(dtype=object)
    rubles = (counted["currency"].astype(object) == "RUB").to_numpy() & ~judged
    rubles &= ~pd.Series(ids).isin(in_yuan).to_numpy()
    at = np.flatnonzero(rubles)
    if not len(at):
        return
    days = counted["converted_at"].to_numpy()[at]
    rubles = counted["amount"].to_numpy(dtype=float)[at]
    yuan = convert(rubles, "RUB", days, to="CNY", rate_type="account", via="direct", bounds=True,
                   errors="coerce", data=rates)
    row_ids = np.asarray(yuan.rate_id_strings(), dtype=object)
    # value = amount x factor: the yuan of every end are valued by one factor per row
    per_yuan = np.asarray(convert(np.ones(len(at)), "CNY", days, to=basis, errors="coerce",
                                  data=rates).value, dtype=float)
    for attr, end in _ACCOUNT_ENDS:
        amount = np.asarray(getattr(yuan, attr), dtype=float)
        got = amount * per_yuan
        keep = np.flatnonzero(~np.isnan(got))
        yield at[keep], got[keep], _account_names(ids[at[keep]], row_ids[keep], end,
                                                  amount[keep] / rubles[keep])


def _account_names(ids: np.ndarray, row_ids: np.ndarray, end: str, ratio: np.ndarray) -> np.ndarray:
    """Name each valuation: "L0070 as account rubles, R049 low end (2.3333 yuan per ruble)"."""
    # a few distinct (rate row, ratio) pairs over many rows: each text is written once
    pairs, first = factorize_rows(row_ids, ratio)
    tails = np.array([f" as account rubles, {r} {end} ({q:.4f} yuan per ruble)"
                      for r, q in zip(row_ids[first], ratio[first], strict=True)], dtype=object)
    return ids.astype(object) + tails[pairs]


#: The rows a tooltip names before it says how many more there are.
SHOWN_ROWS = 12


def _evidence(counted: pd.DataFrame) -> pd.Series:
    """Per plan, lender and measure, the rows behind the total with their lines ("L0021 (line 2727)")."""
    keys = ["plan_assigned", "lender", "measure"]
    groups = counted.groupby(keys, observed=True)
    first = groups.head(SHOWN_ROWS)  # a total of a million rows names its first few, then a count
    lines = (" (line " + first["line"].astype(str) + ")") if "line" in first else ""
    named = first.assign(ref=first["id"].astype(str) + lines)
    refs = named.groupby(keys, observed=True)["ref"].agg("; ".join)
    more = (groups.size() - SHOWN_ROWS).reindex(refs.index)
    return refs.where(more <= 0, refs + "; and " + more.astype(str) + " more rows")


def _interval_rows(counted: pd.DataFrame, table) -> dict:
    """Per plan and lender, the ids of interval rate rows its counted rows used."""
    rates = table.rates
    wide = set(rates.loc[rates["low"].notna() | rates["high"].notna(), "id"])
    # a few distinct rate-row strings over many rows: read each once
    codes, strings = pd.factorize(counted["rate_rows"].astype(object).to_numpy())
    used = [sorted(r for r in str(text).split() if r in wide) for text in strings]
    hit = np.isin(codes, np.flatnonzero([bool(u) for u in used]))
    rows = pd.DataFrame({"plan": counted["plan_assigned"].to_numpy()[hit],
                         "lender": counted["lender"].astype(object).to_numpy()[hit], "code": codes[hit]})
    pairs = rows.drop_duplicates()
    out = {}
    for plan, lender, code in pairs.itertuples(index=False):
        out.setdefault((plan, lender), set()).update(used[code])
    return out


def aggregate_loans_with_range(loans: pd.DataFrame | None = None, to: str | Basis = "USD", *,
                               military: pd.DataFrame | None = None, data: DataLike = None,
                               price_year: int | None = None, rate_basis: str = "official",
                               basis: str = "gold") -> Aggregation:
    """Sum loans by plan and lender (as :func:`aidcalc.aggregate_loans`) with each total's range.

    Parameters
    ----------
    loans : DataFrame, optional
        ``data/loans.csv``; defaults to that of ``data``.
    to : str or Basis
        Target currency (``USD``, ``RUB`` or ``CNY``), or the whole basis
        (:meth:`Basis.for_report <aidcalc.money.basis.Basis.for_report>`), which then stands
        for ``price_year``, ``rate_basis`` and ``basis``.
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
        readings that set each bound; ``m_evidence``, the rows behind it with their lines;
        ``committed_note`` where a total rests on an interval rate.
        ``readings`` is the long table of every move. Every bound is on the basis of the
        central figure: in constant dollars the restatements are deflated as well.

    Examples
    --------
    >>> t = aggregate_loans_with_range().table.set_index(["plan", "lender"])
    >>> low, high = t.loc[(6, "China"), ["committed_low", "committed_high"]]
    >>> # 225 million account rubles (R049) x 70/30 and x 1,560/252.4 yuan, at 1.859 yuan per USD
    >>> round(low / 1e6, 1), round(high / 1e6, 1)
    (282.4, 748.1)

    """
    data = open_data(data)
    loans = data.table("loans") if loans is None else loans
    chosen = _chosen_basis(to, price_year, rate_basis, basis)
    rates = rates_for(chosen, data)

    def run(frame, **extra):
        return aggregate_loans(frame, to=chosen, military=military, data=data, rates=rates, **extra)

    central = run(loans, bounds=True)
    counted = central.counted
    readings = pd.concat([*_reading_moves(central, loans, run),
                          *_event_valuations(counted, loans, chosen, rates, data)], ignore_index=True)
    readings = readings.dropna(subset=["move"])
    readings = readings[readings["move"].abs() > 1e-6].reset_index(drop=True)
    table = _with_bounds(central.table.set_index(KEY), readings)
    table = _with_evidence(table, counted, rates)
    return Aggregation(table.reset_index(), counted, central.excluded, unit=central.unit,
                       n_input=central.n_input, basis=chosen, readings=readings)


def _chosen_basis(to, price_year, rate_basis: str, basis: str) -> Basis:
    """Return the basis of a ranged aggregation: ``to`` itself when a Basis, else built from the options."""
    if not isinstance(to, Basis):
        return as_basis(to, price_year=price_year, basis=basis).with_rate_basis(rate_basis)
    as_basis(to, basis=basis, price_year=price_year)  # refuses options beside a Basis
    if rate_basis != "official":
        raise UnknownParameterError(f"rate_basis={rate_basis!r} given beside to={to!r}, which holds it "
                                    "already; use Basis.with_rate_basis instead")
    return to


def _long(move: pd.DataFrame, index: pd.Index, name: str) -> pd.DataFrame:
    """Return a wide table of moves (plan and lender by measure) as long rows named ``name``."""
    long = move.reindex(index.union(move.index)).stack(future_stack=True).rename("move")
    return long.reset_index().rename(columns={"level_2": "measure"}).assign(reading=name)


def _reading_moves(central: Aggregation, loans: pd.DataFrame, run) -> list[pd.DataFrame]:
    """Return the moves of the rate intervals (summed over counted rows) and of each judged reading."""
    counted, index = central.counted, central.table.set_index(KEY).index
    base = _by_group(counted, "value")
    out = [_long(_by_group(counted, "value_low") - base, index, "rate intervals (low)"),
           _long(_by_group(counted, "value_high") - base, index, "rate intervals (high)")]
    for rid in judged_rows(loans):  # one at a time: each bound names the readings that set it
        other = run(apply_alternatives(loans, [rid]))
        alt = loans.loc[loans["id"] == rid, "alternative"].iloc[0]
        out.append(_long(_moves(base, _by_group(other.counted, "value")), index, f"{rid} read {alt}"))
    return out


def _event_valuations(counted: pd.DataFrame, loans: pd.DataFrame, chosen: Basis, rates,
                      data) -> list[pd.DataFrame]:
    """Return each event's lowest and highest valuation (restatements, the other rate basis) as moves."""
    flipped = chosen.other_rate_basis()
    # the counted rows are converted already: their currency and day are at hand, so the other
    # basis is one grouped conversion of the same columns
    amounts = counted["amount"].to_numpy(dtype=float, na_value=np.nan)
    other = convert(amounts, counted["currency"].array, counted["converted_at"].to_numpy(), to=flipped,
                    data=rates_for(flipped, data), errors="coerce")
    implied = np.asarray(other.value, dtype=float)
    low, high, why_low, why_high = _valuations(counted, loans, chosen, rates, implied)
    out = []
    for moves_of, why in ((low, why_low), (high, why_high)):
        moved = np.flatnonzero(moves_of != 0)  # few rows have a second valuation
        out.append(pd.DataFrame({
            "plan": counted["plan_assigned"].array.take(moved).to_numpy(),
            "lender": np.asarray(counted["lender"].array.take(moved), dtype=object).astype(str),
            "measure": np.asarray(counted["measure"].array.take(moved), dtype=object).astype(str),
            "move": moves_of[moved], "reading": why[moved]}))
    return out


def _with_bounds(table: pd.DataFrame, readings: pd.DataFrame) -> pd.DataFrame:
    """Add each measure's low and high (the central value plus the moves down, or up) and their names.

    Moves of different readings and events are added: they are treated as independent.
    """
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
    return table


def _with_evidence(table: pd.DataFrame, counted: pd.DataFrame, rates) -> pd.DataFrame:
    """Add the rows behind each total (for a reader to get from a chart to the source) and rate notes."""
    refs = _evidence(counted)
    for m in MEASURES:
        mine = refs[refs.index.get_level_values("measure") == m].droplevel("measure")
        mine.index = mine.index.set_names(KEY)
        table[f"{m}_evidence"] = mine.reindex(table.index).fillna("").to_numpy()
    notes = _interval_rows(counted, rates)
    table["committed_note"] = [
        f"rests on interval rate rows {', '.join(sorted(notes[k]))}" if k in notes else ""
        for k in table.index]
    for col in ("requested_rows", "committed_rows"):
        table[col] = table[col].fillna(0).astype(np.int64)
    return table


def sensitivity(to: str = "USD", *, data: DataLike = None) -> pd.DataFrame:
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


def _names(rows: pd.DataFrame, index: pd.Index, shown: int = 5) -> list[str]:
    """Per plan and lender, the readings that moved the bound, largest first (the first few)."""
    if rows.empty:
        return [""] * len(index)
    rows = rows.assign(size=rows["move"].abs()).sort_values("size", ascending=False, kind="stable")
    text = {}
    for key, group in rows.groupby(KEY, sort=False):
        pairs = zip(group["reading"][:shown], group["move"][:shown], strict=True)
        top = [f"{r} ({m / 1e6:+,.1f} million)" for r, m in pairs]
        more = f"; and {len(group) - shown} more" if len(group) > shown else ""
        text[key] = "; ".join(top) + more
    return [text.get(key, "") for key in index]


def with_judged_range(aggregate, frame: pd.DataFrame, key: str, **options) -> Aggregation:
    """Run an aggregation of counts or tonnes, and give each total the range of the judged readings.

    For tables whose figures need no conversion (tonnage, item counts), the only doubt is the
    reading of judged rows (a separator read as decimal or thousands, an event read as expected
    or delivered): each row's ``alternative`` is flipped on its own, and the moves are added as in
    :func:`aggregate_loans_with_range`.

    Parameters
    ----------
    aggregate : function
        :func:`aidcalc.aggregate_tonnage` or :func:`aidcalc.aggregate_items`.
    frame : DataFrame
        Its input, e.g. ``data/arms_shipments.csv``.
    key : str
        The column of the result's table that names its rows (``year``, ``plan`` or ``item``).
    **options
        Passed to ``aggregate``.

    Returns
    -------
    Aggregation
        Its ``table`` gains ``<column>_low``, ``<column>_high`` and ``<column>_range_by`` for
        every numeric column a reading moves.

    Examples
    --------
    >>> from aidcalc import aggregate_tonnage, load_table
    >>> arms = load_table("arms_shipments")
    >>> t = with_judged_range(aggregate_tonnage, arms, "year").table.set_index("year")
    >>> t.loc[1969, ["expected", "expected_high"]].tolist()  # 266.218 t read as 266,218 t (A0017)
    [266.218, 266218.0]

    """
    central = aggregate(frame, **options)
    table = central.table.set_index(key)
    numeric = [c for c in table if pd.api.types.is_numeric_dtype(table[c])]
    low, high = table[numeric].copy(), table[numeric].copy()
    by = {c: [""] * len(table) for c in numeric}
    for rid in judged_rows(frame):
        other = aggregate(apply_alternatives(frame, [rid]), **options).table.set_index(key)
        move = other.reindex(index=table.index, columns=numeric).fillna(0) - table[numeric].fillna(0)
        alt = frame.loc[frame["id"] == rid, "alternative"].iloc[0]
        for c in numeric:
            for i, m in enumerate(move[c].to_numpy()):
                if m:
                    by[c][i] += f"{'; ' if by[c][i] else ''}{rid} read {alt} ({m:+,.3f})"
        low += move.clip(upper=0)
        high += move.clip(lower=0)
    for c in numeric:
        if any(by[c]):
            table[f"{c}_low"], table[f"{c}_high"], table[f"{c}_range_by"] = low[c], high[c], by[c]
    return Aggregation(table.reset_index(), central.counted, central.excluded, unit=central.unit,
                       n_input=central.n_input)
