"""Readings: the ways a figure or a rate can be taken, and what each does to the totals.

This module composes the aggregations and the audit (neither imports it): the rate basis
(official, or the rates the sources' own conversions imply), the redenomination basis, and
the judged readings of doubtful rows.
"""

from __future__ import annotations

import pandas as pd

from aidcalc.evidence.audit import implied_rates
from aidcalc.money.basis import Basis
from aidcalc.money.rates import RateTable, load_rate_table
from aidcalc.tables.context import DataLike, open_data


def rates_for(basis: Basis, data: DataLike = None) -> RateTable:
    """Return the rate table that ``basis`` converts at.

    With the source-implied rate basis (``Basis.for_report(rate_basis="source_implied")``) that
    is the rate table with the rates the sources' own conversions imply added (see
    :func:`aidcalc.evidence.audit.implied_rates`), used where they imply one, official rates
    elsewhere; otherwise the rate table of ``data`` as it is.

    Examples
    --------
    >>> from aidcalc.money.basis import Basis
    >>> table = rates_for(Basis.for_report("USD", rate_basis="source_implied"))
    >>> "source_implied" in table.rate_types
    True

    """
    data = open_data(data)
    return implied_table(data) if "source_implied" in basis.rate_type else load_rate_table(data)


def implied_table(data: DataLike = None):
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
