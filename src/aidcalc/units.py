"""The package's one pint unit registry, with currency vintages as their own dimensions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pint

from aidcalc.distinct import factorize_rows
from aidcalc.errors import UnknownCurrencyError

#: The only registry in aidcalc; every module and notebook uses this one.
ureg = pint.UnitRegistry(cache_folder=None)
ureg.load_definitions(Path(__file__).with_name("units.txt"))
Q_ = ureg.Quantity

#: Currency codes, with their vintages, that the rate tables may hold.
CURRENCIES = ("RUB_old", "RUB", "CNY_old", "CNY", "ALL_old", "ALL", "USD")
#: Unit codes that the evidence tables use for non-money quantities, with their pint unit.
QUANTITY_UNITS = {"t": "tonne", "count": "count"}


def currency_code(unit, vintage):
    """Return the registry code of an evidence row's currency: its unit plus ``_old`` if old.

    Works on scalars and on numpy arrays or pandas Series alike; USD has no vintage.

    Examples
    --------
    >>> currency_code("RUB", "old"), currency_code("CNY", "new"), currency_code("USD", "old")
    ('RUB_old', 'CNY', 'USD')

    """
    scalar = np.ndim(unit) == 0
    units = np.atleast_1d(np.asarray(unit, dtype=object))
    vintages = np.atleast_1d(np.asarray(vintage, dtype=object))
    # a few distinct (unit, vintage) pairs in any long column: name each pair once
    rows, first = factorize_rows(units, vintages)
    names = np.array([_vintaged(u, v) for u, v in zip(units[first], vintages[first], strict=True)],
                     dtype=object)
    code = names[rows]
    return code[0] if scalar else code


def _vintaged(unit, vintage):
    old = isinstance(unit, str) and unit != "USD" and isinstance(vintage, str) and vintage == "old"
    return unit + "_old" if old else unit


def check_currency(code: str) -> str:
    """Return ``code`` if it is a currency the registry defines, else raise.

    Raises
    ------
    UnknownCurrencyError
        Naming the code and listing the accepted ones.

    Examples
    --------
    >>> check_currency("RUB_old")
    'RUB_old'

    """
    if code not in CURRENCIES:
        raise UnknownCurrencyError(code, CURRENCIES)
    return code


def to_quantity(amount, code: str) -> pint.Quantity:
    """Attach the registry's unit for ``code`` (a currency, ``t`` or ``count``) to ``amount``.

    Examples
    --------
    >>> to_quantity(3500, "t").to("kg")
    <Quantity(3500000.0, 'kilogram')>

    """
    if code in QUANTITY_UNITS:
        return Q_(amount, QUANTITY_UNITS[code])
    return Q_(amount, check_currency(code))


def code_of(quantity: pint.Quantity) -> str:
    """Return the currency code of a money quantity.

    Raises
    ------
    UnknownCurrencyError
        If the quantity's unit is not one currency of the registry.

    Examples
    --------
    >>> code_of(Q_(5, "CNY"))
    'CNY'

    """
    unit = str(quantity.units)
    if unit not in CURRENCIES:
        raise UnknownCurrencyError(unit, CURRENCIES)
    return unit
