"""Tables written as CSV for people and programs alike: floats rounded to what they mean, units in headers.

The unit goes into the column's name (``committed_USD``), so that any CSV reader sees it. A text
cell that a spreadsheet would run as a formula (one starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return: a giver, item or note can) gets a leading apostrophe; numbers are
written as they are.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from aidcalc.publish.columns import (
    _integral,
    _missing,
    _numeric,
    _plain_index,
    _significant,
    _trim,
    column_kinds,
    unit_tag,
)

#: The first characters that make a spreadsheet read a cell as a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Return a text cell with a leading apostrophe if a spreadsheet would run it as a formula.

    Anything that is not text (numbers, missing values) is returned as it is.

    Examples
    --------
    >>> neutralise("=1+1"), neutralise("-5e8 rubles"), neutralise("China")
    ("'=1+1", "'-5e8 rubles", 'China')
    >>> neutralise(-5.0)
    -5.0

    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_frame(table: pd.DataFrame, unit: str | None = None, money_columns=None, *,
              share_columns=None, count_columns=None, value_columns=None) -> pd.DataFrame:
    """Return ``table`` as :func:`to_csv` writes it: rounded, the unit in the headers.

    Examples
    --------
    >>> t = pd.DataFrame({"plan": [3], "committed": [348095834.58345836],
    ...                   "granted_share": [1.5999999999999999], "committed_rows": [5.0],
    ...                   "committed_per_capita": [198.0269360160702]})
    >>> print(csv_frame(t, "USD (official rates)").to_csv(index=False).strip())
    plan,committed_USD,granted_share,committed_rows,committed_per_capita_USD
    3,348095835,1.6,5,198.03

    """
    table = _plain_index(table)
    kinds = column_kinds(table, unit, money_columns, share_columns=share_columns,
                         count_columns=count_columns, value_columns=value_columns)
    tag = unit_tag(unit)
    out = {}
    for name, kind in kinds.items():
        col = table[name]
        if kind == "text" or not _numeric(col):
            out[neutralise(name)] = col.map(neutralise, na_action="ignore") if col.dtype != bool else col
            continue
        values = pd.to_numeric(col, errors="coerce").astype("Float64")
        if kind in ("money",):
            values = values.round(0)
        elif kind == "money_per_person":
            values = values.round(2)
        elif kind == "share":
            values = values.round(4)
        elif kind == "rate":
            values = values.map(lambda v: v if _missing(v) else float(_significant(float(v), 6)
                                                                      .replace(",", "")),
                                na_action="ignore").astype("Float64")
        elif kind == "persons":
            values = values.round(0)
        else:
            values = values.round(3)
        if _integral(values) or kind in ("money", "persons", "plan", "label"):
            values = values.round(0).astype("Int64")
        else:  # written as text, so that no float noise or '.0' reaches the file
            values = values.astype(object).map(lambda v: None if _missing(v) else _trim(repr(float(v))))
        key = f"{name}_{tag}" if tag and kind in ("money", "money_per_person", "measure") else name
        out[key] = values
    return pd.DataFrame(out)


def to_csv(table: pd.DataFrame, path: str | Path, unit: str | None = None, money_columns=None,
           **kinds) -> Path:
    """Write ``table`` as CSV, each float rounded to what it means and the unit in the headers.

    Money is written in whole units (``committed_USD``), money per person to cents, shares
    and ratios to 4 decimals, rates to 6 significant digits, other measures to 3 decimals;
    whole numbers without ``.0``; a missing value as an empty field; a text cell a spreadsheet
    would run as a formula with a leading apostrophe (:func:`neutralise`); records end in CRLF.
    ``kinds`` are the ``share_columns``, ``count_columns`` and ``value_columns`` of :func:`format_table`.

    Returns
    -------
    Path
        The file written (its folder is created when needed).

    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # CRLF ends the records (RFC 4180), so that a cell holding a lone CR is quoted, not split
    csv_frame(table, unit, money_columns, **kinds).to_csv(path, index=False, lineterminator="\r\n")
    return path
