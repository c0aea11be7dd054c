"""Albania's five-year plans, and the rule that ties each row of the evidence to one."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aidcalc.rates import parse_dates

#: How far (in years) a period written by the source may stray from a plan's years and still be
#: read as that plan: the thesis writes the second plan "1955-60" and the fourth "1965-70".
PERIOD_SLACK = 1

#: The rules, in the order they are tried.
RULES = ("named", "period", "date", "none")


def load_plans(data_dir=None) -> pd.DataFrame:
    """Return ``data/plans.csv``: plan number, name, first and last year, source.

    Examples
    --------
    >>> load_plans().set_index("plan").loc[3, ["start_year", "end_year"]].tolist()
    [1961, 1965]

    """
    from aidcalc.io import load_table

    return load_table("plans", data_dir)


def assign_plans(frame: pd.DataFrame, plans: pd.DataFrame | None = None) -> pd.DataFrame:
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
        The plan table; defaults to ``data/plans.csv``.

    Returns
    -------
    DataFrame
        A copy with ``plan_assigned`` (Int64, missing where no rule applies),
        ``plan_rule`` and ``plan_remark`` (how a differently written period was read).

    Examples
    --------
    >>> rows = pd.DataFrame({"plan": [pd.NA, pd.NA, 2], "period_start": [1965, pd.NA, pd.NA],
    ...                      "period_end": [1970, pd.NA, pd.NA], "date": ["1965", "1972-03", None]})
    >>> assign_plans(rows)[["plan_assigned", "plan_rule"]].values.tolist()
    [[4, 'period'], [5, 'date'], [2, 'named']]

    """
    plans = load_plans() if plans is None else plans
    out = frame.copy()
    starts = plans["start_year"].to_numpy()
    ends = plans["end_year"].to_numpy()
    numbers = plans["plan"].to_numpy()
    assigned = pd.array(pd.to_numeric(out["plan"], errors="coerce"), dtype="Int64")
    rule = np.where(pd.notna(assigned), "named", "none").astype(object)
    remark = np.full(len(out), "", dtype=object)

    ps = pd.to_numeric(out["period_start"], errors="coerce").to_numpy(dtype=float)[:, None]
    pe = pd.to_numeric(out["period_end"], errors="coerce").to_numpy(dtype=float)[:, None]
    # rows x plans: does the period lie within the plan exactly, or within a year of it?
    exact = (ps >= starts) & (pe <= ends)
    fits = (ps >= starts - PERIOD_SLACK) & (pe <= ends + PERIOD_SLACK)
    # a span that fits two plans with the slack is ambiguous; the exact fit wins, else none
    choice = np.where(exact.any(axis=1)[:, None], exact, fits)
    single = (choice.sum(axis=1) == 1) & (rule == "none")
    pick = choice.argmax(axis=1)
    assigned = np.where(single, numbers[pick], assigned.to_numpy(dtype=float, na_value=np.nan))
    rule[single] = "period"
    loose = single & ~exact.any(axis=1)
    for i in np.flatnonzero(loose):  # only rows whose years differ from the plan's
        k = pick[i]
        remark[i] = (f"period {int(ps[i, 0])}-{int(pe[i, 0])} read as plan {numbers[k]} "
                     f"({starts[k]}-{ends[k]})")

    days = parse_dates(out["date"].astype("string").to_numpy())
    years = np.where(np.isnat(days), np.nan, days.astype("datetime64[Y]").astype(float) + 1970)
    k = np.searchsorted(starts, years, side="right") - 1
    by_date = (rule == "none") & ~np.isnan(years) & (k >= 0)
    by_date[by_date] &= years[by_date] <= ends[k[by_date]]
    assigned = np.where(by_date, numbers[np.maximum(k, 0)], assigned)
    rule[by_date] = "date"
    assigned = pd.array(np.where(np.isnan(assigned), None, assigned), dtype="Int64")
    out["plan_assigned"] = assigned
    out["plan_rule"] = rule
    out["plan_remark"] = remark
    return out


def plan_label(plan: int, plans: pd.DataFrame | None = None) -> str:
    """Return a label such as ``"3rd plan 1961-65"`` for charts and tables.

    Examples
    --------
    >>> plan_label(4)
    '4th plan 1966-70'

    """
    plans = load_plans() if plans is None else plans
    row = plans.set_index("plan").loc[int(plan)]
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(int(plan), "th")
    return f"{plan}{suffix} plan {row['start_year']}-{str(row['end_year'])[2:]}"
