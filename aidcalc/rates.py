"""Convert amounts between currency vintages at dated rates, and into constant dollars.

The rules, in the order they are applied to each amount:

1. **Vintage.** ``RUB_old`` is the ruble before 1 January 1961, ``RUB`` the ruble after;
   likewise ``CNY_old``/``CNY`` (reform of 1 March 1955) and ``ALL_old``/``ALL`` (10 August 1965).
2. **Redenomination.** An old-vintage amount dated on or after its reform is first restated in
   the new currency by ``data/redenominations.csv`` (and a new-vintage amount dated before its
   reform in the old one); a new-vintage target dated before its reform is reached through the
   old vintage and restated. The *basis* chooses the ratio: ``"gold"``
   (the default) for obligations fixed in gold or dollars, such as loans and clearing balances
   (4.444 old rubles = 1 new ruble in 1961), ``"cash"`` for prices, wages and cash (10 : 1).
3. **Rate.** The amount is converted at the rate in force on its date (``data/rates.csv``,
   ``rate_type`` ``"official"`` by default). Cross rates go through the US dollar unless
   ``via="direct"``, which uses a rate quoted between the two currencies themselves.
4. **Constant dollars.** With ``price_year`` set, a USD result is deflated by the US CPI-U:
   ``usd * CPI[price_year] / CPI[year of the date]``; conversion first, then deflation.

A date given as ``YYYY`` is read as 1 July of that year and ``YYYY-MM`` as the 15th of the month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from aidcalc import paths
from aidcalc.distinct import factorize_rows, map_distinct
from aidcalc.errors import (
    DateOutOfRangeError,
    InvalidAmountError,
    MissingDateError,
    MissingRateError,
    UnknownParameterError,
)
from aidcalc.units import Q_, check_currency, code_of

BASES = ("gold", "cash")
VIAS = ("USD", "direct")


def parse_dates(dates) -> np.ndarray:
    """Parse dates (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, datetimes) to ``datetime64[D]``.

    Missing values become ``NaT``. ``YYYY`` is read as 1 July, ``YYYY-MM`` as the 15th.
    A pandas Series (such as the ``date`` column of an evidence table) is read as text.

    Examples
    --------
    >>> parse_dates(["1956", "1961-01", "1965-08-10", None]).astype(str).tolist()
    ['1956-07-01', '1961-01-15', '1965-08-10', 'NaT']

    """
    if isinstance(dates, pd.Series) and not pd.api.types.is_datetime64_any_dtype(dates):
        dates = dates.astype("string").to_numpy()
    if pd.api.types.is_datetime64_any_dtype(pd.Series(np.atleast_1d(dates[:1] if np.ndim(dates) else dates))):
        return np.atleast_1d(np.asarray(dates, dtype="datetime64[D]"))
    # Dates repeat a lot (one per agreement): parse each distinct text once.
    codes, uniques = pd.factorize(np.atleast_1d(np.asarray(dates, dtype=object)), use_na_sentinel=True)
    text = pd.Series(uniques, dtype="string")
    text = text.where(text.str.len() != 4, text + "-07-01")
    text = text.where(text.str.len() != 7, text + "-15")
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = text.notna() & parsed.isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidAmountError(
            f"date {uniques[pos]!r} is not YYYY, YYYY-MM or YYYY-MM-DD"
        )
    days = np.append(parsed.to_numpy(dtype="datetime64[D]"), np.datetime64("NaT"))
    return days[codes]  # the sentinel -1 picks the trailing NaT


def calendar_years(days: np.ndarray) -> np.ndarray:
    """Return the calendar year of each ``datetime64`` day, as floats with NaN for ``NaT``.

    Examples
    --------
    >>> calendar_years(parse_dates(["1956-12-31", None])).tolist()
    [1956.0, nan]

    """
    return np.where(np.isnat(days), np.nan, days.astype("datetime64[Y]").astype(float) + 1970)


def decimal_years(days: np.ndarray) -> np.ndarray:
    """Return each ``datetime64`` day as a fractional year (NaN for ``NaT``), for axes and interpolation.

    Examples
    --------
    >>> decimal_years(parse_dates(["1956", "1970-01-01"])).round(2).tolist()  # 1 July 1956
    [1956.5, 1970.0]

    """
    days = np.asarray(days, dtype="datetime64[D]")
    return np.where(np.isnat(days), np.nan, 1970 + days.astype(float) / 365.2425)


@dataclass(frozen=True)
class RateTable:
    """The rate, redenomination and CPI tables that conversions read."""

    rates: pd.DataFrame
    redenominations: pd.DataFrame
    cpi: pd.Series = field(repr=False)

    def with_rates(self, extra: pd.DataFrame) -> RateTable:
        """Return a table with ``extra`` rate rows (same columns as ``data/rates.csv``) added."""
        return RateTable(pd.concat([self.rates, extra], ignore_index=True), self.redenominations, self.cpi)

    def describe_rows(self, ids) -> pd.DataFrame:
        """Return the rate and redenomination rows with the given ids, with their sources.

        Examples
        --------
        >>> table = load_rate_table()
        >>> table.describe_rows(convert(1, "RUB_old", "1962").rate_ids)["status"].tolist()
        ['D', 'V']

        """
        rows = pd.concat([self.rates.set_index("id"), self.redenominations.set_index("id")])
        return rows.loc[list(dict.fromkeys(ids))]  # in the order the conversion used them


@lru_cache(maxsize=4)
def _load_rate_table(data_dir: str) -> RateTable:
    from aidcalc.io import load_table  # io pulls in frictionless only when first needed

    rates = load_table("rates", data_dir)
    reds = load_table("redenominations", data_dir)
    cpi = load_table("cpi_u", data_dir).set_index("year")["cpi_u"]
    for col in ("valid_from", "valid_to"):
        rates[col] = rates[col].astype(str).to_numpy(dtype="datetime64[D]")
    reds["effective"] = reds["effective"].astype(str).to_numpy(dtype="datetime64[D]")
    return RateTable(rates, reds, cpi)


def load_rate_table(data_dir: Path | str | None = None) -> RateTable:
    """Load (once per process) the rate tables from ``data/``.

    Examples
    --------
    >>> table = load_rate_table()
    >>> float(table.rates.set_index("id").loc["R002", "currency_per_base"])
    4.0

    """
    return _load_rate_table(str(data_dir or paths.DATA_DIR))


def _lookup(table: RateTable, currency: str, base: str, rate_types: tuple, days: np.ndarray):
    """Vectorised rate lookup: per date, the rate and row id in force (NaN and '' if none).

    ``rate_types`` are tried in order, so ``("source_implied", "official")`` takes the rate the
    source implies where it implies one and the official rate elsewhere.
    """
    rate = np.full(days.shape, np.nan)
    ids = np.full(days.shape, "", dtype=object)
    pair = table.rates[(table.rates["currency"] == currency) & (table.rates["base"] == base)]
    for rate_type in rate_types:
        rows = pair[pair["rate_type"] == rate_type].sort_values("valid_from")
        if rows.empty:
            continue
        pos = np.searchsorted(rows["valid_from"].to_numpy(), days, side="right") - 1
        ok = (pos >= 0) & ~np.isnat(days) & np.isnan(rate)
        ok[ok] = days[ok] <= rows["valid_to"].to_numpy()[pos[ok]]
        rate[ok] = rows["currency_per_base"].to_numpy()[pos[ok]]
        ids[ok] = rows["id"].to_numpy()[pos[ok]]
    return rate, ids, pair[pair["rate_type"].isin(rate_types)]


def _fail(currency, base, rate_types, day, rows, position):
    pair = f"{currency} per {base}"
    rate_type = "/".join(rate_types)
    if rows is None or rows.empty:
        raise MissingRateError(pair, str(day), rate_type, "no rows for this pair and rate type")
    first = pd.Timestamp(rows["valid_from"].min()).date()
    last = pd.Timestamp(rows["valid_to"].max()).date()
    day = pd.Timestamp(day).date()
    coverage = f"{first} to {last}"
    where = f" (row {position})" if position is not None else ""
    if day < first or day > last:  # outside the whole table, not a gap inside it
        raise DateOutOfRangeError(
            f"date {day}{where} is outside the {rate_type!r} rates for {pair}, which cover "
            f"{coverage}; use a date in that span, or the currency's other vintage "
            f"(e.g. RUB_old before 1961, RUB from 1961)."
        )
    raise MissingRateError(pair, f"{day}{where}", rate_type, coverage + " with gaps")


@dataclass
class Conversion:
    """Converted amounts and, per amount, the table rows that produced them.

    ``value`` holds the results (``NaN`` where the amount was missing, or where
    ``errors="coerce"`` let a failure through, with the reason in ``problem``); the
    ``*_row`` arrays hold rate or redenomination ids ('' where no row was needed).
    """

    value: np.ndarray
    unit: str
    redenomination_row: np.ndarray
    from_row: np.ndarray
    to_row: np.ndarray
    basis: str
    rate_type: str
    via: str
    price_year: int | None
    problem: np.ndarray
    #: (group of each amount, first amount of each group): amounts of a group share their rows
    grouping: tuple | None = field(default=None, repr=False)

    def rate_ids(self, i: int = 0) -> tuple:
        """Ids of the rows of ``data/rates.csv`` and ``redenominations.csv`` used for amount ``i``."""
        fields = (self.redenomination_row[i], self.from_row[i], self.to_row[i])
        return tuple(r for field in fields for r in field.split())

    @property
    def label(self) -> str:
        """How the figures were converted, for a chart axis or a table header."""
        price = f"constant {self.price_year} " if self.price_year else ""
        return f"{price}{self.unit} ({self.rate_type} rates via {self.via}, {self.basis} basis)"

    def rate_id_strings(self) -> np.ndarray:
        """Per amount, the ids of the rows used, joined by spaces (vectorised)."""
        arrays = (self.redenomination_row, self.from_row, self.to_row)
        if self.grouping is None:
            return _join_ids(*arrays)
        groups, first = self.grouping  # join once per group, then index
        return _join_ids(*(a[first] for a in arrays))[groups]

    def to_frame(self) -> pd.DataFrame:
        """Return the conversion as a DataFrame, one row per amount."""
        return pd.DataFrame({"value": self.value, "unit": self.unit, "basis": self.basis,
                             "rate_type": self.rate_type, "redenomination_row": self.redenomination_row,
                             "from_row": self.from_row, "to_row": self.to_row, "problem": self.problem})


def _join_ids(*arrays) -> np.ndarray:
    joined = arrays[0]
    for ids in arrays[1:]:
        joined = joined + " " + ids
    # few distinct combinations: drop the gaps of unused fields once per combination
    return map_distinct(lambda text: " ".join(text.split()), joined)


@dataclass(frozen=True)
class Converted:
    """One converted amount, its unit, and the rows that produced it."""

    value: float
    unit: str
    rate_ids: tuple
    label: str

    def __float__(self) -> float:
        return float(self.value)

    @property
    def quantity(self):
        """The result as a pint Quantity (``USD`` for constant dollars too; see ``label``)."""
        return Q_(self.value, self.unit)


def _restate(amount, currency, days, basis, table):
    """Restate amounts in the vintage in force on their date.

    An old-vintage amount dated on or after its reform is divided by ``old_per_new``; a
    new-vintage amount dated before its reform (as statistics restated in new yuan give
    figures for 1952) is multiplied by it. Returns the amounts, the code of each, and the
    redenomination row used.
    """
    reds = table.redenominations[table.redenominations["basis"] == basis]
    codes = np.full(amount.shape, currency, dtype=object)
    red_id = np.full(amount.shape, "", dtype=object)
    factor = np.ones(amount.shape)
    for _, row in reds[reds["old"] == currency].iterrows():
        moved = days >= row["effective"]
        codes[moved], red_id[moved], factor[moved] = row["new"], row["id"], 1 / row["old_per_new"]
    for _, row in reds[reds["new"] == currency].iterrows():
        moved = days < row["effective"]
        codes[moved], red_id[moved], factor[moved] = row["old"], row["id"], row["old_per_new"]
    return amount * factor, codes, red_id


def _convert_arrays(amount, currency, days, to, rate_type, basis, via, price_year, table, errors,
                    positions=None, shown=None):
    """Convert amount by amount (the core of :func:`convert`).

    ``positions`` and ``shown`` are the row numbers and amounts that error messages name: those
    of the caller's rows when the core runs on groups (see :func:`_convert_groups`).
    """
    n = amount.shape[0]
    positions = np.arange(n) if positions is None else positions
    shown = amount if shown is None else shown
    value = np.full(n, np.nan)
    rows = {k: np.full(n, "", dtype=object) for k in ("red", "from", "to")}
    problem = np.full(n, "", dtype=object)
    for code in pd.unique(currency):
        check_currency(code)
        sel = np.flatnonzero(currency == code)
        amt, day = amount[sel], days[sel]
        live = ~np.isnan(amt)
        if code == to and price_year is None:
            value[sel] = amt
            continue
        missing_day = live & np.isnat(day)
        if missing_day.any():
            i = int(sel[np.flatnonzero(missing_day)[0]])
            msg = (f"amount {shown[i]} {code} at row {positions[i]} has no date; a conversion from {code} "
                   f"needs the date of the amount (YYYY, YYYY-MM or YYYY-MM-DD)")
            if errors == "raise":
                raise MissingDateError(msg)
            problem[sel[missing_day]] = msg
            live &= ~missing_day
        amt, codes, rows["red"][sel] = _restate(amt, code, day, basis, table)
        out = np.full(sel.shape, np.nan)
        # A new-vintage target dated before its reform is reached through the old vintage.
        target, ratio, target_red = _target_vintages(to, day, basis, table)
        for src in pd.unique(codes):
            for tgt in pd.unique(target):
                part = np.flatnonzero((codes == src) & (target == tgt) & live)
                if not part.size:
                    continue
                got = _leg(amt[part], src, tgt, day[part], rate_type, via, table, errors,
                           positions[sel[part]])
                out[part], rows["from"][sel[part]], rows["to"][sel[part]], problem[sel[part]] = got
        value[sel] = out / ratio
        # an amount may be restated twice (source before its reform, and target before its own)
        twice = target_red != ""
        if twice.any():
            red = rows["red"][sel[twice]]
            rows["red"][sel[twice]] = np.where(red != "", red + " " + target_red[twice], target_red[twice])
    if price_year is not None:
        value = _deflate(value, days, price_year, table, errors, problem)
    return Conversion(value, to, rows["red"], rows["from"], rows["to"], basis, "/".join(rate_type), via,
                      price_year, problem)


def _convert_groups(amount, currency, days, *options):
    """Convert once per distinct (currency, date, amount missing or not), then scale each amount.

    Long columns repeat a few currencies and dates, so the core runs on a few thousand groups
    instead of every row; each group's unit amount (1, or NaN where the amounts are missing)
    gives the factor that every amount of the group is multiplied by.
    """
    live = ~np.isnan(amount)
    groups, first = factorize_rows(currency, days, live)
    core = _convert_arrays(np.where(live[first], 1.0, np.nan), np.asarray(currency[first], dtype=object),
                           days[first], *options,
                           positions=first, shown=amount[first])
    return Conversion(amount * core.value[groups], core.unit, core.redenomination_row[groups],
                      core.from_row[groups], core.to_row[groups], core.basis, core.rate_type, core.via,
                      core.price_year, core.problem[groups], grouping=(groups, first))


def _target_vintages(to, days, basis, table):
    """Per date, the vintage to convert into, the ratio to restate it in ``to``, and its row."""
    reds = table.redenominations
    row = reds[(reds["new"] == to) & (reds["basis"] == basis)]
    target = np.full(days.shape, to, dtype=object)
    ratio = np.ones(days.shape)
    red = np.full(days.shape, "", dtype=object)
    if not row.empty:
        row = row.iloc[0]
        before = days < row["effective"]
        target[before] = row["old"]
        ratio[before] = row["old_per_new"]
        red[before] = row["id"]
    return target, ratio, red


def _leg(amt, src, to, day, rate_types, via, table, errors, positions):
    """Convert amounts of one currency to ``to``: through USD, or by a direct pair rate."""
    from_ids = np.full(amt.shape, "", dtype=object)
    to_ids = np.full(amt.shape, "", dtype=object)
    problem = np.full(amt.shape, "", dtype=object)
    if src == to:
        return amt, from_ids, to_ids, problem
    if via == "direct":
        for cur, base, multiply in ((to, src, True), (src, to, False)):  # quoted either way
            rate, ids, rows = _lookup(table, cur, base, rate_types, day)
            if not rows.empty:
                out = _apply(amt, rate, rows, multiply, day, cur, base, rate_types, errors,
                             positions, problem)
                return out, ids, to_ids, problem
        _fail(src, to, rate_types, day[0], None, int(positions[0]))
    out = amt
    if src != "USD":
        rate, from_ids, rows = _lookup(table, src, "USD", rate_types, day)
        out = _apply(out, rate, rows, False, day, src, "USD", rate_types, errors, positions, problem)
    if to != "USD":
        rate, to_ids, rows = _lookup(table, to, "USD", rate_types, day)
        out = _apply(out, rate, rows, True, day, to, "USD", rate_types, errors, positions, problem)
    return out, from_ids, to_ids, problem


def _apply(amt, rate, rows, multiply, day, cur, base, rate_types, errors, positions, problem):
    bad = np.isnan(rate) & ~np.isnan(amt)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        if errors == "raise":
            _fail(cur, base, rate_types, day[first], rows, int(positions[first]))
        problem[bad] = f"no {'/'.join(rate_types)} rate for {cur} per {base} on the row's date"
    return amt * rate if multiply else amt / rate


def _deflate(value, days, price_year, table, errors, problem):
    years = calendar_years(days)
    cpi = table.cpi
    if price_year not in cpi.index:
        raise DateOutOfRangeError(
            f"price_year {price_year} is outside the CPI-U table ({cpi.index.min()}-{cpi.index.max()})"
        )
    factors = pd.Series(years).map(cpi).to_numpy(dtype=float)
    bad = np.isnan(factors) & ~np.isnan(value)
    if bad.any() and errors == "raise":
        i = int(np.flatnonzero(bad)[0])
        raise DateOutOfRangeError(
            f"no CPI-U for {years[i]:.0f} (row {i}); data/cpi_u.csv covers "
            f"{cpi.index.min()}-{cpi.index.max()}"
        )
    problem[bad] = "no CPI-U for the row's year"
    return value * cpi[price_year] / factors


def convert(amount, currency=None, on=None, *, to: str = "USD", rate_type: str = "official",
            basis: str = "gold", via: str = "USD", price_year: int | None = None,
            errors: str = "raise", table: RateTable | None = None):
    """Convert money between currency vintages at the rate of its date.

    One function for one amount or for whole columns: with scalars it returns a
    :class:`Converted`; with arrays or pandas Series (amounts, currencies and dates per
    row) it returns a :class:`Conversion` computed column-wise, not row by row: the rate
    rules run once per distinct (currency, date) and each amount is scaled by its factor.

    Parameters
    ----------
    amount : float, array, Series or pint Quantity
        Amounts, in full units (not millions). ``NaN`` stays ``NaN``.
    currency : str or array of str, optional
        ``RUB_old``, ``RUB``, ``CNY_old``, ``CNY``, ``ALL_old``, ``ALL`` or ``USD``; taken
        from the unit when ``amount`` is a Quantity.
    on : date-like or array
        Date of each amount: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or datetimes.
    to : str
        Target currency (default ``USD``).
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
        ``coerce`` returns ``NaN`` with the reason in ``Conversion.problem`` instead of raising.
    table : RateTable, optional
        The tables to read; defaults to ``data/`` (see :func:`load_rate_table`).

    Returns
    -------
    Converted or Conversion

    Raises
    ------
    UnknownCurrencyError, MissingDateError, DateOutOfRangeError, MissingRateError,
    InvalidAmountError, UnknownParameterError

    Examples
    --------
    >>> c = convert(80_000_000, "RUB_old", "1956-07", to="USD")
    >>> round(c.value), c.rate_ids
    (20000000, ('R002',))
    >>> round(convert(80_000_000, "RUB_old", "1962", to="RUB").value)  # loan: gold basis
    18001800

    """
    for name, value, allowed in (("basis", basis, BASES), ("via", via, VIAS),
                                 ("errors", errors, ("raise", "coerce"))):
        if value not in allowed:
            raise UnknownParameterError(f"{name}={value!r} is not accepted; use one of {allowed}")
    check_currency(to)
    if price_year is not None and to != "USD":
        raise UnknownParameterError(f"price_year applies to USD results only, not to={to!r}")
    if hasattr(amount, "units"):
        currency, amount = code_of(amount), amount.magnitude
    scalar = np.ndim(amount) == 0
    amounts = _as_amounts(amount)
    if isinstance(getattr(currency, "dtype", None), pd.CategoricalDtype) and len(currency) == len(amounts):
        currencies = pd.Categorical(currency)  # numbered already: cheap to group long columns by
    else:
        currencies = np.broadcast_to(np.asarray(currency, dtype=object), amounts.shape)
    days = np.broadcast_to(parse_dates(on if on is not None else [None]), amounts.shape)
    table = table or load_rate_table()
    rate_types = (rate_type,) if isinstance(rate_type, str) else tuple(rate_type)
    unknown = set(rate_types) - set(table.rates["rate_type"])
    if unknown:
        raise UnknownParameterError(
            f"rate_type {sorted(unknown)} not in the rate table; known: "
            f"{sorted(set(table.rates['rate_type']))}"
        )
    result = _convert_groups(amounts, currencies, days, to, rate_types, basis, via, price_year,
                             table, errors)
    if not scalar:
        return result
    return Converted(float(result.value[0]), to, result.rate_ids(0), result.label)


def _as_amounts(amount) -> np.ndarray:
    if isinstance(amount, (pd.Series, pd.Index, pd.api.extensions.ExtensionArray)):
        numeric = pd.api.types.is_numeric_dtype(amount.dtype)  # a missing pd.NA stays missing, as NaN
        raw = amount.to_numpy(dtype=float, na_value=np.nan) if numeric else amount.to_numpy(dtype=object)
    else:
        raw = np.asarray(amount)
    raw = np.atleast_1d(raw)
    if raw.dtype.kind not in "fiub":  # text or objects: each must read as a number
        raw = raw.astype(object)
    try:
        values = raw.astype(float)
    except (TypeError, ValueError):
        bad = next(v for v in raw if not _is_number(v))
        raise InvalidAmountError(f"amount {bad!r} is not a number; give amounts in full units, "
                                 "e.g. 50000000 for '50 million'") from None
    negative = values < 0
    if negative.any():
        i = int(np.flatnonzero(negative)[0])
        raise InvalidAmountError(f"amount {values[i]} at row {i} is negative; amounts are sizes "
                                 "of loans or deliveries and must be >= 0")
    return values


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def deflate_usd(amount, year, price_year: int, table: RateTable | None = None):
    """Express US dollars of ``year`` in dollars of ``price_year`` with the CPI-U.

    Examples
    --------
    >>> round(deflate_usd(20_000_000, 1956, 1990))  # 20e6 * 130.7 / 27.2
    96102941

    """
    table = table or load_rate_table()
    days = parse_dates(np.atleast_1d(np.asarray(year, dtype=object)).astype(str))
    amounts = _as_amounts(amount)
    out = _deflate(amounts, days, price_year, table, "raise", np.full(amounts.shape, "", dtype=object))
    return float(out[0]) if np.ndim(amount) == 0 else out
