"""Long columns by one gather per amount from a daily factor table, for :func:`aidcalc.convert`.

Long columns take a shorter road than the groups of :mod:`aidcalc.money.columns`: the rules are run once per
currency and day over the days the column spans, into a daily factor table kept per rate table
and basis, and each amount is then one gather from that table and one multiply. Where any amount
comes out missing (a missing amount, an unknown currency, no rate, no date) the column is
converted again by groups, so that every message, problem and row id is the one the groups give;
the groups of a column that converted are worked out only when asked for (rate ids, problems).
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aidcalc.money.basis import Basis
from aidcalc.money.columns import Core, Groups, Rules, blank, currency_numbers, join_ids
from aidcalc.money.inputs import Inputs
from aidcalc.units import CURRENCIES

#: Columns at least this long are converted through the daily factor table (shorter ones by groups,
#: which cost less than making or widening the table would).
DAILY_ROWS = 1 << 14
#: Columns at least this long are converted through a daily factor table already made (a column
#: of many short parts, as the partitions of a Dask frame, pays for the table once).
DAILY_SHORT = 64
#: The most days one daily factor table spans (about 180 years); columns spanning more go by groups.
DAILY_DAYS = 1 << 16


_NAT = np.iinfo(np.int64).min
#: The row of each currency in a daily table; any other name (or a missing one) takes the last row.
_ROW = {code: i for i, code in enumerate(CURRENCIES)}
_OTHER = len(CURRENCIES)


def _row_of(name) -> int:
    try:
        return _ROW.get(name, _OTHER)
    except TypeError:  # an unhashable name is no currency
        return _OTHER


@dataclass
class Daily:
    """Per currency (and a last row of NaN for any other name), the factors of every day of a span.

    The tables are flat, row-major: the cell of currency row ``r`` on day number ``d`` (days
    since 1970-01-01) is ``r * span + d - first``. ``rules`` holds the row ids of every cell.
    """

    first: int
    span: int
    factor: np.ndarray
    low: np.ndarray
    high: np.ndarray
    rules: Rules

    def covers(self, lo: int, hi: int) -> bool:
        """Whether the table holds every day number from ``lo`` to ``hi``."""
        return self.first <= lo and hi < self.first + self.span

    def offset(self, name) -> int:
        """Return the cell of ``name`` on day number 0; adding a day number gives that day's cell."""
        return _row_of(name) * self.span - self.first

    @functools.cached_property
    def id_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Per cell, the number of its joined row ids in the texts returned beside."""
        codes, texts = pd.factorize(join_ids(self.rules.red, self.rules.src, self.rules.dst))
        texts = np.append(np.asarray(texts, dtype=object), "")  # the row of other names: none
        return np.append(codes, np.full(self.span, len(texts) - 1)).astype(np.int32), texts


#: Per rate table (while it lives) and basis, the last daily table made.
_DAILY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _daily(table, basis: Basis, lo: int, hi: int, make: bool = True) -> Daily | None:
    """Return the daily table of ``basis`` covering day numbers ``lo``..``hi``, made or widened once.

    None if it spans too many days, or if it would have to be made or widened and ``make`` is false.
    """
    try:
        per_basis = _DAILY.setdefault(table, {})
        made = per_basis.get(basis)
    except TypeError:  # a table or basis that cannot be a key: made for this call only
        per_basis, made = {}, None
    if made is not None and made.covers(lo, hi):
        return made
    if not make:
        return None
    if made is not None:
        lo, hi = min(lo, made.first), max(hi, made.first + made.span - 1)
    # widened to whole years, so that a column a little wider than the last reuses the table
    years = np.array([lo, hi], dtype="datetime64[D]").astype("datetime64[Y]")
    first, last = (np.array([years[0], years[1] + 1], dtype="datetime64[Y]")
                   .astype("datetime64[D]").astype(np.int64).tolist())
    if last - first > DAILY_DAYS:
        return None
    made = per_basis[basis] = _daily_table(table, basis, first, last - first)
    return made


def _daily_table(table, basis: Basis, first: int, span: int) -> Daily:
    """Run the rules once per currency and day from day number ``first``, as convert_groups does."""
    n = len(CURRENCIES)
    day = np.arange(first, first + span, dtype=np.int64).astype("datetime64[D]")
    groups = Groups(np.empty(0, dtype=np.intp), np.repeat(np.arange(n), span),
                    np.array(CURRENCIES, dtype=object), np.tile(day, n), np.ones(n * span, dtype=bool))
    rules = Rules(None, groups, basis, table, "quiet")
    factor, low, high = rules.run()
    if basis.price_year is not None:
        cpi = rules.deflators(groups.days, basis.price_year, factor)
        factor, low, high = factor * cpi, low * cpi, high * cpi
    other = np.full(span, np.nan)
    tables = [np.concatenate([a, other]) for a in (factor, low, high)]
    for a in tables:
        a.setflags(write=False)
    return Daily(first, span, *tables, rules)


def convert_long(inputs: Inputs, *, basis: Basis, table, bounds: bool) -> Core | None:
    """Convert a column through the daily table where it is long enough; None where the groups must.

    Columns of ``DAILY_ROWS`` rows or more make (or widen) the table; columns of ``DAILY_SHORT``
    or more use one already made. A column with an amount set aside goes by groups.
    """
    n = len(inputs.amounts)
    if n < DAILY_SHORT or inputs.row_problem is not None:
        return None
    return convert_daily(inputs, basis, table, bounds, make=n >= DAILY_ROWS)


def convert_daily(inputs: Inputs, basis: Basis, table, bounds: bool, make: bool) -> Core | None:
    """Convert a long column by one gather per amount from the daily table.

    Returns None where the groups must do it: a missing date, dates too far apart, no table
    made for these days (unless ``make``), or any amount that comes out missing (whose message,
    problem or row the groups give).
    """
    days = inputs.days
    if not isinstance(days, np.ndarray) or days.dtype != "datetime64[D]" or days.ndim != 1:
        return None
    numbers = days.view(np.int64)
    lo = int(numbers.min())
    hi = int(numbers.max())
    if lo == _NAT or hi - lo >= DAILY_DAYS:
        return None
    daily = _daily(table, basis, lo, hi, make)
    if daily is None:
        return None
    cell, names = _cells(inputs.currencies, daily)
    if isinstance(cell, int):  # one currency for all
        cell = numbers + cell
    else:
        np.add(cell, numbers, out=cell)
    value = _gathered(daily.factor, cell, inputs.amounts)
    missing = None
    if np.isnan(np.add.reduce(value)):  # amounts are >= 0 and finite: a sum is NaN only through a NaN
        missing = np.isnan(inputs.amounts)
        if not np.array_equal(np.isnan(value), missing):  # not only missing amounts: some row failed
            return None
        if (cell[missing] >= _OTHER * daily.span).any():  # a name that is no currency: the groups keep it
            return None
    low = _gathered(daily.low, cell, inputs.amounts) if bounds else None
    high = _gathered(daily.high, cell, inputs.amounts) if bounds else None
    return Core(value, low, high, None, None, None, lazy=lambda: _daily_groups(cell, names, daily, missing),
                cells=(cell, daily, missing))


def _cells(currencies, daily: Daily):
    """Per row, the offset of its currency's row in the daily table (an int if one for all).

    Also returns the names by first appearance, or a function giving them (a categorical's
    categories are in their own order: found only if the groups are asked for).
    """
    if isinstance(currencies, pd.Categorical):
        codes, categories = currencies.codes, currencies.categories
        lut = np.array([daily.offset(c) for c in categories] + [daily.offset(None)], dtype=np.int64)
        return np.take(lut, codes), lambda: [categories[c] if c >= 0 else np.nan for c in pd.unique(codes)]
    if isinstance(currencies, np.ndarray) and currencies.strides == (0,):
        return daily.offset(currencies[0]), [currencies[0]]
    cell, names = currency_numbers(currencies, offset=daily.offset)
    return cell, names


def _gathered(factors: np.ndarray, cell: np.ndarray, amounts) -> np.ndarray:
    out = np.take(factors, cell)
    np.multiply(out, amounts, out=out)
    return out


@dataclass
class _Settled:
    """The row ids of the groups of a column converted through the daily table (none failed)."""

    red: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    problem: np.ndarray


def _daily_groups(cell: np.ndarray, names, daily: Daily, missing) -> tuple[np.ndarray, _Settled]:
    """Return per row its group and per group its row ids, numbered as group_rows numbers them.

    group_rows orders its groups by currency (by first appearance), then by day, then by whether
    the amounts are present; a group of missing amounts used no row.
    """
    key = cell * 2
    if missing is None:
        key += 1
    else:
        key += ~missing
    present = np.zeros(2 * len(daily.factor), dtype=bool)
    present[key] = True
    distinct = np.flatnonzero(present)
    del present
    names = names() if callable(names) else names
    rank = np.full(_OTHER + 1, len(names), dtype=np.int64)
    for i, name in enumerate(names):
        rank[_row_of(name)] = i
    distinct = distinct[np.argsort(rank[distinct // (2 * daily.span)], kind="stable")]
    number = np.empty(2 * len(daily.factor), dtype=np.int32)
    number[distinct] = np.arange(len(distinct), dtype=np.int32)
    rows = np.take(number, key)
    at, live = np.divmod(distinct, 2)
    live = live.astype(bool)
    ids = []
    for per_cell in (daily.rules.red, daily.rules.src, daily.rules.dst):
        per_group = per_cell[np.minimum(at, len(per_cell) - 1)]
        per_group[~live] = ""
        ids.append(per_group)
    return rows, _Settled(*ids, blank(len(distinct)))
