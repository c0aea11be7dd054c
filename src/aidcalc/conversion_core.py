"""The array core of :func:`aidcalc.convert`: inputs checked once, rules run once per group.

Long columns repeat a few currencies and dates, so the rules run once per distinct
(currency, date, amount present) group on a unit amount, and every amount is then multiplied by
its group's factor. Error messages name the caller's own row: its index label for a Series,
its position otherwise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aidcalc.dates import calendar_years, parse_dates
from aidcalc.distinct import factorize_rows
from aidcalc.errors import (
    InvalidAmountError,
    InvalidDateError,
    MisalignedInputError,
    MissingDateError,
    UnknownCurrencyError,
)
from aidcalc.units import CURRENCIES, code_of


@dataclass
class Inputs:
    """Amounts, currencies and days of equal length, with the caller's row labels."""

    amounts: np.ndarray
    currencies: object
    days: np.ndarray
    index: pd.Index | None
    scalar: bool
    row_problem: np.ndarray | None  # per row, why an amount was set aside under coerce ('' if not)

    def where(self, position: int) -> str:
        """Name the caller's row at ``position`` for a message ('' for a scalar call)."""
        if self.scalar:
            return ""
        label = position if self.index is None else self.index[position]
        return f" at row {label!r}" if isinstance(label, str) else f" at row {label}"


def _length(value):
    if isinstance(value, str | bytes) or np.ndim(value) == 0:
        return None
    return len(value)


def prepare_inputs(amount, currency, on, errors: str) -> Inputs:
    """Check and align the three arguments of :func:`aidcalc.convert`.

    Raises
    ------
    MisalignedInputError
        If two Series have different indexes, or two arguments different lengths.

    """
    if hasattr(amount, "units"):
        currency, amount = code_of(amount), amount.magnitude
    args = {"amount": amount, "currency": currency, "on": on}
    index = None
    for name, value in args.items():
        if isinstance(value, pd.Series):
            if index is None:
                index, first = value.index, name
            elif not value.index.equals(index):
                raise MisalignedInputError(
                    f"the index of {name} differs from that of {first}; pass Series with one index "
                    f"(e.g. columns of one DataFrame), or .to_numpy() to pair them by position"
                )
    lengths = {name: _length(v) for name, v in args.items() if _length(v) is not None}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{n} has {k}" for n, k in lengths.items())
        raise MisalignedInputError(f"convert needs one amount, currency and date per row, but {shown}; "
                                   "give arguments of one length, or a single value to apply to all")
    scalar = not lengths
    n = next(iter(lengths.values()), 1)
    inputs = Inputs(np.empty(n), None, np.empty(0), index, scalar, None)
    inputs.amounts = _as_amounts(amount, n, errors, inputs)
    inputs.currencies = _as_currencies(currency, n)
    inputs.days = _as_days(on, n, errors, inputs)
    return inputs


def _set_aside(inputs: Inputs, rows: np.ndarray, message) -> None:
    if inputs.row_problem is None:
        inputs.row_problem = np.full(len(inputs.amounts), "", dtype=object)
    for i in rows:
        inputs.row_problem[i] = message(i)


