"""Convert amounts between currency vintages at dated rates, and into constant dollars.

The rules, in the order they are applied to each amount:

1. **Vintage.** ``RUB_old`` is the ruble before 1 January 1961, ``RUB`` the ruble after;
   likewise ``CNY_old``/``CNY`` (reform of 1 March 1955) and ``ALL_old``/``ALL`` (10 August 1965).
2. **Redenomination.** An old-vintage amount dated on or after its reform is first restated in
   the new currency by ``data/redenominations.csv`` (and a new-vintage amount dated before its
   reform in the old one); a new-vintage target dated before its reform is reached through the
   old vintage and restated. The *basis* chooses the ratio: ``"gold"`` (the default) for
   obligations fixed in gold or dollars, such as loans and clearing balances (4.444 old rubles =
   1 new ruble in 1961), ``"cash"`` for prices, wages and cash (10 : 1).
3. **Rate.** The amount is converted at the rate in force on its date (``data/rates.csv``,
   ``rate_type`` ``"official"`` by default). Cross rates go through the US dollar unless
   ``via="direct"``, which uses a rate quoted between the two currencies themselves.
4. **Constant dollars.** With ``price_year`` set, a USD result is deflated by the US CPI-U:
   ``usd * CPI[price_year] / CPI[year of the date]``; conversion first, then deflation.

A rate row may state an interval (``low``, ``high``); ``bounds=True`` carries it through every
leg, so the lowest value divides by the highest source rate and multiplies by the lowest target
rate, and the highest the other way round.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aidcalc.errors import UnknownParameterError
from aidcalc.money.basis import Basis, as_basis
from aidcalc.money.columns import convert_groups
from aidcalc.money.daily import convert_long
from aidcalc.money.inputs import prepare_inputs, read_scalar
from aidcalc.money.rates import RateTable, load_rate_table
from aidcalc.money.scalar import convert_one
from aidcalc.tables.context import DataContext, open_data

if TYPE_CHECKING:
    import pint
    from numpy.typing import ArrayLike

    from aidcalc.tables.context import DataLike

ERRORS = ("raise", "coerce")


@dataclass(frozen=True)
class ConvertedAmount:
    """One converted amount, its unit, the rows that produced it and, with bounds, its range."""

    value: float
    unit: str
    rate_ids: tuple
    label: str
    low: float | None = None
    high: float | None = None
    problem: str = ""
    basis: Basis | None = None

    def __float__(self) -> float:
        return float(self.value)

    @property
    def quantity(self) -> pint.Quantity:
        """The result as a pint Quantity (``USD`` for constant dollars too; see ``label``)."""
        from aidcalc.units import Q_  # the registry is built on first use

        return Q_(self.value, self.unit)


class ConvertedColumns:
    """Converted columns: per amount its value and, with bounds, its low and high.

    Values, bounds and problems come back indexed like the input when the input was a pandas
    Series, else as numpy arrays. Rate ids are kept once per distinct (currency, date) group
    and expanded only when asked for (:attr:`rate_ids`, :meth:`rate_id_strings`,
    :meth:`rate_id_codes`).
    """

    def __init__(self, core, index, basis: Basis):
        self._core = core
        self._index = index
        self.basis = basis
        self.label = basis.label
        self.unit = basis.currency

    def _shaped(self, values):
        return values if self._index is None else pd.Series(values, index=self._index)

    @property
    def value(self) -> np.ndarray | pd.Series:
        """The converted amounts (``NaN`` where missing, or where ``errors="coerce"`` let a failure by)."""
        return self._shaped(self._core.value)

    @property
    def low(self) -> np.ndarray | pd.Series | None:
        """The lowest value the rate intervals allow (None unless ``bounds=True``)."""
        return None if self._core.low is None else self._shaped(self._core.low)

    @property
    def high(self) -> np.ndarray | pd.Series | None:
        """The highest value the rate intervals allow (None unless ``bounds=True``)."""
        return None if self._core.high is None else self._shaped(self._core.high)

    @property
    def problem(self) -> np.ndarray | pd.Series:
        """Why an amount is ``NaN`` under ``errors="coerce"`` ('' where it converted)."""
        return self._shaped(self._core.expand(self._core.group_problem))

    @property
    def rate_ids(self) -> np.ndarray | pd.Series:
        """Per amount, the tuple of rate and redenomination row ids used, as a scalar result has."""
        tuples = np.empty(len(self._core.group_ids), dtype=object)
        tuples[:] = [tuple(s.split()) for s in self._core.group_ids]
        return self._shaped(self._core.expand(tuples))

    def categorical(self, what: str = "rate_ids") -> pd.Categorical:
        """Per amount, the joined rate ids (``what="rate_ids"``) or the problem, as a categorical.

        Built once per group of amounts, so it costs little however long the column: the form
        to keep in a table of many rows.
        """
        per_group = self._core.group_ids if what == "rate_ids" else self._core.group_problem
        if what == "problem" and self._core.row_problem is not None:  # row-level reasons: per amount
            return pd.Categorical(self._core.expand(per_group))
        codes, uniques = pd.factorize(per_group)
        return pd.Categorical.from_codes(codes[self._core.groups], categories=uniques)

    def rate_id_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Per amount, the number of its joined rate ids in the texts returned beside them.

        The cheapest form to build a text column from, however long: ``texts[codes]`` is
        :meth:`rate_id_strings` (as a numpy array). The texts come in no particular order.

        Examples
        --------
        >>> c = convert([80e6, 1e6], ["RUB_old", "USD"], ["1956-07", "1956-07"])
        >>> codes, texts = c.rate_id_codes()
        >>> texts[codes].tolist()
        ['R002', '']

        """
        return self._core.id_codes()

    def array(self, what: str = "value") -> np.ndarray | None:
        """Return the ``value``, ``low`` or ``high`` held as a numpy array, not copied: not to be written."""
        return {"value": self._core.value, "low": self._core.low, "high": self._core.high}[what]

    def rate_id_strings(self) -> np.ndarray | pd.Series:
        """Per amount, the ids of the rows used, joined by spaces."""
        return self._shaped(self._core.expand(self._core.group_ids))

    def __len__(self) -> int:
        return len(self._core.value)

    def __repr__(self) -> str:
        return f"ConvertedColumns({len(self)} amounts, {self.label})"


