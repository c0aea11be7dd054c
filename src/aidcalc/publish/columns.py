"""What each column of a table holds (money, money per person, share, count, label, text) and its unit.

Read by :mod:`aidcalc.publish.tables` (tables for people) and :mod:`aidcalc.publish.export` (CSV), so that a
column is shown and written the same way.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from aidcalc.money.basis import Basis
from aidcalc.units import MONEY_UNITS as CURRENCIES  # the money units, named in headers

#: Text longer than this is set as a wrapping paragraph column.
LONG_TEXT = 60

#: Column names that are labels written as integers (no thousands separator).
LABEL_INTEGERS = {"line", "year", "footnote", "start_year", "end_year"}
#: Column names holding five-year plan numbers.
PLAN_COLUMNS = {"plan", "plan_assigned"}
#: Column names that count rows or things.
COUNT_NAMES = {"rows", "claims", "count", "n", "items", "projects"}
#: Column names (or their endings) that hold words, even when every value is missing.
TEXT_NAMES = ("_by", "_note", "_text", "note", "reason", "detail", "id", "remark", "problem")
#: Suffixes of a column name that qualify the measure before them, and how they read.
QUALIFIERS = (
    ("_per_capita_low", " per person, low"),
    ("_per_capita_high", " per person, high"),
    ("_per_capita", " per person"),
    ("_low_by", ", low: set by"),
    ("_high_by", ", high: set by"),
    ("_low", ", low"),
    ("_high", ", high"),
    ("_cumulative", ", cumulative"),
    ("_rows", " rows"),
    ("_note", ", note"),
)


def is_money(unit: str | None) -> bool:
    """Tell whether ``unit`` names a currency.

    Examples
    --------
    >>> is_money("constant 1990 USD (official rates via USD, gold basis)"), is_money("t")
    (True, False)

    """
    if isinstance(unit, Basis):
        return True
    return bool(unit) and re.search(rf"\b({'|'.join(CURRENCIES)})\b", unit) is not None


def short_unit(unit: str | None) -> str:
    """Return the unit without its explanation in brackets.

    Examples
    --------
    >>> short_unit("USD (official rates via USD, gold basis)")
    'USD'

    """
    if isinstance(unit, Basis):
        return unit.unit
    return re.sub(r"\s*\(.*\)\s*$", "", unit or "").strip()


def unit_tag(unit: str | None) -> str:
    """Return the unit as a column-name suffix for CSV files (the currency code first).

    Examples
    --------
    >>> unit_tag("constant 1990 USD (official rates via USD, gold basis)"), unit_tag("RUB (1961)")
    ('USD_constant_1990', 'RUB')
    >>> unit_tag("t"), unit_tag("USD per person")
    ('t', 'USD_per_person')

    """
    if isinstance(unit, Basis):  # the basis knows its tag: nothing to parse back
        return unit.tag
    short = short_unit(unit)
    code = re.search(rf"\b({'|'.join(CURRENCIES)})\b", short)
    if code:
        rest = (short[:code.start()] + " " + short[code.end():]).strip()
        short = code.group(1) + (" " + rest if rest else "")
    return re.sub(r"\W+", "_", short).strip("_")


def header(name, unit: str | None = None) -> str:
    """Turn a column name into words, with its unit in brackets.

    Examples
    --------
    >>> header("committed_low", "million USD")
    'committed, low (million USD)'
    >>> header("committed_per_capita")
    'committed per person'
    >>> header("implied_over_official"), header("L0021 read vintage=new")
    ('implied over official', 'L0021 read vintage=new')

    """
    text = str(name)
    if re.fullmatch(r"[a-z][a-z0-9_]*", text):
        for suffix, words in QUALIFIERS:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)] + words
                break
        text = text.replace("_", " ")
    return f"{text} ({unit})" if unit else text


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _integral(series: pd.Series) -> bool:
    values = pd.to_numeric(series, errors="coerce").dropna().to_numpy(dtype=float)
    return bool(len(values)) and bool(np.all(np.isfinite(values) & (values == np.round(values))))


def column_kinds(table: pd.DataFrame, unit: str | None = None, money_columns=None, *,
                 share_columns=None, count_columns=None, value_columns=None,
                 percent_columns=None) -> dict:
    """Decide how each column reads, by its name, type and ``unit``.

    The kinds: ``money``, ``money_per_person``, ``share``, ``percent`` (a share given in
    percent, only when named in ``percent_columns``), ``rate``, ``count``, ``persons``,
    ``plan``, ``label`` (an integer label such as a line number or year), ``measure`` (a number
    in ``unit``), ``number`` (any other number) or ``text``.

    Without ``money_columns``, when ``unit`` is a currency every float column that is not a
    share, rate, count or ``amount`` (a figure in its row's own unit) is money; a column named
    ``*per_capita*`` is money per person. With another unit (``t``) those columns are measures
    in it.

    Examples
    --------
    >>> t = pd.DataFrame({"plan": [3], "committed": [3.4e8], "committed_rows": [5],
    ...                   "granted_share": [1.6], "population": [1757820.6], "lender": ["China"]})
    >>> column_kinds(t, "USD")
    {'plan': 'plan', 'committed': 'money', 'committed_rows': 'count', 'granted_share': 'share', \
'population': 'persons', 'lender': 'text'}

    """
    explicit = {}
    for kind, names in (("money", money_columns), ("share", share_columns), ("percent", percent_columns),
                        ("count", count_columns), ("measure", value_columns)):
        for name in names or ():
            explicit[name] = kind
    kinds = {}
    money = is_money(unit)
    for name in table.columns:
        col, text = table[name], str(name)
        if name in explicit:
            kind = explicit[name]
            if kind == "money" and "per_capita" in text:
                kind = "money_per_person"
        elif not _numeric(col) or (text.endswith(TEXT_NAMES) and col.isna().all()):
            kind = "text"
        elif text in PLAN_COLUMNS:
            kind = "plan"
        elif text in LABEL_INTEGERS or text.endswith(("_year", "_line")):
            kind = "label"
        elif text == "population":
            kind = "persons"
        elif text.endswith("_rows") or text in COUNT_NAMES:
            kind = "count"
        elif "share" in text or "_over_" in text or text == "tolerance":
            kind = "share"
        elif text.endswith("_rate"):
            kind = "rate"
        elif text == "amount":
            kind = "number"
        elif money and money_columns is None:
            kind = "money_per_person" if "per_capita" in text else "money"
        elif unit and not money and value_columns is None:
            kind = "measure"
        else:
            kind = "number"
        if kind == "number" and pd.api.types.is_integer_dtype(col):
            kind = "count"
        kinds[name] = kind
    return kinds


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _decimal(value: float, decimals: int, trim: bool = True) -> str:
    text = f"{value:,.{decimals}f}"
    return _trim(text) if trim else text


def _number(value: float) -> str:
    """Write a number for people: whole when whole, else decimals by size, thousands separated."""
    if value == round(value):
        return f"{int(round(value)):,}"
    size = abs(value)
    return _decimal(value, 0 if size >= 1000 else 1 if size >= 10 else 2 if size >= 0.1 else 4)


def _significant(value: float, digits: int) -> str:
    if value == 0:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))
    return _decimal(value, decimals)


def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain_index(table: pd.DataFrame) -> pd.DataFrame:
    """Drop a 0..n index; make any other index (a reason, a verdict) a column."""
    if isinstance(table.index, pd.RangeIndex) and table.index.start == 0 and table.index.step == 1:
        return table
    if not isinstance(table.index, pd.MultiIndex) and table.index.name is None \
            and pd.api.types.is_integer_dtype(table.index):
        return table.reset_index(drop=True)
    return table.reset_index().rename(columns={"index": ""})
