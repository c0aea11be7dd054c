"""Readings: the ways a figure or a rate can be taken, and what each does to the totals.

This module composes the aggregations and the audit (neither imports it): the rate basis
(official, or the rates the sources' own conversions imply), the redenomination basis, and
the judged readings of doubtful rows.
"""

from __future__ import annotations

import pandas as pd

from aidcalc.aggregate import aggregate_loans
from aidcalc.audit import implied_rates
from aidcalc.context import open_data


def conversion_options(currency: str = "USD", price_basis: str = "nominal", price_year: int = 1990,
                       rate_basis: str = "official", *, data=None) -> dict:
    """Translate the report parameters into options for :func:`aidcalc.convert`.

    ``rate_basis="source_implied"`` converts at the rates the sources' own conversions imply
    (see :func:`aidcalc.audit.implied_rates`) where they imply one, and at official rates
    elsewhere; every converted row names the rate rows it used.

    Examples
    --------
    >>> opts = conversion_options("USD", "constant", 1990)
    >>> opts["to"], opts["price_year"], opts["rate_type"]
    ('USD', 1990, ('official',))

    """
    data = open_data(data)
    options = {"to": currency, "price_year": price_year if price_basis == "constant" else None,
               "rate_type": ("official",), "rates": data.rates}
    if rate_basis == "source_implied":
        options["rate_type"] = ("source_implied", "official")
        options["rates"] = data.rates.with_rates(implied_rates(data))
    return options


def flip_judged_vintages(loans: pd.DataFrame) -> pd.DataFrame:
    """Return ``loans`` with the vintage of every ``judged`` row read the other way.

    Examples
    --------
    >>> rows = pd.DataFrame({"vintage": ["old", "new"], "vintage_rule": ["judged", "by_date"]})
    >>> flip_judged_vintages(rows)["vintage"].tolist()
    ['new', 'new']

    """
    out = loans.copy()
    judged = out["vintage_rule"] == "judged"
    out.loc[judged, "vintage"] = out.loc[judged, "vintage"].map({"old": "new", "new": "old"})
    return out


#: The readings :func:`sensitivity` compares: name -> (transform of the loans, convert options).
READINGS = {
    "official rates, gold basis": (None, {}),
    "official rates, cash basis (10:1)": (None, {"basis": "cash"}),
    "judged ruble vintages read the other way": (flip_judged_vintages, {}),
    "source-implied rates": (None, {"rate_type": ("source_implied", "official")}),
}


def sensitivity(loans: pd.DataFrame | None = None, readings: dict | None = None, *,
                data=None) -> pd.DataFrame:
    """How much each plan's committed total (nominal USD) moves under each plausible reading.

    Parameters
    ----------
    loans : DataFrame, optional
        ``data/loans.csv``; defaults to that of ``data``.
    readings : dict, optional
        Name to ``(transform, options)``: a function applied to the loans first (or None) and
        options of :func:`aidcalc.aggregate.aggregate_loans`. Defaults to :data:`READINGS`.
    data : DataContext or path, optional
        The data to read; defaults to the packaged tables.

    Returns
    -------
    DataFrame
        One row per plan and lender, one column per reading.

    """
    data = open_data(data)
    loans = data.table("loans") if loans is None else loans
    table = data.rates.with_rates(implied_rates(data))
    columns = {}
    for name, (transform, options) in (readings or READINGS).items():
        frame = transform(loans) if transform else loans
        agg = aggregate_loans(frame, to="USD", **{"data": data, "rates": table, **options})
        columns[name] = agg.table.set_index(["plan", "lender"])["committed"]
    return pd.DataFrame(columns).reset_index()