def convert(amount: ArrayLike | pint.Quantity, currency: str | ArrayLike | None = None,
            on: str | ArrayLike | None = None, *, to: str | Basis = "USD",
            rate_type: str | tuple[str, ...] = "official", basis: str = "gold", via: str = "USD",
            price_year: int | None = None, errors: str = "raise", bounds: bool = False,
            data: DataLike | RateTable = None) -> ConvertedAmount | ConvertedColumns:
    """Convert money between currency vintages at the rate of its date.

    One function for one amount or for whole columns: with scalars it returns a
    :class:`ConvertedAmount`; with arrays or pandas Series (amounts, currencies and dates per row)
    a :class:`ConvertedColumns`, computed once per distinct (currency, date) and scaled per amount.

    Parameters
    ----------
    amount : float, array, Series or pint Quantity
        Amounts, in full units (not millions). ``NaN``, ``None`` and ``pd.NA`` stay missing.
    currency : str or array of str, optional
        ``RUB_old``, ``RUB``, ``CNY_old``, ``CNY``, ``ALL_old``, ``ALL`` or ``USD``; taken
        from the unit when ``amount`` is a Quantity.
    on : date-like or array
        Date of each amount: ``YYYY`` (read as 1 July), ``YYYY-MM`` (the 15th), ``YYYY-MM-DD``,
        or dates and datetimes (a time-zone-aware one counts in its own zone).
    to : str or Basis
        Target currency (default ``USD``), or a whole :class:`~aidcalc.money.basis.Basis`
        (currency, price year, rate types, via, redenomination basis); with a Basis the four
        options below are left at their defaults.
    rate_type : str or tuple of str
        A ``rate_type`` of ``data/rates.csv``: ``official`` (default), ``clearing``, ...;
        a tuple is tried in order per amount, e.g. ``("source_implied", "official")``.
    basis : {"gold", "cash"}
        Ratio for restating an old vintage after its reform (see the module doc).
    via : {"USD", "direct"}
        Cross rates through the dollar, or a rate quoted between the two currencies.
    price_year : int, optional
        Deflate USD results to dollars of this year with the US CPI-U.
    errors : {"raise", "coerce"}
        ``coerce`` returns ``NaN`` with the reason in ``problem`` instead of raising, for every
        row-level failure (bad amount, date or currency, no rate).
    bounds : bool
        Also return ``low`` and ``high``: the values at the ends of the rate rows' intervals.
    data : DataContext, RateTable or path, optional
        The tables to read (:func:`aidcalc.open_data`); defaults to the packaged tables.

    Returns
    -------
    ConvertedAmount or ConvertedColumns

    Raises
    ------
    UnknownCurrencyError, MissingDateError, DateOutOfRangeError, MissingRateError,
    InvalidAmountError, InvalidDateError, MisalignedInputError, UnknownParameterError
        Each naming the caller's row (its index label for a Series) and the value.

    Examples
    --------
    >>> c = convert(80_000_000, "RUB_old", "1956-07", to="USD")
    >>> round(c.value), c.rate_ids
    (20000000, ('R002',))
    >>> round(convert(80_000_000, "RUB_old", "1962", to="RUB").value)  # loan: gold basis
    18001800
    >>> r = convert(225e6, "RUB", "1975-06", bounds=True)  # 225 million / 0.735, 0.75 and 0.72
    >>> round(r.low / 1e6, 1), round(r.value / 1e6, 1), round(r.high / 1e6, 1)
    (300.0, 306.1, 312.5)

    """
    if errors not in ERRORS:
        raise UnknownParameterError(f"errors={errors!r} is not accepted; use one of {ERRORS}")
    table = _rate_table(data)
    basis = checked_basis(_basis(to, price_year, rate_type, via, basis), table)
    to = basis.currency
    one = read_scalar(amount, currency, on, errors)
    if one is not None:  # one plain amount: the same checks and rules without arrays
        factor, low, high, ids, problem = convert_one(one, basis=basis, table=table, errors=errors)
        value = one.value
        return ConvertedAmount(value * factor, to, ids, basis.label, value * low if bounds else None,
                         value * high if bounds else None, problem, basis)
    inputs = prepare_inputs(amount, currency, on, errors)
    core = convert_long(inputs, basis=basis, table=table, bounds=bounds)
    if core is None:
        core = convert_groups(inputs, basis=basis, table=table, errors=errors, bounds=bounds)
    if not inputs.scalar:
        return ConvertedColumns(core, inputs.index, basis)
    ids = tuple(core.group_ids[core.groups[0]].split())
    return ConvertedAmount(float(core.value[0]), to, ids, basis.label,
                     None if core.low is None else float(core.low[0]),
                     None if core.high is None else float(core.high[0]),
                     core.expand(core.group_problem)[0], basis)


