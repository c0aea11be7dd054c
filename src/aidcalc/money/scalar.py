"""One amount converted with plain Python: the rules of :mod:`aidcalc.money.route`, without arrays.

A property test holds the two to identical values, bounds, rate ids, problems and errors.
"""

from __future__ import annotations

import numpy as np

from aidcalc.errors import UnknownCurrencyError
from aidcalc.money.basis import Basis
from aidcalc.money.inputs import Scalar
from aidcalc.money.route import apply_rate, no_cpi, rate_legs, undated
from aidcalc.units import CURRENCIES


def _year_of(day: int) -> int:
    return 1970 + int(np.datetime64(day, "D").astype("datetime64[Y]").astype(np.int64))


def convert_one(one: Scalar, *, basis: Basis, table, errors) -> tuple:
    """Apply the rules of :mod:`aidcalc.money.route` to one amount, in plain Python: no arrays.

    Returns ``(factor, low, high, ids, problem)``: the factor and bounds per unit amount, the
    ids of the rows used and, under coerce, why the amount is NaN. Raises as the column path
    does; the tests hold the two paths to the same results and messages.
    """
    code, day, live = one.currency, one.day, one.value == one.value
    # an amount's rules depend on its currency, day and basis only: worked out once for each
    # (the Basis itself is kept beside its id, so a new Basis at a reused id never matches)
    memo, key = table.scalar_memo, (code, day, id(basis))
    if live and not one.row_problem:
        hit = memo.get(key)
        if hit is not None and hit[0] is basis:
            return hit[1]
    result = _rules_of_one(one, basis, table, errors)
    if live and not result[4]:  # no problem: the same for every later amount
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[key] = (basis, result)
    return result


#: The most (currency, day, basis) results a rate table keeps for the scalar path.
MEMO_SIZE = 4096


def _rules_of_one(one: Scalar, basis: Basis, table, errors) -> tuple:
    to, price_year = basis.currency, basis.price_year
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
        fail(undated(np.float64(one.value), code))
        factor = low = high = np.nan
    elif code != to and live:
        factor, low, high, red, ids = _route(code, day, basis, table, fail)
        src, dst = ids.get("src", ""), ids.get("dst", "")
    if price_year is not None:
        year = np.nan if day is None else _year_of(day)
        cpi = np.nan if day is None else table.cpi_one(year)
        if cpi != cpi and factor == factor:
            fail(no_cpi(year, table.cpi_span))
        deflator = table.cpi_one(price_year) / cpi
        factor, low, high = factor * deflator, low * deflator, high * deflator
    ids = tuple(" ".join(p for p in (red, src, dst) if p).split())
    return factor, low, high, ids, one.row_problem or problem


def _route(code: str, day: int, basis: Basis, table, fail) -> tuple:
    """Restate one dated amount into the vintage of its date, then convert it leg by leg."""
    f, cur, red, to = 1.0, code, "", basis.currency
    for _old, new, ratio, effective, rid in table.redenomination_days(code, None, basis.redenomination):
        if day >= effective:
            cur, f, red = new, 1 / ratio, rid
    for old, _new, ratio, effective, rid in table.redenomination_days(None, code, basis.redenomination):
        if day < effective:
            cur, f, red = old, ratio, rid
    # a new-vintage target dated before its reform is reached through the old vintage
    target = to
    for old, _new, ratio, effective, rid in table.redenomination_days(None, to, basis.redenomination):
        if day < effective:
            target, f = old, f / ratio
            red = red + " " + rid if red else rid
    lo = hi = f
    ids = {}
    legs = rate_legs(cur, target, basis.via, table, basis.rate_type)
    if legs is None:
        fail(table.missing_rate(cur, target, basis.rate_type, np.datetime64(day, "D"), ""))
        return np.nan, np.nan, np.nan, red, ids
    for c, b, multiply, into in legs:
        rate, r_low, r_high, ids[into] = table.lookup_one(c, b, basis.rate_type, day)
        f, lo, hi = apply_rate(f, lo, hi, rate, r_low, r_high, multiply)
        if rate != rate:
            fail(table.missing_rate(c, b, basis.rate_type, np.datetime64(day, "D"), ""))
    return f, lo, hi, red, ids
