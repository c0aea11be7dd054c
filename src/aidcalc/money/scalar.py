"""One amount converted with plain Python: the same rules as the column path, without arrays.

A property test holds the two to identical values, bounds, rate ids, problems and errors.
"""

from __future__ import annotations

import numpy as np

from aidcalc.errors import (
    MissingDateError,
    UnknownCurrencyError,
)
from aidcalc.money.basis import Basis
from aidcalc.money.inputs import Scalar
from aidcalc.units import CURRENCIES


def _year_of(day: int) -> int:
    return 1970 + int(np.datetime64(day, "D").astype("datetime64[Y]").astype(np.int64))


def convert_one(one: Scalar, *, basis: Basis, table, errors) -> tuple:
    """Apply the rules of :class:`_Rules` to one amount, in plain Python: no arrays for one value.

    Returns ``(factor, low, high, ids, problem)``: the factor and bounds per unit amount, the
    ids of the rows used and, under coerce, why the amount is NaN. Raises as the column path
    does; the tests hold the two paths to the same results and messages.
    """
    to, rate_types, via, price_year = basis.currency, basis.rate_type, basis.via, basis.price_year
    red_basis = basis.redenomination
    code, day, live = one.currency, one.day, one.value == one.value
    factor = low = high = 1.0 if live else np.nan
    red = src = dst = problem = ""

    def fail(error):
        nonlocal problem
        if errors == "raise":
            raise error
        problem = str(error)

    if code not in CURRENCIES:
        if live:
            fail(UnknownCurrencyError(code, CURRENCIES, ""))
        factor = low = high = np.nan
    elif code != to and live and day is None:
        fail(MissingDateError(f"amount {np.float64(one.value)} {code} has no date; a conversion from {code} "
                              "needs the date of the amount (YYYY, YYYY-MM or YYYY-MM-DD)"))
        factor = low = high = np.nan
    elif code != to and live:
        # restate into the vintage of the date
        f, cur = 1.0, code
        for _old, new, ratio, effective, rid in table.redenomination_days(code, None, red_basis):
            if day >= effective:
                cur, f, red = new, 1 / ratio, rid
        for old, _new, ratio, effective, rid in table.redenomination_days(None, code, red_basis):
            if day < effective:
                cur, f, red = old, ratio, rid
        # a new-vintage target dated before its reform is reached through the old vintage
        target = to
        for old, _new, ratio, effective, rid in table.redenomination_days(None, to, red_basis):
            if day < effective:
                target, f = old, f / ratio
                red = red + " " + rid if red else rid
        lo = hi = f
        legs = []
        if cur == target:
            pass
        elif via == "direct":
            for c, b, multiply in ((target, cur, True), (cur, target, False)):  # quoted either way
                if table.has_pair(c, b, rate_types):
                    legs.append((c, b, multiply, "src"))
                    break
            else:
                fail(table.missing_rate(cur, target, rate_types, np.datetime64(day, "D"), ""))
                f = lo = hi = np.nan
        else:
            if cur != "USD":
                legs.append((cur, "USD", False, "src"))
            if target != "USD":
                legs.append((target, "USD", True, "dst"))
        for c, b, multiply, into in legs:
            rate, r_low, r_high, rid = table.lookup_one(c, b, rate_types, day)
            if into == "src":
                src = rid
            else:
                dst = rid
            if multiply:
                f, lo, hi = f * rate, lo * r_low, hi * r_high
            else:  # dividing: the highest rate gives the lowest value
                f, lo, hi = f / rate, lo / r_high, hi / r_low
            if rate != rate:
                fail(table.missing_rate(c, b, rate_types, np.datetime64(day, "D"), ""))
        factor, low, high = f, lo, hi
    if price_year is not None:
        year = np.nan if day is None else _year_of(day)
        cpi = np.nan if day is None else table.cpi_one(year)
        if cpi != cpi and factor == factor:
            first, last = table.cpi_span
            from aidcalc.errors import DateOutOfRangeError

            fail(DateOutOfRangeError(
                f"no CPI-U for {year:.0f}; data/cpi_u.csv covers {first}-{last}: "
                "convert without price_year, or add the year's CPI-U with its source"))
        deflator = table.cpi_one(price_year) / cpi
        factor, low, high = factor * deflator, low * deflator, high * deflator
    ids = tuple(" ".join(p for p in (red, src, dst) if p).split())
    return factor, low, high, ids, one.row_problem or problem