def _rate_table(data):
    if isinstance(data, RateTable):
        return data
    if data is None:  # the default folder, opened once per setting of AIDCALC_DATA (and working folder)
        key = os.environ.get("AIDCALC_DATA")
        if key and not os.path.isabs(key):  # a relative folder: relative to where the caller is now
            key = (key, os.getcwd())
        context = _DEFAULT.get(key)
        if context is None:
            context = _DEFAULT[key] = open_data(None)
    else:
        context = data if isinstance(data, DataContext) else open_data(data)
    return load_rate_table(context)  # a few stat calls when nothing changed (DataContext.stamp)


#: The default data context per AIDCALC_DATA (and working folder, when it is relative).
_DEFAULT: dict = {}
#: Bases already made from convert's options, by the options' types and values (a Basis is
#: immutable, so one made and checked once serves every later call with the same options).
_BASES: dict = {}


def _basis(to, price_year, rate_type, via, basis) -> Basis:
    """Return ``as_basis`` of convert's options, made once per distinct options."""
    try:  # types in the key: 1990.0 or True must meet the checks, not the basis of 1990 or 1
        key = (type(to), to, type(price_year), price_year, type(rate_type), rate_type, type(via), via,
               type(basis), basis)
        return _BASES[key]
    except TypeError:  # an unhashable option (a list of rate types): made each time
        key = None
    except KeyError:
        pass
    made = as_basis(to, price_year=price_year, rate_type=rate_type, via=via, basis=basis)
    if key is not None and len(_BASES) < 256:
        _BASES[key] = made
    return made
def checked_basis(basis: Basis, table: RateTable) -> Basis:
    """Return ``basis`` once its rate types and price year are in the rate and CPI tables.

    Raises
    ------
    UnknownParameterError
        Naming the rate types the table knows, or the span of years ``data/cpi_u.csv`` covers.

    """
    unknown = set(basis.rate_type) - table.rate_types
    if unknown:
        raise UnknownParameterError(f"rate_type {sorted(unknown)} not in the rate table; known: "
                                    f"{sorted(table.rate_types)}")
    first, last = table.cpi_span
    if basis.price_year is not None and not first <= basis.price_year <= last:
        raise UnknownParameterError(
            f"price_year={basis.price_year!r} is not accepted; give a year from {first} to {last} "
            "(data/cpi_u.csv), as a number such as 1990")
    return basis


def deflate_usd(amount: ArrayLike, year: int | str | ArrayLike, price_year: int,
                data: DataLike | RateTable = None) -> float | np.ndarray:
    """Express US dollars of ``year`` in dollars of ``price_year`` with the CPI-U.

    Examples
    --------
    >>> round(deflate_usd(20_000_000, 1956, 1990))  # 20e6 * 130.7 / 27.2
    96102941

    """
    years = np.atleast_1d(np.asarray(year, dtype=object)).astype(str)
    result = convert(np.atleast_1d(np.asarray(amount, dtype=float)), "USD", years, to="USD",
                     price_year=price_year, data=data)
    values = np.asarray(result.value)
    return float(values[0]) if np.ndim(amount) == 0 else values
