"""The array core of :func:`aidcalc.convert`: inputs checked once, rules run once per group.

Long columns repeat a few currencies and dates, so the rules run once per distinct
(currency, date, amount present) group on a unit amount, and every amount is then multiplied by
its group's factor. Error messages name the caller's own row: its index label for a Series,
its position otherwise; where several rows fail, the first of them in the caller's order.

The groups are found without hashing every row three times: currencies are numbered (in
chunks, so the hash table stays small), the number, the day and whether an amount is present
are packed into one int64 key per row, and the keys, which span a small range (a few currencies
times the days between the first and last date), are numbered through a dense table. A single
amount skips all that: it is its own group.

Long columns take a shorter road still (:func:`_daily_path`): the rules are run once per
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

from aidcalc.errors import UnknownCurrencyError
from aidcalc.money.basis import Basis
from aidcalc.money.dates import calendar_years
from aidcalc.money.inputs import Inputs
from aidcalc.money.route import apply_rate, no_cpi, rate_legs
from aidcalc.money.route import undated as undated_error
from aidcalc.units import CURRENCIES

#: Rows numbered per pass when a column of currency names is numbered: the hash table pandas
#: builds is sized by the rows it is given, so passes of this many keep it small.
CHUNK = 1 << 16
#: The largest dense table of keys (currencies x days x 2) numbered without hashing.
DENSE_LIMIT = 1 << 26
#: Columns at least this long are converted through the daily factor table (shorter ones by groups,
#: which cost less than making or widening the table would).
DAILY_ROWS = 1 << 14
#: Columns at least this long are converted through a daily factor table already made (a column
#: of many short parts, as the partitions of a Dask frame, pays for the table once).
DAILY_SHORT = 64
#: The most days one daily factor table spans (about 180 years); columns spanning more go by groups.
DAILY_DAYS = 1 << 16


def currency_numbers(currencies, offset=None) -> tuple[np.ndarray, np.ndarray]:
    """Return per row a currency number (by first appearance, from 0) and per number the name.

    Missing values share one number; its name is the first missing value itself (``None``,
    ``NaN``), so that a message shows what the caller gave. Returns an int64 array the caller
    may overwrite. With ``offset`` (a function of a name), a row of a column of names gets
    ``offset(name)`` instead of its number, in the same pass.
    """
    n = len(currencies)
    if isinstance(currencies, pd.Categorical):
        raw = currencies.codes
        order = pd.unique(raw)  # categories by first appearance, as a column of names would be
        rank = np.zeros(len(currencies.categories) + 1, dtype=np.int64)
        rank[order] = np.arange(len(order))  # the code -1 (missing) indexes the last slot
        names = np.empty(len(order), dtype=object)
        names[:] = [currencies.categories[c] if c >= 0 else np.nan for c in order]
        return np.take(rank, raw), names
    if isinstance(currencies, np.ndarray) and currencies.ndim == 1 and currencies.strides == (0,) and n:
        return np.zeros(n, dtype=np.int64), np.array([currencies[0]], dtype=object)  # one value for all
    codes = np.empty(n, dtype=np.int64)
    numbers: dict = {}
    names: list = []
    missing = object()  # the key of the missing values, whichever kind
    for start in range(0, n, CHUNK):
        part = currencies[start:start + CHUNK]
        local, uniques = pd.factorize(part, use_na_sentinel=True)
        lut = np.empty(len(uniques) + 1, dtype=np.int64)
        for j, value in enumerate(uniques):
            lut[j] = numbers.setdefault(value, len(numbers))
            if lut[j] == len(names):
                names.append(value)
            if offset is not None:
                lut[j] = offset(value)
        if len(uniques) < len(part) and (local < 0).any():
            lut[-1] = numbers.setdefault(missing, len(numbers))
            if lut[-1] == len(names):
                names.append(part[int(np.argmax(local < 0))])
            if offset is not None:
                lut[-1] = offset(None)
        np.take(lut, local, out=codes[start:start + len(part)])
    out = np.empty(len(names), dtype=object)
    out[:] = names
    return codes, out


@dataclass
class Groups:
    """Per row its group; per group its currency, day and whether its amounts are present."""

    rows: np.ndarray  # per row, the number of its group
    code: np.ndarray  # per group, the number of its currency in ``names``
    names: np.ndarray  # per currency number, the currency as given (object)
    days: np.ndarray  # per group, datetime64[D]
    live: np.ndarray  # per group, whether its amounts are present
    _first: np.ndarray | None = None

    @property
    def first(self) -> np.ndarray:
        """Per group, the position of its first row (worked out only when a message needs it)."""
        if self._first is None:
            first = np.full(len(self.code), len(self.rows), dtype=np.int64)
            np.minimum.at(first, self.rows, np.arange(len(self.rows), dtype=np.int64))
            self._first = first
        return self._first


def group_rows(inputs: Inputs, live: np.ndarray) -> Groups:
    """Return the distinct (currency, day, amount present) combinations of the rows, numbered."""
    n = len(inputs.amounts)
    days = np.asarray(inputs.days)
    if n <= 1:
        return Groups(np.zeros(n, dtype=np.intp), np.zeros(n, dtype=np.intp),
                      np.asarray(inputs.currencies, dtype=object)[:n], days[:n], live[:n],
                      np.zeros(n, dtype=np.int64))
    key, names = currency_numbers(inputs.currencies)  # key: our own int64 array, packed in place
    day_numbers = days.view(np.int64)
    nat = np.isnat(days)
    valid = ~nat if nat.any() else True
    del nat
    if valid is not True and not valid.any():
        first_day, span = 0, 1
    else:
        first_day = int(np.min(day_numbers, where=valid, initial=np.iinfo(np.int64).max))
        span = int(np.max(day_numbers, where=valid, initial=np.iinfo(np.int64).min)) - first_day + 2
    if len(names) * span * 2 > DENSE_LIMIT:  # dates too far apart for a dense table: hash the keys
        return _hashed_groups(key, names, days, live)
    key *= span  # slot 0 of a currency's days is "no date"; day d is slot d - first_day + 1
    if valid is True:
        key += day_numbers
        key -= first_day - 1
    else:
        np.add(key, day_numbers, out=key, where=valid)
        np.subtract(key, first_day - 1, out=key, where=valid)
    del valid
    key *= 2
    key += live
    size = len(names) * span * 2
    present = np.zeros(size, dtype=bool)
    present[key] = True
    distinct = np.flatnonzero(present)
    del present
    number = np.empty(size, dtype=np.int32)
    number[distinct] = np.arange(len(distinct), dtype=np.int32)
    rows = np.take(number, key)
    del key, number
    pair, glive = np.divmod(distinct, 2)
    code, slot = np.divmod(pair, span)
    gdays = np.where(slot == 0, np.datetime64("NaT", "D"), (slot - 1 + first_day).astype("datetime64[D]"))
    return Groups(rows, code, names, gdays, glive.astype(bool))


def _hashed_groups(codes, names, days, live) -> Groups:
    n = len(codes)
    index = pd.MultiIndex.from_arrays([codes, days, live])
    rows = pd.factorize(index)[0]
    first = pd.Series(rows).drop_duplicates().index.to_numpy(dtype=np.int64)
    return Groups(rows, codes[first], names, days[first], live[first], first if n else None)


class Core:
    """Per group: factors, bounds, row ids and problems; per amount: values (and bounds).

    ``groups`` and ``rules`` may be given as one callable returning both, called when first
    asked for: a column converted through the daily table numbers its groups only then.
    """

    def __init__(self, value, low, high, groups, rules, row_problem, lazy=None, cells=None):
        self.value, self.low, self.high, self.row_problem = value, low, high, row_problem
        self._groups, self._rules, self._lazy = groups, rules, lazy
        self._cells = cells  # (per amount its cell, the daily table) on the daily path

    def _settle(self) -> None:
        if self._lazy is not None:
            self._groups, self._rules = self._lazy()
            self._lazy = None

    @property
    def groups(self) -> np.ndarray:
        """Per amount, the number of its group."""
        self._settle()
        return self._groups

    @property
    def rules(self):
        """The rules as run per group: ``red``, ``src``, ``dst`` (row ids) and ``problem``."""
        self._settle()
        return self._rules

    @property
    def group_problem(self) -> np.ndarray:
        """Per group, why its amounts are NaN under coerce ('' where they converted)."""
        return self.rules.problem

    @functools.cached_property
    def group_ids(self) -> np.ndarray:
        """Per group, the ids of the rate and redenomination rows used, joined by spaces."""
        return _join(self.rules.red, self.rules.src, self.rules.dst)

    def id_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Per amount, the number of its joined row ids in the texts returned beside (any order)."""
        if self._cells is not None:  # numbered once per cell of the daily table: no groups needed
            cell, daily, missing = self._cells
            codes, texts = daily.id_codes
            codes = np.take(codes, cell)
            if missing is not None:  # a missing amount used no row
                codes[missing] = len(texts) - 1
            return codes, texts
        codes, texts = pd.factorize(self.group_ids)
        return codes[self.groups], np.asarray(texts, dtype=object)

    def expand(self, per_group: np.ndarray) -> np.ndarray:
        """Spread a per-group array to the amounts (row problems override group problems)."""
        out = per_group[self.groups]
        if self.row_problem is not None and per_group is self.group_problem:
            out = np.where(self.row_problem != "", self.row_problem, out)
        return out


