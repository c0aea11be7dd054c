"""Evidence rows as money: the currency of each row, the day it is converted at, its value.

Shared by every aggregation, so that each reads the rows one way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aidcalc.distinct import factorize_rows, map_distinct
from aidcalc.frames import float_column, require_columns
from aidcalc.money.basis import as_basis
from aidcalc.money.conversion import convert
from aidcalc.money.dates import parse_dates
from aidcalc.tables.context import DataLike
from aidcalc.units import MONEY_UNITS, currency_code

SOVIET_BLOC = ("USSR", "Soviet bloc", "Poland", "Czechoslovakia", "GDR", "Hungary", "Romania",
               "Bulgaria")


def lender_group(giver: pd.Series) -> pd.Series:
    """Group givers: ``China``, ``Soviet bloc`` (USSR and its allies), or the giver itself.

    Returns a categorical Series (a few lenders over many rows), missing where the giver is.

    Examples
    --------
    >>> lender_group(pd.Series(["Poland", "China", "Albania"])).tolist()
    ['Soviet bloc', 'China', 'Albania']

    """
    group = map_distinct(lambda g: "Soviet bloc" if g in SOVIET_BLOC else g, giver, categorical=True)
    return pd.Series(group, index=giver.index, name=giver.name)


def effective_days(frame: pd.DataFrame, days: np.ndarray | None = None) -> np.ndarray:
    """Return the day each row's amount is converted at: its date, else 1 July of its period's first year.

    ``days`` is the ``date`` column already parsed by :func:`aidcalc.money.dates.parse_dates`, if at hand.

    Examples
    --------
    >>> rows = pd.DataFrame({"date": ["1961-03", None, None], "period_start": [pd.NA, 1966, pd.NA]})
    >>> effective_days(rows).astype(str).tolist()
    ['1961-03-15', '1966-07-01', 'NaT']

    """
    days = parse_dates(frame["date"]) if days is None else days.copy()
    start = float_column(frame["period_start"])
    fill = np.isnat(days) & ~np.isnan(start)
    # 1 July of the year, the reading parse_dates gives a bare year
    days[fill] = ((start[fill] - 1970) * 12 + 6).astype(np.int64).astype("datetime64[M]")
    return days


def convert_rows(frame: pd.DataFrame, to="USD", *, days: np.ndarray | None = None,
                 data: DataLike = None, rates=None, bounds: bool = False, **options) -> pd.DataFrame:
    """Convert the money rows of an evidence frame; other rows get ``NaN`` and a problem.

    Returns a copy with ``currency`` (code with vintage, categorical), ``converted_at`` (the day of the rate:
    the row's date, else its period's first year), ``value``, ``rate_rows`` and ``problem``; with
    ``bounds=True`` also ``value_low`` and ``value_high`` (the ends of the rate intervals).
    ``days`` is the parsed ``date`` column if at hand; ``data`` and ``rates`` as in
    :func:`aidcalc.evidence.aggregation.aggregate_loans`; ``to`` is a currency code or a
    :class:`~aidcalc.money.basis.Basis`, options are those of :func:`aidcalc.convert`. The basis
    travels with the result as ``attrs["basis"]``.
    """
    basis = as_basis(to, **options)
    require_columns(frame, ("unit", "vintage", "amount", "date", "period_start"), "convert_rows", "loans")
    out = frame.copy(deep=False)  # new columns only: the caller's frame is left as it was
    # a few (unit, vintage) pairs over many rows: name each pair's currency once
    pair, first = factorize_rows(out["unit"], out["vintage"])
    # the first row of each pair only: a text column is never turned into Python strings whole
    unit = out["unit"].iloc[first].to_numpy(dtype=object)
    money = pd.Series(unit, dtype=object).isin(MONEY_UNITS).to_numpy()[pair]
    names, categories = pd.factorize(currency_code(unit, out["vintage"].iloc[first].to_numpy(dtype=object)))
    out["currency"] = pd.Categorical.from_codes(names[pair], categories=categories)
    when = effective_days(out, days)
    value = np.full(len(out), np.nan)
    low, high = np.full(len(out), np.nan), np.full(len(out), np.nan)
    # rate ids and problems repeat across rows: kept as categoricals, numbered once per group
    rate_rows = _Labels(len(out), "")
    problem = _Labels(len(out), "")
    problem.put(np.flatnonzero(~money), "not money")
    problem.put(np.flatnonzero(money & np.isnat(when)), "no date or period to convert at")
    rows = np.flatnonzero(money & ~np.isnat(when))
    if len(rows):
        result = convert(out["amount"].to_numpy(dtype=float, na_value=np.nan)[rows],
                         out["currency"].array[rows], when[rows], to=basis, errors="coerce",
                         data=data if rates is None else rates, bounds=bounds)
        value[rows] = result.value
        rate_rows.put_categorical(rows, result.categorical("rate_ids"))
        problem.put_categorical(rows, result.categorical("problem"))
        if bounds:
            low[rows], high[rows] = result.low, result.high
    out.attrs["basis"] = basis
    out["converted_at"], out["value"] = when, value
    out["rate_rows"], out["problem"] = rate_rows.categorical(), problem.categorical()
    if bounds:
        out["value_low"], out["value_high"] = low, high
    return out


class _Labels:
    """A column of a few distinct texts over many rows, filled in parts and read as a categorical."""

    def __init__(self, n: int, default: str):
        self.names = [default]
        self.codes = np.zeros(n, dtype=np.int32)

    def _code(self, name: str) -> int:
        if name not in self.names:
            self.names.append(name)
        return self.names.index(name)

    def put(self, rows: np.ndarray, name: str) -> None:
        """Give ``rows`` the text ``name``."""
        self.codes[rows] = self._code(name)

    def put_categorical(self, rows: np.ndarray, values: pd.Categorical) -> None:
        """Give ``rows`` the texts of a categorical of the same length."""
        remap = np.array([self._code(str(c)) for c in values.categories], dtype=np.int32)
        self.codes[rows] = remap[values.codes]

    def categorical(self) -> pd.Categorical:
        """Return the column."""
        return pd.Categorical.from_codes(self.codes, categories=self.names)
