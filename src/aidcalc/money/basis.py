"""The basis of a conversion: target currency, price year, rates and redenomination ratio, as one value.

Every figure the project states is "so many units *of something*": nominal US dollars at
official rates, constant 1990 dollars, rubles at the rates the sources imply. Those choices
travel together, from a notebook's parameters through the aggregations and their ranges to
the rate lookup and the column headers, so they are one small immutable value, checked once
when it is made. Nothing downstream works them out again or parses them back from a label.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, replace

from aidcalc.errors import UnknownParameterError
from aidcalc.units import check_currency, currency_name

#: Redenomination ratios: ``gold`` for obligations fixed in gold or dollars, ``cash`` for prices.
REDENOMINATIONS = ("gold", "cash")
#: Cross rates through the US dollar, or a rate quoted between the two currencies themselves.
VIAS = ("USD", "direct")
#: The rate bases a report can choose: official rates, or those the sources' conversions imply.
RATE_BASES = ("official", "source_implied")
#: Nominal prices, or constant US dollars of a price year (US CPI-U).
PRICE_BASES = ("nominal", "constant")

_RATE_TYPES = {"official": ("official",), "source_implied": ("source_implied", "official")}


def _choice(name: str, value, allowed) -> None:
    if value not in allowed:
        choices = ", ".join(map(repr, allowed))
        raise UnknownParameterError(f"{name}={value!r} is not accepted; use one of {choices}")


def check_year(name: str, value) -> int | None:
    """Return ``value`` as a year (an integer, not a boolean, not text), or None for None.

    One rule for every caller: the library, the report config and the command line.

    Examples
    --------
    >>> check_year("price_year", 1990)
    1990
    >>> check_year("price_year", "1990")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    aidcalc.errors.UnknownParameterError: price_year='1990' is not accepted; give the year as a whole ...

    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise UnknownParameterError(
            f"{name}={value!r} is not accepted; give the year as a whole number such as 1990")
    return int(value)


