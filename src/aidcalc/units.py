"""The package's one pint unit registry, with currency vintages as their own dimensions.

The registry (``ureg``, ``Q_``) is built on first use, not at import: converting numbers, which
needs only the currency codes, does not pay for importing pint and reading the definitions.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from aidcalc.distinct import factorize_rows
from aidcalc.errors import UnknownCurrencyError

if TYPE_CHECKING:
    import pint

_REGISTRY_LOCK = threading.Lock()


def _registry():
    """Build the only registry in aidcalc once; every module and notebook uses this one."""
    registry = globals().get("ureg")
    if registry is None:
        with _REGISTRY_LOCK:
            registry = globals().get("ureg")
            if registry is None:
                import pint

                registry = pint.UnitRegistry(cache_folder=None)
                registry.load_definitions(Path(__file__).with_name("units.txt"))
                globals()["Q_"] = registry.Quantity
                globals()["ureg"] = registry
    return registry


def __getattr__(name):
    # ``ureg`` and ``Q_`` are built by the first access and are module globals from then on
    if name in ("ureg", "Q_"):
        _registry()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: Currency codes, with their vintages, that the rate tables may hold.
CURRENCIES = ("RUB_old", "RUB", "CNY_old", "CNY", "ALL_old", "ALL", "USD")
#: The money units an evidence row may use: the currencies without their vintage.
MONEY_UNITS = tuple(dict.fromkeys(c.removesuffix("_old") for c in CURRENCIES))
#: The currencies that changed in a reform, so that an amount in them must say old or new.
VINTAGED_UNITS = tuple(c.removesuffix("_old") for c in CURRENCIES if c.endswith("_old"))

#: Each currency code as a reader names it (the reform that splits a vintage, in words).
CURRENCY_NAMES = {
    "RUB_old": "rubles before the 1961 reform", "RUB": "rubles",
    "CNY_old": "yuan before the 1955 reform", "CNY": "yuan",
    "ALL_old": "lek before the 1965 reform", "ALL": "lek",
    "USD": "US dollars",
}


def currency_name(code: str) -> str:
    """Return a currency code as a reader names it.

    Examples
    --------
    >>> currency_name("RUB_old"), currency_name("USD")
    ('rubles before the 1961 reform', 'US dollars')

    """
    return CURRENCY_NAMES[check_currency(code)]
#: The non-money units an evidence row may use (as declared in data/schemas/evidence.json).
QUANTITY_UNITS = ("t", "count", "pct", "times", "fraction", "rank", "years", "kWh", "km", "m")
#: The quantities that convert: each code's unit in the registry.
REGISTRY_UNITS = {"t": "tonne", "count": "count"}


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
    quantity = _registry().Quantity
    if code in REGISTRY_UNITS:
        return quantity(amount, REGISTRY_UNITS[code])
    return quantity(amount, check_currency(code))


def code_of(quantity: pint.Quantity) -> str:
    """Return the currency code of a money quantity.

    Raises
    ------
    UnknownCurrencyError
        If the quantity's unit is not one currency of the registry.

    Examples
    --------
    >>> from aidcalc.units import Q_
    >>> code_of(Q_(5, "CNY"))
    'CNY'

    """
    unit = str(quantity.units)
    if unit not in CURRENCIES:
        raise UnknownCurrencyError(unit, CURRENCIES)
    return unit
