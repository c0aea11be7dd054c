"""Readings: the ways a figure or a rate can be taken, and what each does to the totals.

This module composes the aggregations and the audit (neither imports it): the rate basis
(official, or the rates the sources' own conversions imply), the redenomination basis, and
the judged readings of doubtful rows.
"""

from __future__ import annotations

import pandas as pd

from aidcalc.evidence.audit import implied_rates
from aidcalc.money.rates import load_rate_table
from aidcalc.tables.context import open_data


def conversion_options(currency: str = "USD", price_basis: str = "nominal", price_year: int = 1990,
                       rate_basis: str = "official", *, data=None) -> dict:
    """Translate the report parameters into options for :func:`aidcalc.convert`.

    ``rate_basis="source_implied"`` converts at the rates the sources' own conversions imply
    (see :func:`aidcalc.evidence.audit.implied_rates`) where they imply one, and at official rates
    elsewhere; every converted row names the rate rows it used.

    Examples
    --------
    >>> opts = conversion_options("USD", "constant", 1990)
    >>> opts["to"], opts["price_year"], opts["rate_type"]
    ('USD', 1990, ('official',))

    """
    data = open_data(data)
    options = {"to": currency, "price_year": price_year if price_basis == "constant" else None,
               "rate_type": ("official",), "rates": load_rate_table(data)}
    if rate_basis == "source_implied":
        options["rate_type"] = ("source_implied", "official")
        options["rates"] = implied_table(data)
    return options


def implied_table(data=None):
    """Return the rate table with the rates the sources' own conversions imply added (cached per data).

    The implied rates come from the audit of every claim, so they are worked out once per
    version of the evidence, claims and rates, and handed out from the data context's cache.
    """
    from aidcalc.tables.reader import EVIDENCE_TABLES

    data = open_data(data)
    names = (*EVIDENCE_TABLES, "claims", "rates", "redenominations", "cpi_u", "plans")
    stamp = data.stamp(*names)
    return data.cached("implied_rates", stamp, lambda: load_rate_table(data).with_rates(implied_rates(data)))


def parse_alternative(text) -> dict:
    """Read an ``alternative`` cell (``field=value`` pairs separated by ``;``) into a dict.

    An empty value means the field is empty in the other reading (``part_of=``: not a part).

    Examples
    --------
    >>> parse_alternative("vintage=new; part_of=")
    {'vintage': 'new', 'part_of': None}

    """
    if not isinstance(text, str) or not text.strip():
        return {}
    pairs = (item.split("=", 1) for item in text.split(";") if item.strip())
    return {k.strip(): (v.strip() or None) for k, v in pairs}


def judged_rows(frame: pd.DataFrame) -> list[str]:
    """Return the ids of the rows that carry an alternative reading."""
    if "alternative" not in frame:
        return []
    given = frame.loc[frame["alternative"].notna(), ["id", "alternative"]]  # few rows: strip only those
    return given.loc[given["alternative"].str.strip() != "", "id"].tolist()


def apply_alternatives(frame: pd.DataFrame, ids=None) -> pd.DataFrame:
    """Return ``frame`` with the alternative reading of the rows ``ids`` (default: every judged row).

    Examples
    --------
    >>> rows = pd.DataFrame({"id": ["L1"], "vintage": ["old"], "alternative": ["vintage=new"]})
    >>> apply_alternatives(rows)["vintage"].tolist()
    ['new']

    """
    out = frame.copy()
    ids = judged_rows(frame) if ids is None else list(ids)
    position = {rid: i for i, rid in enumerate(out["id"])}
    for rid in ids:
        i = position[rid]
        for column, value in parse_alternative(out["alternative"].iloc[i]).items():
            if column == "amount":
                value = float(value)
            out.iloc[i, out.columns.get_loc(column)] = pd.NA if value is None else value
    return out