def convert_groups(inputs: Inputs, *, basis: Basis, table, errors, bounds) -> Core:
    """Run the rules once per distinct (currency, date, amount present) and scale each amount."""
    amounts = inputs.amounts
    if len(amounts) >= DAILY_SHORT and inputs.row_problem is None:
        core = _daily_path(inputs, basis, table, bounds, make=len(amounts) >= DAILY_ROWS)
        if core is not None:
            return core
    live = np.isnan(amounts)
    np.logical_not(live, out=live)
    groups = group_rows(inputs, live)
    del live
    rules = _Rules(inputs, groups, basis, table, errors)
    factor, low, high = rules.run()
    if basis.price_year is not None:
        cpi = rules.deflators(groups.days, basis.price_year, factor)
        factor, low, high = factor * cpi, low * cpi, high * cpi
    # one multiply per amount, into the result itself; the bounds only when asked for
    value = _scaled(amounts, factor, groups.rows)
    lo = _scaled(amounts, low, groups.rows) if bounds else None
    hi = _scaled(amounts, high, groups.rows) if bounds else None
    return Core(value, lo, hi, groups.rows, rules, inputs.row_problem)


def _scaled(amounts, factor, rows) -> np.ndarray:
    if len(amounts) == 1:
        return amounts * factor[rows]
    out = np.take(factor, rows)
    np.multiply(out, amounts, out=out)
    return out


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
class _Daily:
    """Per currency (and a last row of NaN for any other name), the factors of every day of a span.

    The tables are flat, row-major: the cell of currency row ``r`` on day number ``d`` (days
    since 1970-01-01) is ``r * span + d - first``. ``rules`` holds the row ids of every cell.
    """

    first: int
    span: int
    factor: np.ndarray
    low: np.ndarray
    high: np.ndarray
    rules: _Rules

    def covers(self, lo: int, hi: int) -> bool:
        return self.first <= lo and hi < self.first + self.span

    def offset(self, name) -> int:
        return _row_of(name) * self.span - self.first

    @functools.cached_property
    def id_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Per cell, the number of its joined row ids in the texts returned beside."""
        codes, texts = pd.factorize(_join(self.rules.red, self.rules.src, self.rules.dst))
        texts = np.append(np.asarray(texts, dtype=object), "")  # the row of other names: none
        return np.append(codes, np.full(self.span, len(texts) - 1)).astype(np.int32), texts


#: Per rate table (while it lives) and basis, the last daily table made.
_DAILY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _daily(table, basis: Basis, lo: int, hi: int, make: bool = True) -> _Daily | None:
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


def _daily_table(table, basis: Basis, first: int, span: int) -> _Daily:
    """Run the rules once per currency and day from day number ``first``, as convert_groups does."""
    n = len(CURRENCIES)
    day = np.arange(first, first + span, dtype=np.int64).astype("datetime64[D]")
    groups = Groups(np.empty(0, dtype=np.intp), np.repeat(np.arange(n), span),
                    np.array(CURRENCIES, dtype=object), np.tile(day, n), np.ones(n * span, dtype=bool))
    rules = _Rules(None, groups, basis, table, "quiet")
    factor, low, high = rules.run()
    if basis.price_year is not None:
        cpi = rules.deflators(groups.days, basis.price_year, factor)
        factor, low, high = factor * cpi, low * cpi, high * cpi
    other = np.full(span, np.nan)
    tables = [np.concatenate([a, other]) for a in (factor, low, high)]
    for a in tables:
        a.setflags(write=False)
    return _Daily(first, span, *tables, rules)


def _daily_path(inputs: Inputs, basis: Basis, table, bounds: bool, make: bool) -> Core | None:
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


def _cells(currencies, daily: _Daily):
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


def _daily_groups(cell: np.ndarray, names, daily: _Daily, missing) -> tuple[np.ndarray, _Settled]:
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
    return rows, _Settled(*ids, _blank(len(distinct)))

def _join(*arrays) -> np.ndarray:
    """Join per group the non-empty ids of each array with spaces, once per distinct combination."""
    k = len(arrays[0])
    if k <= 16:
        out = np.empty(k, dtype=object)
        out[:] = [" ".join(p for p in parts if p) for parts in zip(*arrays, strict=True)]
        return out
    key = np.zeros(k, dtype=np.int64)
    for a in arrays:  # a few distinct ids per array: number the combinations, join each once
        codes, uniques = pd.factorize(a)
        key = key * len(uniques) + codes
    combo = pd.factorize(key)[0]
    first = pd.Series(combo).drop_duplicates().index.to_numpy()
    text = np.empty(len(first), dtype=object)
    text[:] = [" ".join(a[i] for a in arrays if a[i]) for i in first]
    return text[combo]


def _distinct(values: np.ndarray) -> list:
    """Return the distinct values in order of first appearance (most arrays here hold one)."""
    if len(values) <= 8:
        return list(dict.fromkeys(values.tolist()))
    if values.dtype == object and (values == values[0]).all():
        return [values[0]]
    return pd.unique(values).tolist()


_ONE = np.zeros(1, dtype=np.intp)
_ONE.setflags(write=False)


def _blank(k: int) -> np.ndarray:
    return _filled(k, "")


def _filled(k: int, value) -> np.ndarray:
    out = np.empty(k, dtype=object)
    out.fill(value)
    return out


class _Rules:
    """The conversion rules over groups; messages name the first caller row of a group."""

    def __init__(self, inputs, groups: Groups, basis: Basis, table, errors):
        self.inputs, self.groups = inputs, groups
        self.to, self.rate_types, self.via = basis.currency, basis.rate_type, basis.via
        self.basis = basis.redenomination
        self.table, self.errors = table, errors
        k = len(groups.code)
        self.red, self.src, self.dst, self.problem = (_blank(k) for _ in range(4))

    def where(self, group: int) -> str:
        return self.inputs.where(int(self.groups.first[group]))

    def fail(self, groups, error_of) -> None:
        """Raise for the group of the earliest row, or under coerce record the reason for every one."""
        groups = np.asarray(groups)
        if not groups.size or self.errors == "quiet":  # a daily table: NaN says enough
            return
        if self.errors == "raise":
            raise error_of(int(groups[np.argmin(self.groups.first[groups])]) if groups.size > 1
                           else int(groups[0]))
        for g in groups:
            self.problem[g] = str(error_of(int(g)))

    def run(self):
        numbers, days, live = self.groups.code, self.groups.days, self.groups.live
        factor = np.where(live, 1.0, np.nan)
        low, high = factor.copy(), factor.copy()
        nat = np.isnat(days)
        for number in _distinct(numbers):
            code = self.groups.names[number]
            sel = np.flatnonzero(numbers == number) if len(numbers) > 1 else _ONE
            if code not in CURRENCIES:
                self.fail(sel[live[sel]],
                          lambda g, code=code: UnknownCurrencyError(code, CURRENCIES, self.where(g)))
                factor[sel] = low[sel] = high[sel] = np.nan
                continue
            if code == self.to:
                continue
            undated = sel[live[sel] & nat[sel]]
            if undated.size:
                self.fail(undated, lambda g, code=code: undated_error(
                    self.inputs.amounts[self.groups.first[g]], code, self.where(g)))
                factor[undated] = low[undated] = high[undated] = np.nan
                sel = sel[live[sel] & ~nat[sel]]
            elif not live[sel].all():
                sel = sel[live[sel]]
            if sel.size:
                f, lo, hi = self._one_currency(code, sel, days[sel])
                factor[sel], low[sel], high[sel] = f, lo, hi
        return factor, low, high

    def _one_currency(self, code, sel, days):
        """Restate into the vintage of the date, then convert leg by leg into the target."""
        f = np.ones(sel.size)
        codes = _filled(sel.size, code)
        for _old, new, ratio, effective, rid in self.table.redenomination(code, None, self.basis):
            moved = days >= effective
            if moved.any():
                codes[moved], f[moved], self.red[sel[moved]] = new, 1 / ratio, rid
        for old, _new, ratio, effective, rid in self.table.redenomination(None, code, self.basis):
            moved = days < effective
            if moved.any():
                codes[moved], f[moved], self.red[sel[moved]] = old, ratio, rid
        # a new-vintage target dated before its reform is reached through the old vintage
        target = _filled(sel.size, self.to)
        for old, _new, ratio, effective, rid in self.table.redenomination(None, self.to, self.basis):
            before = days < effective
            if before.any():
                target[before], f[before] = old, f[before] / ratio
                red = self.red[sel[before]]
                self.red[sel[before]] = np.where(red != "", red + " " + rid, rid)
        lo, hi = f.copy(), f.copy()
        sources, targets = _distinct(codes), _distinct(target)
        if len(sources) == 1 and len(targets) == 1:  # one leg for all: no selection
            if sources[0] != targets[0]:
                self._legs(sources[0], targets[0], sel, days, f, lo, hi, slice(None))
            return f, lo, hi
        for src in sources:
            for dst in targets:
                part = np.flatnonzero((codes == src) & (target == dst))
                if part.size and src != dst:
                    self._legs(src, dst, sel[part], days[part], f, lo, hi, part)
        return f, lo, hi

    def _legs(self, src, dst, groups, days, f, lo, hi, part):
        legs = rate_legs(src, dst, self.via, self.table, self.rate_types)
        if legs is None:
            self.fail(groups, lambda g: self.table.missing_rate(
                src, dst, self.rate_types, days[np.flatnonzero(groups == g)[0]], self.where(g)))
            f[part] = lo[part] = hi[part] = np.nan
        for cur, base, multiply, into in legs or ():
            rate, low, high, ids = self.table.lookup(cur, base, self.rate_types, days)
            (self.src if into == "src" else self.dst)[groups] = ids
            f[part], lo[part], hi[part] = apply_rate(f[part], lo[part], hi[part], rate, low, high, multiply)
            if np.isnan(rate).any():
                bad = np.flatnonzero(np.isnan(rate))
                self.fail(groups[bad], lambda g, cur=cur, base=base: self.table.missing_rate(
                    cur, base, self.rate_types, days[np.flatnonzero(groups == g)[0]], self.where(g)))

    def deflators(self, days, price_year, factor):
        """Per group, CPI[price_year] / CPI[year of the date]; NaN (or an error) where none."""
        years = calendar_years(days)
        cpi = self.table.cpi_of(years)
        base = self.table.cpi_of(np.array([float(price_year)]))[0]
        bad = np.flatnonzero(np.isnan(cpi) & ~np.isnan(factor))
        if bad.size:
            self.fail(bad, lambda g: no_cpi(years[g], self.table.cpi_span, self.where(g)))
        return base / cpi
