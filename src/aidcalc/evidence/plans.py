"""Albania's five-year plans, and the rule that ties each row of the evidence to one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aidcalc.distinct import factorize_rows
from aidcalc.frames import float_column, require_columns
from aidcalc.money.dates import calendar_years, parse_dates

if TYPE_CHECKING:
    from aidcalc.tables.context import DataLike

#: How far (in years) a period written by the source may stray from a plan's years and still be
#: read as that plan: the thesis writes the second plan "1955-60" and the fourth "1965-70".
PERIOD_SLACK = 1

#: The rules, in the order they are tried.
RULES = ("named", "period", "date", "none")


def load_plans(data: DataLike = None) -> pd.DataFrame:
    """Return ``data/plans.csv``: plan number, name, first and last year, source.

    Examples
    --------
    >>> load_plans().set_index("plan").loc[3, ["start_year", "end_year"]].tolist()
    [1961, 1965]

    """
    from aidcalc.tables.context import open_data

    return open_data(data).table("plans")


def assign_plans(frame: pd.DataFrame, plans: pd.DataFrame | None = None, *,
                 days: np.ndarray | None = None, data: DataLike = None) -> pd.DataFrame:
    """Tie every row to a five-year plan, and say which rule did it.

    The rules, in order: ``named`` (the plan the source itself names, column ``plan``);
    ``period`` (the span ``period_start``-``period_end`` lies within one plan's years, give or
    take :data:`PERIOD_SLACK` year at each end, as in "1955-60" for the second plan);
    ``date`` (the plan whose years hold the row's date); ``none``.

    Parameters
    ----------
    frame : DataFrame
        Rows with columns ``plan``, ``period_start``, ``period_end`` and ``date``.
    plans : DataFrame, optional
        The plan table; defaults to ``plans`` of ``data``.
    days : array of datetime64[D], optional
        The ``date`` column already parsed by :func:`aidcalc.money.dates.parse_dates`, to save
        parsing it again on long tables.
    data : DataContext or path, optional
        The data to read (:func:`aidcalc.open_data`); defaults to the packaged tables.

    Returns
    -------
    DataFrame
        A copy with ``plan_assigned`` (Int64, missing where no rule applies),
        ``plan_rule`` (categorical, one of :data:`RULES`) and ``plan_remark`` (categorical: how a
        differently written period was read, else empty).

    Examples
    --------
    >>> rows = pd.DataFrame({"plan": [pd.NA, pd.NA, 2], "period_start": [1965, pd.NA, pd.NA],
    ...                      "period_end": [1970, pd.NA, pd.NA], "date": ["1965", "1972-03", None]})
    >>> assign_plans(rows)[["plan_assigned", "plan_rule"]].values.tolist()
    [[4, 'period'], [5, 'date'], [2, 'named']]

    """
    require_columns(frame, ("plan", "period_start", "period_end", "date"), "assign_plans", "loans")
    plans = load_plans(data) if plans is None else plans
    starts = plans["start_year"].to_numpy()
    ends = plans["end_year"].to_numpy()
    numbers = plans["plan"].to_numpy()
    assigned = float_column(frame["plan"])
    rule = np.where(np.isnan(assigned), RULES.index("none"), RULES.index("named")).astype(np.int8)
    remark = np.zeros(len(frame), dtype=np.int32)  # per row, its remark's number in ``texts``; 0: none
    texts = np.array([""], dtype=object)

    ps, pe = float_column(frame["period_start"]), float_column(frame["period_end"])
    rows = np.flatnonzero((rule == RULES.index("none")) & ~np.isnan(ps) & ~np.isnan(pe))
    if rows.size:  # rows x plans: does the period lie within the plan exactly, or within a year?
        start, end = ps[rows, None], pe[rows, None]
        exact = (start >= starts) & (end <= ends)
        fits = (start >= starts - PERIOD_SLACK) & (end <= ends + PERIOD_SLACK)
        # a span that fits two plans with the slack is ambiguous; the exact fit wins, else none
        choice = np.where(exact.any(axis=1)[:, None], exact, fits)
        single = choice.sum(axis=1) == 1
        pick = choice.argmax(axis=1)
        assigned[rows[single]] = numbers[pick[single]]
        rule[rows[single]] = RULES.index("period")
        loose = np.flatnonzero(single & ~exact.any(axis=1))  # years differ from the plan's
        if loose.size:  # one remark per distinct (period, plan), then spread to the rows
            at = rows[loose]
            groups, first = factorize_rows(ps[at], pe[at], pick[loose])
            k = pick[loose[first]]
            spans = zip(ps[at[first]], pe[at[first]], numbers[k], starts[k], ends[k], strict=True)
            texts = np.array(["", *(f"period {int(a)}-{int(b)} read as plan {p} ({s}-{e})"
                                    for a, b, p, s, e in spans)], dtype=object)
            remark[at] = groups + 1

    years = calendar_years(parse_dates(frame["date"]) if days is None else days)
    k = _plan_index(starts, years)
    by_date = (rule == RULES.index("none")) & ~np.isnan(years) & (k >= 0)
    by_date[by_date] &= years[by_date] <= ends[k[by_date]]
    assigned[by_date] = numbers[k[by_date]]
    rule[by_date] = RULES.index("date")

    missing = np.isnan(assigned)
    out = frame.copy(deep=False)  # new columns only: the caller's frame is left as it was
    out["plan_assigned"] = pd.arrays.IntegerArray(np.where(missing, 0, assigned).astype(np.int64), missing)
    out["plan_rule"] = pd.Categorical.from_codes(rule, categories=RULES)
    # a few texts over many rows: a categorical, not a column of a million empty strings
    out["plan_remark"] = pd.Categorical.from_codes(remark, categories=pd.Index(texts, dtype=object))
    return out


def _plan_index(starts: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Per row, the index of the last plan starting in or before its year (-1 before the first).

    A long column spans few years: each year of the span is looked up once, then gathered.
    """
    valid = ~np.isnan(years)
    if len(years) < 4096 or not valid.any():
        return np.searchsorted(starts, years, side="right") - 1
    first = int(np.min(years, where=valid, initial=np.inf))
    last = int(np.max(years, where=valid, initial=-np.inf))
    if last - first > 10_000:  # years far apart: no table
        return np.searchsorted(starts, years, side="right") - 1
    span = np.append(np.arange(first, last + 1, dtype=float), np.nan)
    table = np.searchsorted(starts, span, side="right") - 1
    return np.take(table, np.where(valid, years - first, last - first + 1).astype(np.intp))


def plan_label(plan: int, plans: pd.DataFrame | None = None, *, data: DataLike = None) -> str:
    """Return a label such as ``"3rd plan 1961-65"`` for charts and tables.

    Examples
    --------
    >>> plan_label(4)
    '4th plan 1966-70'

    """
    plans = load_plans(data) if plans is None else plans
    row = plans.set_index("plan").loc[int(plan)]
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(int(plan), "th")
    return f"{plan}{suffix} plan {row['start_year']}-{str(row['end_year'])[2:]}"
