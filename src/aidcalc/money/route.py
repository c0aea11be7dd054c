"""The route of a conversion: the rate legs between two currencies, and what is said when one fails.

One home for the rules that the column path (:mod:`aidcalc.money.columns`) and the one-amount
path (:mod:`aidcalc.money.scalar`) share: which rates to look up and in which direction, how
a rate's interval widens the bounds, and the messages for an undated amount or a year with no
CPI. The two paths differ only in how they hold the amounts (arrays or plain floats).
"""

from __future__ import annotations

from aidcalc.errors import DateOutOfRangeError, MissingDateError


def rate_legs(src: str, dst: str, via: str, table, rate_types: tuple) -> list[tuple] | None:
    """Return the rate legs from ``src`` to ``dst``: ``(currency, base, multiply, into)`` each.

    Through the dollar (``via="USD"``) a conversion divides by the source currency's dollar
    rate and multiplies by the target's; ``via="direct"`` uses one rate quoted between the two,
    either way round. ``into`` says whose rate id the leg gives (``"src"`` or ``"dst"``).
    Returns None when no direct rate is quoted for the pair.

    Examples
    --------
    >>> from aidcalc import load_rate_table
    >>> rate_legs("RUB_old", "CNY", "USD", load_rate_table(), ("official",))
    [('RUB_old', 'USD', False, 'src'), ('CNY', 'USD', True, 'dst')]

    """
    if src == dst:
        return []
    if via == "direct":
        for currency, base, multiply in ((dst, src, True), (src, dst, False)):  # quoted either way
            if table.has_pair(currency, base, rate_types):
                return [(currency, base, multiply, "src")]
        return None
    legs = []
    if src != "USD":
        legs.append((src, "USD", False, "src"))
    if dst != "USD":
        legs.append((dst, "USD", True, "dst"))
    return legs


def apply_rate(factor, low, high, rate, rate_low, rate_high, multiply: bool) -> tuple:
    """Return ``factor``, ``low`` and ``high`` carried through one leg (floats or arrays alike).

    Dividing by a rate, the highest rate gives the lowest value, so the bounds cross over.

    Examples
    --------
    >>> apply_rate(1.0, 1.0, 1.0, 0.735, 0.72, 0.75, multiply=False)  # rubles to dollars, 1975
    (1.3605442176870748, 1.3333333333333333, 1.3888888888888888)

    """
    if multiply:
        return factor * rate, low * rate_low, high * rate_high
    return factor / rate, low / rate_high, high / rate_low


def undated(amount, code: str, where: str = "") -> MissingDateError:
    """Return the error for an amount that has no date to convert at."""
    return MissingDateError(f"amount {amount} {code}{where} has no date; a conversion from {code} needs the "
                            "date of the amount (YYYY, YYYY-MM or YYYY-MM-DD)")


def no_cpi(year, span: tuple[int, int], where: str = "") -> DateOutOfRangeError:
    """Return the error for constant dollars of a year the CPI-U table does not cover."""
    first, last = span
    return DateOutOfRangeError(f"no CPI-U for {year:.0f}{where}; data/cpi_u.csv covers {first}-{last}: "
                               "convert without price_year, or add the year's CPI-U with its source")