@dataclass(frozen=True)
class Basis:
    """What converted amounts are expressed in: currency, price year, rates and redenomination basis.

    Parameters
    ----------
    currency : str
        Target currency code: ``USD``, ``RUB``, ``CNY``, ``ALL`` (or an old vintage).
    price_year : int, optional
        Constant US dollars of this year (US CPI-U); None for nominal amounts. USD only.
    rate_type : tuple of str
        The ``rate_type`` rows of ``data/rates.csv`` tried in order, e.g. ``("official",)``.
    via : {"USD", "direct"}
        Cross rates through the dollar, or a rate quoted between the two currencies.
    redenomination : {"gold", "cash"}
        The ratio that restates an old vintage after its reform (see :mod:`aidcalc.money.conversion`).

    Raises
    ------
    UnknownParameterError, UnknownCurrencyError
        When made, naming the field, the value and what is accepted. The price year's range
        is checked against the CPI table when a conversion uses it.

    Examples
    --------
    >>> b = Basis.for_report("USD", "constant", 1990)
    >>> b.label
    'constant 1990 USD (official rates via USD, gold basis)'
    >>> b.tag, b.price_basis, b.rate_basis
    ('USD_constant_1990', 'constant', 'official')
    >>> b.nominal().label
    'USD (official rates via USD, gold basis)'

    """

    currency: str = "USD"
    price_year: int | None = None
    rate_type: tuple = ("official",)
    via: str = "USD"
    redenomination: str = "gold"

    def __post_init__(self):
        check_currency(self.currency)
        year = check_year("price_year", self.price_year)
        if year is not None and self.currency != "USD":
            raise UnknownParameterError(
                f"price_year applies to USD results only, not to={self.currency!r}: constant prices "
                "are US CPI-U dollars; convert to USD or leave price_year out")
        object.__setattr__(self, "price_year", year)
        types = (self.rate_type,) if isinstance(self.rate_type, str) else tuple(self.rate_type)
        if not types or not all(isinstance(t, str) and t for t in types):
            raise UnknownParameterError(f"rate_type={self.rate_type!r} is not accepted; give a rate type "
                                        "of data/rates.csv such as 'official', or a tuple of them")
        object.__setattr__(self, "rate_type", types)
        _choice("via", self.via, VIAS)
        _choice("basis", self.redenomination, REDENOMINATIONS)

    @classmethod
    def for_report(cls, currency: str = "USD", price_basis: str = "nominal", price_year: int | None = 1990,
                   rate_basis: str = "official") -> Basis:
        """Make the basis of a report's parameters (``price_year`` applies only to constant prices).

        Examples
        --------
        >>> Basis.for_report("RUB", "nominal", 1990, "source_implied").rate_type
        ('source_implied', 'official')

        """
        _choice("price_basis", price_basis, PRICE_BASES)
        _choice("rate_basis", rate_basis, RATE_BASES)
        if price_basis == "constant" and currency != "USD":
            raise UnknownParameterError(f"price_basis='constant' needs currency='USD', not {currency!r}: "
                                        "constant prices are US CPI-U dollars")
        year = check_year("price_year", price_year) if price_basis == "constant" else None
        if price_basis == "constant" and year is None:
            raise UnknownParameterError("price_basis='constant' needs a price_year, such as 1990")
        return cls(currency, year, _RATE_TYPES[rate_basis])

    @property
    def price_basis(self) -> str:
        """``constant`` with a price year, else ``nominal``."""
        return "nominal" if self.price_year is None else "constant"

    @property
    def rate_basis(self) -> str:
        """``source_implied`` when the sources' implied rates come first, else ``official``."""
        return "source_implied" if self.rate_type[0] == "source_implied" else "official"

    @property
    def label(self) -> str:
        """The basis in one line, as headers and tooltips give it."""
        price = f"constant {self.price_year} " if self.price_year is not None else ""
        return f"{price}{self.currency} ({'/'.join(self.rate_type)} rates via {self.via}, " \
               f"{self.redenomination} basis)"

    @property
    def unit(self) -> str:
        """The unit of the amounts, short: ``USD``, ``constant 1990 USD``."""
        return f"constant {self.price_year} {self.currency}" if self.price_year is not None else self.currency

    @property
    def tag(self) -> str:
        """The suffix of money columns in CSV files: ``USD``, ``USD_constant_1990``, ``RUB``."""
        return self.currency if self.price_year is None else f"{self.currency}_constant_{self.price_year}"

    @property
    def words(self) -> str:
        """The basis for a reader: currency by name, price basis and rates in words."""
        name = currency_name(self.currency)
        price = f"constant {self.price_year} prices" if self.price_year is not None else "current prices"
        rates = "rates the sources' own conversions imply" if self.rate_basis == "source_implied" \
            else "official exchange rates"
        return f"{name}, {price}, at {rates}"

    def nominal(self) -> Basis:
        """Return the same basis at current prices."""
        return replace(self, price_year=None)

    def with_rate_basis(self, rate_basis: str) -> Basis:
        """Return the same basis with the rates of ``rate_basis`` (``official`` or ``source_implied``)."""
        _choice("rate_basis", rate_basis, RATE_BASES)
        return replace(self, rate_type=_RATE_TYPES[rate_basis])

    def other_rate_basis(self) -> Basis:
        """Return the basis at the other rate basis: a second valuation of the same rows."""
        return self.with_rate_basis("official" if self.rate_basis == "source_implied" else "source_implied")


#: The conversion options that a :class:`Basis` stands for, with their defaults.
OPTION_DEFAULTS = {"price_year": None, "rate_type": "official", "via": "USD", "basis": "gold"}


def as_basis(to="USD", **options) -> Basis:
    """Return the basis of ``to`` and the options of :func:`aidcalc.convert` (a Basis passes through).

    Parameters
    ----------
    to : str or Basis
        A target currency code, or a whole basis.
    **options
        ``price_year``, ``rate_type``, ``via``, ``basis`` (the redenomination ratio) as
        :func:`aidcalc.convert` takes them; refused beside a Basis, which holds them already.

    Examples
    --------
    >>> as_basis("USD", price_year=1990).label
    'constant 1990 USD (official rates via USD, gold basis)'
    >>> as_basis(Basis("RUB")) == Basis("RUB")
    True

    """
    unknown = set(options) - set(OPTION_DEFAULTS)
    if unknown:
        raise UnknownParameterError(f"unknown conversion option(s) {sorted(unknown)}; "
                                    f"accepted: {', '.join(OPTION_DEFAULTS)}")
    if isinstance(to, Basis):
        given = sorted(k for k, v in options.items() if v != OPTION_DEFAULTS[k])
        if given:
            raise UnknownParameterError(f"{', '.join(given)} given beside to={to!r}, which holds them "
                                        "already; change the Basis (dataclasses.replace) instead")
        return to
    merged = {**OPTION_DEFAULTS, **options}
    return Basis(to, merged["price_year"], merged["rate_type"], merged["via"], merged["basis"])
