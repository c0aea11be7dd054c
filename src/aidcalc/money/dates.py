"""Read the dates the sources give (a year, a month, a day) and do year arithmetic on them.

A date given as ``YYYY`` is read as 1 July of that year and ``YYYY-MM`` as the 15th of the
month: the middle, so that a rate or a plan chosen by date is the likeliest one. The rule is one
for every type: the text ``"1950"``, the integer ``1950`` and ``np.datetime64("1950")`` (a
year, not a day) are all 1 July 1950.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aidcalc.errors import InvalidDateError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


def _as_text(value):
    """Return a date value as ``YYYY[-MM[-DD]]`` text, or None where it is missing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, dt.datetime):  # an aware datetime counts in its own zone: its local day
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        # a bare year or month, whatever its type, is read as any other: its middle
        bare = np.datetime_data(value.dtype)[0] in ("Y", "M")
        return str(value) if bare else str(value.astype("datetime64[D]"))
    if isinstance(value, int | np.integer):
        return str(value)
    return value if isinstance(value, str) else repr(value)


#: Units of a time finer than a day, per day.
_PER_DAY = {"h": 24, "m": 1_440, "s": 86_400, "ms": 86_400_000, "us": 86_400_000_000,
            "ns": 86_400_000_000_000}
_NAT = np.iinfo(np.int64).min


def _days_of(times: np.ndarray) -> np.ndarray:
    """Return ``datetime64`` times as days, each the day it falls in (as numpy's cast to days).

    One integer division by a constant, several times faster than numpy's cast of the unit.
    """
    unit, count = np.datetime_data(times.dtype)
    per_day = _PER_DAY.get(unit)
    if per_day is None or count != 1 or times.ndim != 1:
        return times.astype("datetime64[D]")
    ticks = times.view(np.int64)
    days = ticks // per_day  # floor: a time before 1970 falls in the day it began
    if days.size and ticks.min() == _NAT:  # NaT stays NaT
        days[ticks == _NAT] = _NAT
    return days.view("datetime64[D]")


def iso_days(values) -> np.ndarray | None:
    """Return an Arrow text array of full ``YYYY-MM-DD`` dates as ``datetime64[D]``, else None.

    Arrow's own parser reads every row in native code; it accepts nothing but zero-padded days of
    the calendar, which :func:`parse_dates` reads alike, so a column holding anything else (a year,
    a month, a text that is no date) returns None and is parsed once per distinct text instead.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        days = pc.cast(values, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return days.to_numpy(zero_copy_only=False)  # nulls as NaT


def parse_dates(dates: ArrayLike, errors: str = "raise") -> np.ndarray:
    """Parse dates (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, dates, datetimes) to ``datetime64[D]``.

    Missing values become ``NaT``. ``YYYY`` is read as 1 July, ``YYYY-MM`` as the 15th. A
    time-zone-aware datetime is read in its own zone (1961-01-01 00:30 in Moscow is 1 January).
    Types may be mixed in one column.

    Parameters
    ----------
    dates : str, date, array or Series
        The dates.
    errors : {"raise", "coerce"}
        ``coerce`` gives ``NaT`` for a text that is not a date.

    Raises
    ------
    InvalidDateError
        Naming the value: not YYYY, YYYY-MM or YYYY-MM-DD, or not a day of the calendar.

    Examples
    --------
    >>> parse_dates(["1956", "1961-01", "1965-08-10", None]).astype(str).tolist()
    ['1956-07-01', '1961-01-15', '1965-08-10', 'NaT']

    """
    if isinstance(dates, pd.Series) and pd.api.types.is_datetime64_any_dtype(dates):
        if getattr(dates.dtype, "tz", None) is not None:  # the local day of each aware time
            dates = dates.dt.tz_localize(None)
        return _days_of(dates.to_numpy())
    if isinstance(dates, np.ndarray) and dates.dtype.kind == "M":
        if np.datetime_data(dates.dtype)[0] not in ("Y", "M"):
            return _days_of(dates)
        dates = np.where(np.isnat(dates), None, dates.astype(str).astype(object))  # years, months as text
    if isinstance(dates, pd.Series) and getattr(dates.dtype, "storage", None) == "pyarrow" and len(dates) > 1:
        # text held by Arrow (pandas' default): numbered by Arrow, each distinct text parsed once
        import pyarrow as pa
        import pyarrow.compute as pc

        values = pa.array(dates.array)
        values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        days = iso_days(values)
        if days is not None:
            return days
        encoded = pc.dictionary_encode(values)
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
        return parse_dates(np.array(encoded.dictionary.to_pylist() + [None], dtype=object), errors)[codes]
    if isinstance(dates, pd.Series):
        dates = dates.to_numpy(dtype=object)
    raw = np.atleast_1d(np.asarray(dates, dtype=object)) if not isinstance(dates, str) else np.array([dates],
                                                                                                    dtype=object)
    # Dates repeat a lot (one per agreement): parse each distinct value once.
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    plain = pd.api.types.infer_dtype(uniques, skipna=False) == "string"  # texts are their own text
    text = pd.Series(uniques if plain else [_as_text(u) for u in uniques], dtype="string")
    text = text.where(text.str.len() != 4, text + "-07-01")
    text = text.where(text.str.len() != 7, text + "-15")
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = text.notna() & parsed.isna()
    if bad.any() and errors == "raise":
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidDateError(f"date {uniques[pos]!r} is not YYYY, YYYY-MM or YYYY-MM-DD, or not a day "
                               "of the calendar", value=uniques[pos])
    days = np.append(parsed.to_numpy(dtype="datetime64[D]"), np.datetime64("NaT"))
    return days[codes]  # the sentinel -1 picks the trailing NaT


def calendar_years(days: np.ndarray) -> np.ndarray:
    """Return the calendar year of each ``datetime64`` day, as floats with NaN for ``NaT``.

    Examples
    --------
    >>> calendar_years(parse_dates(["1956-12-31", None])).tolist()
    [1956.0, nan]

    """
    days = np.asarray(days)
    nat = np.isnat(days)
    if len(days) >= _YEAR_TABLE_ROWS and not nat.all():
        # long columns span few days: the year of each day of the span, then one gather (numpy's
        # day-to-year cast works the calendar out afresh for every row)
        numbers = days.astype("datetime64[D]").view(np.int64)
        first = int(numbers.min(where=~nat, initial=np.iinfo(np.int64).max))
        last = int(numbers.max(where=~nat, initial=np.iinfo(np.int64).min))
        if last - first < _YEAR_TABLE_DAYS:
            span = np.arange(first, last + 1, dtype=np.int64).astype("datetime64[D]")
            table = np.append(span.astype("datetime64[Y]").astype(float) + 1970, np.nan)
            return np.take(table, np.where(nat, last - first + 1, numbers - first))
    return np.where(nat, np.nan, days.astype("datetime64[Y]").astype(float) + 1970)


#: Columns at least this long get their years through a table of the days they span ...
_YEAR_TABLE_ROWS = 4096
#: ... when those days are fewer than this (about 2,900 years).
_YEAR_TABLE_DAYS = 1 << 20


def decimal_years(days: np.ndarray) -> np.ndarray:
    """Return each ``datetime64`` day as a fractional year (NaN for ``NaT``), for axes and interpolation.

    Examples
    --------
    >>> decimal_years(parse_dates(["1956", "1970-01-01"])).round(2).tolist()  # 1 July 1956
    [1956.5, 1970.0]

    """
    days = np.asarray(days, dtype="datetime64[D]")
    return np.where(np.isnat(days), np.nan, 1970 + days.astype(float) / 365.2425)
