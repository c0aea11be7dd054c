"""The rate tables: dated exchange rates with their intervals, redenominations and the US CPI-U.

A :class:`RateTable` is built once per data folder (see :class:`aidcalc.tables.context.DataContext`)
and prepared for lookup: per currency pair and rate type, the validity starts sorted once, so a
dated lookup is one ``searchsorted``. It is read-only: its frames come out as copies.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from aidcalc.errors import DataValidationError, DateOutOfRangeError, MissingRateError
from aidcalc.tables.context import DataLike, open_data


@dataclass(frozen=True)
class _Series:
    """The rows of one (currency, base, rate type), sorted by validity start."""

    starts: np.ndarray
    ends: np.ndarray
    rate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    ids: np.ndarray


def _read_only(*arrays):
    for a in arrays:
        a.setflags(write=False)
    return arrays


class RateTable:
    """The rate, redenomination and CPI tables that conversions read, prepared for lookup.

    Examples
    --------
    >>> from aidcalc import load_rate_table
    >>> table = load_rate_table()
    >>> float(table.rates.set_index("id").loc["R002", "currency_per_base"])
    4.0

    """

    def __init__(self, rates: pd.DataFrame, redenominations: pd.DataFrame, cpi: pd.Series):
        self._rates = rates
        self._reds = redenominations
        self._cpi = cpi
        self._series: dict[tuple, _Series] = {}
        self._red_rows: dict[tuple, tuple] = {}  # redenomination rows by question, selected once
        self._scalar: dict[tuple, tuple] = {}  # the same, as Python lists for one-amount lookups
        # one sort for every series, then each series is a slice of the sorted columns
        order = np.lexsort((rates["valid_from"].to_numpy(dtype="datetime64[D]"),
                            *(pd.factorize(rates[c])[0] for c in ("rate_type", "base", "currency"))))
        rows = rates.iloc[order]
        rate = rows["currency_per_base"].to_numpy(dtype=float)
        # a row with no interval is taken as exact: its bounds are its rate
        low, high = (np.where(np.isnan(b), rate, b)
                     for b in (rows[c].to_numpy(dtype=float) for c in ("low", "high")))
        columns = (rows["valid_from"].to_numpy(dtype="datetime64[D]"),
                   rows["valid_to"].to_numpy(dtype="datetime64[D]"), rate, low, high,
                   rows["id"].to_numpy(dtype=object))
        keys = list(zip(*(rows[c].tolist() for c in ("currency", "base", "rate_type")), strict=True))
        bounds = [i for i in range(1, len(keys)) if keys[i] != keys[i - 1]]
        for start, stop in zip([0, *bounds], [*bounds, len(keys)], strict=True):
            if stop > start:
                self._series[keys[start]] = _Series(*_read_only(*(c[start:stop].copy() for c in columns)))
        self.rate_types = frozenset(rates["rate_type"])
        self._cpi_years = cpi.index.to_numpy(dtype=float)
        self._cpi_values = cpi.to_numpy(dtype=float)
        #: One amount's rules by (currency, day, id of its Basis), filled by the scalar path: the
        #: table never changes (a changed file makes a new table), so neither do they.
        self.scalar_memo: dict = {}

    @classmethod
    def from_frames(cls, rates: pd.DataFrame, redenominations: pd.DataFrame,
                    cpi_u: pd.DataFrame) -> RateTable:
        """Build a table from ``rates``, ``redenominations`` and ``cpi_u`` as the data folder holds them.

        Raises
        ------
        DataValidationError
            If a rate lies outside its own interval, or a row ends before it starts.

        """
        rates = rates.copy()
        if "low" not in rates:
            rates["low"] = rates["high"] = np.nan
        rates["low"] = pd.to_numeric(rates["low"]).astype(float)
        rates["high"] = pd.to_numeric(rates["high"]).astype(float)
        for col in ("valid_from", "valid_to"):
            rates[col] = np.asarray(rates[col].astype(str), dtype="datetime64[D]")
        problems = []
        rate = rates["currency_per_base"].to_numpy(dtype=float)
        low = np.where(np.isnan(rates["low"].to_numpy()), rate, rates["low"].to_numpy())
        high = np.where(np.isnan(rates["high"].to_numpy()), rate, rates["high"].to_numpy())
        outside = ~((low <= rate) & (rate <= high))
        backwards = rates["valid_to"].to_numpy() < rates["valid_from"].to_numpy()
        for i in np.flatnonzero(outside | backwards):  # the rows at fault only, in file order
            row = rates.iloc[i]
            if outside[i]:
                problems.append((i + 2, "low", f"row {row.id}: the rate {row.currency_per_base} must lie "
                                 f"within low {row.low} and high {row.high}; give low <= currency_per_base "
                                 "<= high"))
            if backwards[i]:
                problems.append((i + 2, "valid_to", f"row {row.id} ends ({row.valid_to}) before it starts "
                                 f"({row.valid_from})"))
        if problems:
            raise DataValidationError("rates.csv", problems)
        reds = redenominations.copy()
        reds["effective"] = np.asarray(reds["effective"].astype(str), dtype="datetime64[D]")
        cpi = cpi_u.set_index("year")["cpi_u"].astype(float) if "year" in cpi_u else cpi_u
        return cls(rates, reds, cpi)

    @property
    def rates(self) -> pd.DataFrame:
        """The rate rows (a copy)."""
        return self._rates.copy()

    @property
    def redenominations(self) -> pd.DataFrame:
        """The redenomination rows (a copy)."""
        return self._reds.copy()

    @property
    def cpi(self) -> pd.Series:
        """US CPI-U by year (a copy)."""
        return self._cpi.copy()

    def with_rates(self, extra: pd.DataFrame) -> RateTable:
        """Return a table with ``extra`` rate rows (same columns as ``data/rates.csv``) added."""
        extra = extra.copy()
        for col in ("low", "high"):
            if col not in extra:
                extra[col] = np.nan
        return RateTable(pd.concat([self._rates, extra], ignore_index=True), self._reds, self._cpi)

    def describe_rows(self, ids) -> pd.DataFrame:
        """Return the rate and redenomination rows with the given ids, with their sources.

        Examples
        --------
        >>> from aidcalc import convert, load_rate_table
        >>> load_rate_table().describe_rows(convert(1, "RUB_old", "1962").rate_ids)["status"].tolist()
        ['D', 'V']

        """
        rows = pd.concat([self._rates.set_index("id"), self._reds.set_index("id")])
        return rows.loc[list(dict.fromkeys(ids))]  # in the order the conversion used them

    def lookup(self, currency: str, base: str, rate_types: tuple, days: np.ndarray):
        """Return, per day, the rate in force, its low and high, and its row id (NaN and '' if none).

        ``rate_types`` are tried in order, so ``("source_implied", "official")`` takes the rate
        the source implies where it implies one and the official rate elsewhere.
        """
        rate = low = high = ids = None
        for rate_type in rate_types:
            rows = self._series.get((currency, base, rate_type))
            if rows is None:
                continue
            pos = np.searchsorted(rows.starts, days, side="right")
            pos -= 1
            at = np.maximum(pos, 0)
            ok = (pos >= 0) & (days <= rows.ends[at])  # NaT compares False: no rate
            if rate is None:  # the first rate type found: take its rows wholesale
                rate, low, high, ids = rows.rate[at], rows.low[at], rows.high[at], rows.ids[at]
                if not ok.all():
                    rate[~ok] = low[~ok] = high[~ok] = np.nan
                    ids[~ok] = ""
                continue
            ok &= np.isnan(rate)  # a later rate type fills only what the earlier ones left
            if ok.any():
                at = at[ok]
                rate[ok], low[ok], high[ok] = rows.rate[at], rows.low[at], rows.high[at]
                ids[ok] = rows.ids[at]
        if rate is None:
            rate, low, high = (np.full(days.shape, np.nan) for _ in range(3))
            ids = np.full(days.shape, "", dtype=object)
        return rate, low, high, ids

    def lookup_one(self, currency: str, base: str, rate_types: tuple, day: int | None) -> tuple:
        """Return, for one day (days since 1970-01-01, None if none), what :meth:`lookup` returns per day.

        Plain Python (``bisect`` over lists prepared once per series), for single amounts.
        """
        if day is not None:
            for rate_type in rate_types:
                rows = self._scalar.get((currency, base, rate_type))
                if rows is None:
                    rows = self._scalar_rows(currency, base, rate_type)
                    if rows is None:
                        continue
                starts, ends, rate, low, high, ids = rows
                i = bisect_right(starts, day) - 1
                if i >= 0 and day <= ends[i]:
                    return rate[i], low[i], high[i], ids[i]
        return np.nan, np.nan, np.nan, ""

    def _scalar_rows(self, currency, base, rate_type):
        series = self._series.get((currency, base, rate_type))
        if series is None:
            return None
        rows = (series.starts.astype(np.int64).tolist(), series.ends.astype(np.int64).tolist(),
                series.rate.tolist(), series.low.tolist(), series.high.tolist(), series.ids.tolist())
        self._scalar[(currency, base, rate_type)] = rows
        return rows

    def redenomination_days(self, old: str | None, new: str | None, basis: str) -> tuple[tuple, ...]:
        """Return :meth:`redenomination` rows with ``effective`` as days since 1970-01-01 (an int)."""
        key = ("red", old, new, basis)
        rows = self._scalar.get(key)
        if rows is None:
            rows = tuple((o, n, r, int(e.astype(np.int64)), i)
                         for o, n, r, e, i in self.redenomination(old, new, basis))
            self._scalar[key] = rows
        return rows

    def cpi_one(self, year: int) -> float:
        """Return the CPI-U of one year (NaN where the table has none)."""
        table = self._scalar.get(("cpi",))
        if table is None:
            table = self._scalar[("cpi",)] = dict(zip(self._cpi_years.tolist(), self._cpi_values.tolist(),
                                                      strict=True))
        return table.get(float(year), np.nan)

    def has_pair(self, currency: str, base: str, rate_types: tuple) -> bool:
        """Whether any row quotes ``currency`` per ``base`` under one of ``rate_types``."""
        return any((currency, base, t) in self._series for t in rate_types)

    def missing_rate(self, currency, base, rate_types, day, where: str = "") -> Exception:
        """Return the error for a day no row covers: out of the table's span, or in a gap of it."""
        pair, rate_type = f"{currency} per {base}", "/".join(rate_types)
        keys = [(currency, base, t) for t in rate_types]
        series = [self._series[k] for k in keys if k in self._series]
        if not series:
            return MissingRateError(pair, f"{day}{where}", rate_type, "no rows for this pair and rate type")
        first = min(s.starts.min() for s in series)
        last = max(s.ends.max() for s in series)
        coverage = f"{first} to {last}"
        day = np.datetime64(day, "D")
        if day < first or day > last:
            return DateOutOfRangeError(
                f"date {day}{where} is outside the {rate_type!r} rates for {pair}, which cover {coverage}; "
                "use a date in that span, or the currency's other vintage (e.g. RUB_old before 1961, "
                "RUB from 1961)."
            )
        return MissingRateError(pair, f"{day}{where}", rate_type, coverage + " with gaps")

    def redenomination(self, old: str | None, new: str | None, basis: str) -> tuple[tuple, ...]:
        """Return ``(old, new, old_per_new, effective, id)`` rows of a basis from ``old`` or into ``new``.

        The rows are selected once per question and kept: the table is read-only.
        """
        key = (old, new, basis)
        rows = self._red_rows.get(key)
        if rows is None:
            reds = self._reds[self._reds["basis"] == basis]
            if old is not None:
                reds = reds[reds["old"] == old]
            if new is not None:
                reds = reds[reds["new"] == new]
            columns = reds[["old", "new", "old_per_new", "effective", "id"]]
            rows = tuple((o, n, float(r), np.datetime64(e, "D"), i)
                         for o, n, r, e, i in columns.itertuples(index=False, name=None))
            self._red_rows[key] = rows
        return rows

    def cpi_of(self, years: np.ndarray) -> np.ndarray:
        """Return the CPI-U of each year (NaN where the table has none)."""
        pos = np.searchsorted(self._cpi_years, years)
        pos = np.clip(pos, 0, len(self._cpi_years) - 1)
        hit = self._cpi_years[pos] == years
        return np.where(hit, self._cpi_values[pos], np.nan)

    @cached_property
    def cpi_span(self) -> tuple[int, int]:
        """The first and last year of the CPI-U table (asked on every conversion: computed once)."""
        return int(self._cpi_years.min()), int(self._cpi_years.max())


def load_rate_table(data: DataLike = None) -> RateTable:
    """Return the rate tables of a data folder (default: the packaged tables), prepared once.

    The data context (:func:`aidcalc.open_data`) caches the prepared table until one of the
    rate, redenomination or CPI files changes.

    Parameters
    ----------
    data : DataContext or path, optional
        The data to read; defaults to the packaged tables.

    Examples
    --------
    >>> float(load_rate_table().rates.set_index("id").loc["R002", "currency_per_base"])
    4.0

    """
    context = open_data(data)
    stamp = context.stamp("rates", "redenominations", "cpi_u")
    return context.cached("rates", stamp, lambda: RateTable.from_frames(
        context.table("rates"), context.table("redenominations"), context.table("cpi_u")))