def _as_amounts(amount, n: int, errors: str, inputs: Inputs) -> np.ndarray:
    if isinstance(amount, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        numeric = pd.api.types.is_numeric_dtype(amount.dtype)  # pd.NA in a nullable column is missing
        raw = amount.to_numpy(dtype=float, na_value=np.nan) if numeric else amount.to_numpy(dtype=object)
    else:
        raw = np.asarray(amount)
    raw = np.broadcast_to(np.atleast_1d(raw), (n,))
    if raw.dtype.kind in "fiub":
        values = raw.astype(float)
        bad = np.zeros(n, dtype=bool)
    else:  # text or objects: each must read as a number; None and pd.NA are missing
        raw = np.array(raw.tolist(), dtype=object)  # numpy strings as plain ones, for messages
        values = np.full(n, np.nan)
        bad = np.zeros(n, dtype=bool)
        for i, v in enumerate(raw):
            if v is None or v is pd.NA or v is pd.NaT:
                continue
            try:
                values[i] = float(v)
            except (TypeError, ValueError):
                bad[i] = True
    shown = raw if raw.dtype.kind not in "fiub" else values
    checks = (
        (bad, "is not a number; give amounts in full units, e.g. 50000000 for '50 million'"),
        (np.isinf(values), "is not finite; give a finite amount in full units"),
        (values < 0, "is negative; amounts are sizes of loans or deliveries and must be >= 0"),
    )
    for mask, why in checks:
        if not mask.any():
            continue
        rows = np.flatnonzero(mask)
        if errors == "raise":
            i = int(rows[0])
            raise InvalidAmountError(f"amount {shown[i]!r}{inputs.where(i)} {why}")
        _set_aside(inputs, rows, lambda i, why=why: f"amount {shown[i]!r} {why}")
        values[rows] = np.nan
    return values


def _as_currencies(currency, n: int):
    if isinstance(getattr(currency, "dtype", None), pd.CategoricalDtype) and len(currency) == n:
        return pd.Categorical(currency)  # numbered already: cheap to group long columns by
    return np.broadcast_to(np.asarray(currency, dtype=object), (n,))


def _as_days(on, n: int, errors: str, inputs: Inputs) -> np.ndarray:
    values = on.to_numpy(dtype=object) if isinstance(on, pd.Series) and on.dtype == object else on
    try:
        days = parse_dates(values if values is not None else [None], errors=errors)
    except InvalidDateError as err:
        raise InvalidDateError(f"{err}{_date_row(values, err.value, inputs)}") from None
    days = np.broadcast_to(days, (n,))
    if errors == "coerce" and values is not None and not isinstance(values, str | dt.date):
        raw = np.broadcast_to(np.atleast_1d(np.asarray(values, dtype=object)), (n,))
        given = ~pd.isna(pd.Series(raw, dtype=object)).to_numpy()
        bad = np.flatnonzero(np.isnat(days) & given)
        if bad.size:
            _set_aside(inputs, bad, lambda i: f"date {raw[i]!r} is not YYYY, YYYY-MM or YYYY-MM-DD, "
                                              "or not a day of the calendar")
    return days


def _date_row(values, bad, inputs: Inputs) -> str:
    if values is None or isinstance(values, str) or np.ndim(values) == 0:
        return ""
    raw = np.atleast_1d(np.asarray(values, dtype=object))
    hits = [i for i, v in enumerate(raw) if v is bad or (isinstance(v, str) and v == bad)]
    return inputs.where(hits[0]) if hits else ""


@dataclass
class Core:
    """Per group: factors, bounds, row ids and problems; per amount: values (and bounds)."""

    value: np.ndarray
    low: np.ndarray | None
    high: np.ndarray | None
    groups: np.ndarray
    group_ids: np.ndarray
    group_problem: np.ndarray
    row_problem: np.ndarray | None

    def expand(self, per_group: np.ndarray) -> np.ndarray:
        """Spread a per-group array to the amounts (row problems override group problems)."""
        out = per_group[self.groups]
        if self.row_problem is not None and per_group is self.group_problem:
            out = np.where(self.row_problem != "", self.row_problem, out)
        return out


def convert_groups(inputs: Inputs, *, to, rate_types, basis, via, price_year, table, errors,
                   bounds) -> Core:
    """Run the rules once per distinct (currency, date, amount present) and scale each amount."""
    amounts = inputs.amounts
    live = ~np.isnan(amounts)
    groups, first = factorize_rows(inputs.currencies, inputs.days, live)
    cur = np.asarray(inputs.currencies[first], dtype=object)
    rules = _Rules(inputs, first, to, rate_types, basis, via, table, errors)
    factor, low, high = rules.run(cur, inputs.days[first], live[first])
    if price_year is not None:
        cpi = rules.deflators(inputs.days[first], price_year, factor)
        factor, low, high = factor * cpi, low * cpi, high * cpi
    # one multiply per amount; the bounds only when asked for (they cost two more)
    value = amounts * factor[groups]
    lo = amounts * low[groups] if bounds else None
    hi = amounts * high[groups] if bounds else None
    ids = _join(rules.red, rules.src, rules.dst)
    return Core(value, lo, hi, groups, ids, rules.problem, inputs.row_problem)


def _join(*arrays) -> np.ndarray:
    out = np.empty(len(arrays[0]), dtype=object)
    out[:] = [" ".join(p for p in parts if p) for parts in zip(*arrays, strict=True)]
    return out


class _Rules:
    """The conversion rules over groups; messages name the first caller row of a group."""

    def __init__(self, inputs, first, to, rate_types, basis, via, table, errors):
        self.inputs, self.first = inputs, first
        self.to, self.rate_types, self.basis, self.via = to, rate_types, basis, via
        self.table, self.errors = table, errors
        k = len(first)
        self.red, self.src, self.dst = (np.full(k, "", dtype=object) for _ in range(3))
        self.problem = np.full(k, "", dtype=object)

    def where(self, group: int) -> str:
        return self.inputs.where(int(self.first[group]))

    def fail(self, groups, error_of) -> None:
        """Raise for the first group, or under coerce record the reason for every one."""
        groups = np.asarray(groups)
        if self.errors == "raise":
            raise error_of(int(groups[0]))
        for g in groups:
            self.problem[g] = str(error_of(int(g)))

    def run(self, cur, days, live):
        factor = np.where(live, 1.0, np.nan)
        low, high = factor.copy(), factor.copy()
        for code in pd.unique(cur):
            sel = np.flatnonzero(cur == code)
            if code not in CURRENCIES:
                self.fail(sel[live[sel]] if live[sel].any() else sel[:0],
                          lambda g, code=code: UnknownCurrencyError(code, CURRENCIES, self.where(g)))
                factor[sel] = low[sel] = high[sel] = np.nan
                continue
            if code == self.to:
                continue
            undated = sel[live[sel] & np.isnat(days[sel])]
            if undated.size:
                self.fail(undated, lambda g, code=code: MissingDateError(
                    f"amount {self.inputs.amounts[self.first[g]]} {code}{self.where(g)} has no date; a "
                    f"conversion from {code} needs the date of the amount (YYYY, YYYY-MM or YYYY-MM-DD)"))
                factor[undated] = low[undated] = high[undated] = np.nan
            sel = sel[live[sel] & ~np.isnat(days[sel])]
            if sel.size:
                f, lo, hi = self._one_currency(code, sel, days[sel])
                factor[sel], low[sel], high[sel] = f, lo, hi
        return factor, low, high

    def _one_currency(self, code, sel, days):
        """Restate into the vintage of the date, then convert leg by leg into the target."""
        f = np.ones(sel.size)
        codes = np.full(sel.size, code, dtype=object)
        for _old, new, ratio, effective, rid in self.table.redenomination(code, None, self.basis):
            moved = days >= effective
            codes[moved], f[moved], self.red[sel[moved]] = new, 1 / ratio, rid
        for old, _new, ratio, effective, rid in self.table.redenomination(None, code, self.basis):
            moved = days < effective
            codes[moved], f[moved], self.red[sel[moved]] = old, ratio, rid
        # a new-vintage target dated before its reform is reached through the old vintage
        target = np.full(sel.size, self.to, dtype=object)
        for old, _new, ratio, effective, rid in self.table.redenomination(None, self.to, self.basis):
            before = days < effective
            target[before], f[before] = old, f[before] / ratio
            red = self.red[sel[before]]
            self.red[sel[before]] = np.where(red != "", red + " " + rid, rid)
        lo, hi = f.copy(), f.copy()
        for src in pd.unique(codes):
            for dst in pd.unique(target):
                part = np.flatnonzero((codes == src) & (target == dst))
                if part.size and src != dst:
                    self._legs(src, dst, sel[part], days[part], f, lo, hi, part)
        return f, lo, hi

    def _legs(self, src, dst, groups, days, f, lo, hi, part):
        if self.via == "direct":
            for cur, base, multiply in ((dst, src, True), (src, dst, False)):  # quoted either way
                if self.table.has_pair(cur, base, self.rate_types):
                    self._leg(cur, base, multiply, groups, days, f, lo, hi, part, self.src)
                    return
            self.fail(groups, lambda g: self.table.missing_rate(src, dst, self.rate_types,
                                                               days[0], self.where(g)))
            f[part] = lo[part] = hi[part] = np.nan
            return
        if src != "USD":
            self._leg(src, "USD", False, groups, days, f, lo, hi, part, self.src)
        if dst != "USD":
            self._leg(dst, "USD", True, groups, days, f, lo, hi, part, self.dst)

    def _leg(self, cur, base, multiply, groups, days, f, lo, hi, part, ids_out):
        rate, low, high, ids = self.table.lookup(cur, base, self.rate_types, days)
        ids_out[groups] = ids
        if multiply:
            f[part], lo[part], hi[part] = f[part] * rate, lo[part] * low, hi[part] * high
        else:  # dividing: the highest rate gives the lowest value
            f[part], lo[part], hi[part] = f[part] / rate, lo[part] / high, hi[part] / low
        bad = np.flatnonzero(np.isnan(rate))
        if bad.size:
            self.fail(groups[bad], lambda g: self.table.missing_rate(
                cur, base, self.rate_types, days[np.flatnonzero(groups == g)[0]], self.where(g)))

    def deflators(self, days, price_year, factor):
        """Per group, CPI[price_year] / CPI[year of the date]; NaN (or an error) where none."""
        years = calendar_years(days)
        cpi = self.table.cpi_of(years)
        base = self.table.cpi_of(np.array([float(price_year)]))[0]
        bad = np.flatnonzero(np.isnan(cpi) & ~np.isnan(factor))
        if bad.size:
            first, last = self.table.cpi_span
            from aidcalc.errors import DateOutOfRangeError

            self.fail(bad, lambda g: DateOutOfRangeError(
                f"no CPI-U for {years[g]:.0f}{self.where(g)}; data/cpi_u.csv covers {first}-{last}: "
                "convert without price_year, or add the year's CPI-U with its source"))
        return base / cpi
