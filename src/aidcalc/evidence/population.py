"""Albania's population between its censuses, and aid per head of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aidcalc.money.dates import decimal_years, parse_dates

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from aidcalc.tables.context import DataLike


def interpolate_population(years: ArrayLike, population: pd.DataFrame | None = None, *,
                           data: DataLike = None) -> np.ndarray:
    """Albania's population in each year (a fractional year), log-linear between censuses.

    Parameters
    ----------
    years : array of float
        Fractional years (1965.5 is 1 July 1965).
    population : DataFrame, optional
        Census rows (``date``, ``population``); defaults to ``population`` of ``data``.
    data : DataContext or path, optional
        The data to read (:func:`aidcalc.open_data`); defaults to the packaged tables.

    Returns
    -------
    ndarray
        Persons; ``NaN`` for years outside the census span rather than an extrapolation.

    Examples
    --------
    >>> round(float(interpolate_population([1965.0])[0]), -3)  # censuses of Oct 1960 and Apr 1969
    1834000.0

    """
    if population is None:
        from aidcalc.tables.context import open_data

        population = open_data(data).table("population")
    x = decimal_years(parse_dates(population["date"]))
    logp = np.log(population["population"].to_numpy(dtype=float))
    years = np.asarray(years, dtype=float)
    out = np.exp(np.interp(years, x, logp))
    out[(years < x.min()) | (years > x.max())] = np.nan
    return out


def add_per_capita(table: pd.DataFrame, columns: list[str], *, data: DataLike = None) -> pd.DataFrame:
    """Add ``population`` (mid-plan, interpolated) and ``<column>_per_capita`` to a plan table.

    The population of a plan is the interpolated census population at the middle of its
    years (1 July 1963, the year 1963.5, for 1961-65); see :func:`interpolate_population`.

    Parameters
    ----------
    table : DataFrame
        A table with a ``plan`` column, such as ``aggregate_loans(...).table``.
    columns : list of str
        The columns to divide by the population (and their ``_low``/``_high`` where present).
    data : DataContext or path, optional
        The data to read; defaults to the packaged tables.

    Examples
    --------
    >>> t = add_per_capita(pd.DataFrame({"plan": [3], "committed": [1_000_000.0]}), ["committed"])
    >>> round(float(t["committed_per_capita"].iloc[0]), 3)  # 1 million / 1.76 million people
    0.569

    """
    from aidcalc.tables.context import open_data

    data = open_data(data)
    spans = data.table("plans").set_index("plan")
    plan = table["plan"].astype(int)
    mid = ((plan.map(spans["start_year"]) + plan.map(spans["end_year"]) + 1) / 2).to_numpy(dtype=float)
    out = table.copy()
    out["population"] = interpolate_population(mid, data.table("population"))
    for col in columns:
        for suffix in ("", "_low", "_high"):
            if f"{col}{suffix}" in out:
                out[f"{col}_per_capita{suffix}"] = out[f"{col}{suffix}"] / out["population"]
    return out
