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

Long columns go by :mod:`aidcalc.money.daily` first; what it hands back comes here.
"""

from __future__ import annotations

import functools
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
        return join_ids(self.rules.red, self.rules.src, self.rules.dst)

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
    live = np.isnan(amounts)
    np.logical_not(live, out=live)
    groups = group_rows(inputs, live)
    del live
    rules = Rules(inputs, groups, basis, table, errors)
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


def join_ids(*arrays) -> np.ndarray:
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


def blank(k: int) -> np.ndarray:
    """Return ``k`` empty texts (an object array), one per group: no row id, no problem yet."""
    return _filled(k, "")


def _filled(k: int, value) -> np.ndarray:
    out = np.empty(k, dtype=object)
    out.fill(value)
    return out


class Rules:
    """The conversion rules over groups; messages name the first caller row of a group."""

    def __init__(self, inputs, groups: Groups, basis: Basis, table, errors):
        self.inputs, self.groups = inputs, groups
        self.to, self.rate_types, self.via = basis.currency, basis.rate_type, basis.via
        self.basis = basis.redenomination
        self.table, self.errors = table, errors
        k = len(groups.code)
        self.red, self.src, self.dst, self.problem = (blank(k) for _ in range(4))

    def where(self, group: int) -> str:
        """Name the caller's first row of ``group`` for a message."""
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
        """Return per group the factor per unit amount and its low and high (NaN where none)."""
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
