"""Aggregate the evidence by plan, lender and event, accounting for every input row.

Every function returns an :class:`Aggregation`: the summary ``table``, the ``counted`` rows
behind it, and the ``excluded`` rows, each with its ``reason``. Counted plus excluded is always
the input, row for row.

Commitment rules (no double counting):

* a row with ``same_as`` repeats an earlier row (or restates it in another currency): excluded;
* a row with ``part_of`` is a component of a stated total; when that total is counted, the
  component is excluded ("included in the total of row X"), otherwise it is counted;
* ``granted``, ``approved``, ``signed``, ``agreed``, ``added``, ``stated_total`` and
  ``delivered`` (aid given, as the 1967 arms deliveries) are commitments; ``requested`` is a
  request; promises, drafts, expectations, postponements,
  refusals and cuts are neither and are excluded with their event named.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aidcalc.plans import assign_plans
from aidcalc.rates import convert, parse_dates

COMMIT_EVENTS = ("granted", "approved", "signed", "agreed", "added", "stated_total", "delivered")
REQUEST_EVENTS = ("requested",)
MONEY_UNITS = ("RUB", "CNY", "ALL", "USD")
SOVIET_BLOC = ("USSR", "Soviet bloc", "Poland", "Czechoslovakia", "GDR", "Hungary", "Romania",
               "Bulgaria")


@dataclass
class Aggregation:
    """A summary table with the rows it counted and the rows it left out, with reasons."""

    table: pd.DataFrame
    counted: pd.DataFrame
    excluded: pd.DataFrame
    unit: str = ""

    def __post_init__(self):
        self.check()

    def check(self) -> None:
        """Raise if counted + excluded rows are not exactly the input rows."""
        ids = pd.concat([self.counted["id"], self.excluded["id"]])
        if ids.duplicated().any():
            raise AssertionError(f"rows both counted and excluded: {sorted(ids[ids.duplicated()])}")

    @property
    def reasons(self) -> pd.Series:
        """How many rows each exclusion reason left out."""
        return self.excluded["reason"].value_counts()


def lender_group(giver: pd.Series) -> pd.Series:
    """Group givers: ``China``, ``Soviet bloc`` (USSR and its allies), or the giver itself.

    Examples
    --------
    >>> lender_group(pd.Series(["Poland", "China", "Albania"])).tolist()
    ['Soviet bloc', 'China', 'Albania']

    """
    return giver.where(~giver.isin(SOVIET_BLOC), "Soviet bloc")


def _split(frame: pd.DataFrame, reason: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    keep = reason.isna() | (reason == "")
    return frame[keep].copy(), frame[~keep].assign(reason=reason[~keep]).copy()


def _first_reason(frame: pd.DataFrame, rules) -> pd.Series:
    """Apply (mask, reason) rules in order; each row gets the first reason that matches."""
    reason = pd.Series(pd.NA, index=frame.index, dtype="object")
    for mask, text in rules:
        text = text if isinstance(text, pd.Series) else pd.Series(text, index=frame.index)
        reason = reason.where(reason.notna() | ~mask.fillna(False), text)
    return reason


def _repeat_reason(frame: pd.DataFrame, evidence_units: pd.Series) -> pd.Series:
    target_unit = frame["same_as"].map(evidence_units).astype(object)
    same = (target_unit == frame["unit"].astype(object)).to_numpy(dtype=bool)
    return np.where(same, "repeats row " + frame["same_as"].fillna(""),
                    "restates row " + frame["same_as"].fillna("") + " in another unit")


def effective_dates(frame: pd.DataFrame) -> pd.Series:
    """Return the date each row's amount is converted at: its date, else its period's first year."""
    start = frame["period_start"].astype("string")
    return frame["date"].astype("string").fillna(start)


def convert_rows(frame: pd.DataFrame, to: str = "USD", **options) -> pd.DataFrame:
    """Convert the money rows of an evidence frame; other rows get ``NaN`` and a problem.

    Returns a copy with ``currency`` (code with vintage), ``value``, ``rate_rows`` and
    ``problem``. Options are those of :func:`aidcalc.rates.convert`.
    """
    out = frame.copy()
    money = out["unit"].isin(MONEY_UNITS)
    vintage = out["vintage"].fillna("new")
    out["currency"] = np.where(money & (vintage == "old") & (out["unit"] != "USD"),
                               out["unit"] + "_old", out["unit"])
    dates = effective_dates(out)
    out["value"] = np.nan
    out["rate_rows"] = ""
    out["problem"] = np.where(money, "", "unit " + out["unit"].astype(str) + " is not money")
    rows = np.flatnonzero(money.to_numpy() & dates.notna().to_numpy())
    undated = money & dates.isna()
    out.loc[undated, "problem"] = "no date or period to convert at"
    if len(rows):
        result = convert(out["amount"].to_numpy()[rows], out["currency"].to_numpy()[rows],
                         dates.to_numpy()[rows], to=to, errors="coerce", **options)
        idx = out.index[rows]
        out.loc[idx, "value"] = result.value
        out.loc[idx, "rate_rows"] = [" ".join(result.rate_ids(i)) for i in range(len(rows))]
        out.loc[idx, "problem"] = result.problem
        out.attrs["label"] = result.label
    return out


def aggregate_loans(loans: pd.DataFrame, to: str = "USD", receiver: str = "Albania",
                    military: pd.DataFrame | None = None, **options) -> Aggregation:
    """Sum loans and grants by plan, lender and measure (requested or committed).

    Parameters
    ----------
    loans : DataFrame
        ``data/loans.csv`` as :func:`aidcalc.io.load_table` returns it.
    to : str
        Target currency; options (``rate_type``, ``basis``, ``via``, ``price_year``) are
        passed to :func:`aidcalc.rates.convert`.
    receiver : str
        Only aid to this receiver is summed; the rest is excluded as comparison figures.
    military : DataFrame, optional
        ``data/arms_shipments.csv``: its money rows (values of arms) are added as military aid,
        with ``lender`` suffixed " (military)"; its tonnage and item counts are excluded.
    **options
        ``rate_type``, ``basis``, ``via``, ``price_year``, ``table`` of :func:`aidcalc.rates.convert`.

    Returns
    -------
    Aggregation
        ``table`` has one row per plan and lender with ``requested``, ``committed`` (in
        ``to``), their row counts, and ``granted_share`` = committed / requested where both exist.

    Examples
    --------
    >>> from aidcalc.io import load_table
    >>> agg = aggregate_loans(load_table("loans"), to="RUB")
    >>> first = agg.table.set_index(["plan", "lender"]).loc[(1, "Soviet bloc")]
    >>> round(float(first["committed"]))  # 254 million old rubles / 4.444 (gold basis)
    57155716

    """
    frame = loans if military is None else pd.concat([loans, military], ignore_index=True)
    rows = assign_plans(convert_rows(frame, to=to, **options))
    rows["lender"] = lender_group(rows["giver"])
    if military is not None:
        is_arms = rows["id"].isin(military["id"])
        rows.loc[is_arms, "lender"] = rows.loc[is_arms, "lender"] + " (military)"
    rows["measure"] = np.select([rows["event"].isin(COMMIT_EVENTS),
                                 rows["event"].isin(REQUEST_EVENTS)],
                                ["committed", "requested"], "")
    units = frame.set_index("id")["unit"]
    base_rules = [
        (rows["receiver"] != receiver, f"receiver is not {receiver} (a comparison figure)"),
        (~rows["unit"].isin(MONEY_UNITS), "not a money amount (unit " + rows["unit"] + ")"),
        (rows["same_as"].notna(), pd.Series(_repeat_reason(rows, units), index=rows.index)),
        (rows["measure"] == "", "event '" + rows["event"] + "' is neither a request nor a commitment"),
    ]
    reason = _first_reason(rows, base_rules)
    candidates = set(rows.loc[reason.isna(), "id"])
    parent_counted = rows["part_of"].isin(candidates)
    undated = rows["date"].isna() & rows["period_start"].isna()
    reason = _first_reason(rows, [(reason.notna(), reason),
                                  (undated, "no date or period: a cumulative statement, see the audit"),
                                  (parent_counted,
                                   "included in the total of row " + rows["part_of"].fillna("")),
                                  (rows["problem"] != "", "not convertible: " + rows["problem"]),
                                  (rows["plan_assigned"].isna(), "no plan could be assigned")])
    counted, excluded = _split(rows, reason)
    table = (counted.groupby(["plan_assigned", "lender", "measure"])["value"]
             .agg(["sum", "count"]).unstack("measure"))
    table.columns = [f"{m}" if s == "sum" else f"{m}_rows" for s, m in table.columns]
    for col in ("requested", "committed", "requested_rows", "committed_rows"):
        if col not in table:
            table[col] = np.nan
    table["granted_share"] = table["committed"] / table["requested"]
    table = table.reset_index().rename(columns={"plan_assigned": "plan"})
    return Aggregation(table, counted, excluded, unit=rows.attrs.get("label", to))


def aggregate_projects(projects: pd.DataFrame, receiver: str = "Albania") -> Aggregation:
    """Count industrial projects by plan and event, with the cumulative count of new ones.

    ``table`` has one row per plan with one column per event (``requested``, ``promised``,
    ``agreed``, ``completed``, ...) and ``stated_total`` where the source states one.
    """
    rows = assign_plans(projects)
    units = projects.set_index("id")["unit"]
    reason = _first_reason(rows, [
        (rows["receiver"] != receiver, f"receiver is not {receiver} (a comparison figure)"),
        (rows["unit"] != "count", "not a count of projects"),
        (rows["same_as"].notna(), pd.Series(_repeat_reason(rows, units), index=rows.index)),
        (rows["plan_assigned"].isna(), "no plan could be assigned"),
    ])
    counted, excluded = _split(rows, reason)
    table = counted.pivot_table(index="plan_assigned", columns="event", values="amount",
                                aggfunc="sum").reset_index().rename(columns={"plan_assigned": "plan"})
    table.columns.name = None
    return Aggregation(table, counted, excluded, unit="projects")


def aggregate_tonnage(arms: pd.DataFrame, receiver: str = "Albania") -> Aggregation:
    """Sum arms tonnage by year and event, with cumulative deliveries beside the source's totals.

    ``table`` has one row per year with one column per event (``requested``, ``agreed``,
    ``expected``, ``delivered``), ``delivered_cumulative`` (the running sum of the delivered
    loads) and ``stated_total`` (the source's own cumulative statement for that year).
    """
    rows = assign_plans(arms)
    days = parse_dates(effective_dates(rows).to_numpy())
    rows["year"] = pd.array(np.where(np.isnat(days), np.nan,
                                     days.astype("datetime64[Y]").astype(float) + 1970), dtype="Int64")
    units = arms.set_index("id")["unit"]
    reason = _first_reason(rows, [
        (rows["receiver"] != receiver, f"receiver is not {receiver}"),
        (rows["unit"] != "t", "not a tonnage (unit " + rows["unit"] + ")"),
        (rows["same_as"].notna(), pd.Series(_repeat_reason(rows, units), index=rows.index)),
        (rows["year"].isna(), "no date or period to place it in a year"),
    ])
    counted, excluded = _split(rows, reason)
    table = counted.pivot_table(index="year", columns="event", values="amount",
                                aggfunc="sum").sort_index()
    table.columns.name = None
    if "delivered" in table:
        table["delivered_cumulative"] = table["delivered"].fillna(0).cumsum()
    return Aggregation(table.reset_index(), counted, excluded, unit="t")


def interpolate_population(years, population: pd.DataFrame) -> np.ndarray:
    """Albania's population in each year (1 July), log-linear between censuses.

    Years outside the census span get ``NaN`` rather than an extrapolation.

    Examples
    --------
    >>> from aidcalc.io import load_table
    >>> pop = load_table("population")  # censuses of 2 Oct 1960 and 1 Apr 1969
    >>> round(float(interpolate_population([1965.0], pop)[0]), -3)
    1834000.0

    """
    days = population["date"].astype(str).to_numpy(dtype="datetime64[D]")
    x = 1970 + days.astype(float) / 365.2425
    logp = np.log(population["population"].to_numpy(dtype=float))
    years = np.asarray(years, dtype=float)
    out = np.exp(np.interp(years, x, logp))
    out[(years < x.min()) | (years > x.max())] = np.nan
    return out


def add_per_capita(table: pd.DataFrame, population: pd.DataFrame, columns, plans=None) -> pd.DataFrame:
    """Add ``population`` (mid-plan, interpolated) and ``<column>_per_capita`` to a plan table.

    The population of a plan is the interpolated census population at the middle of its
    years (e.g. 1 January 1964 for 1961-65); see :func:`interpolate_population`.
    """
    from aidcalc.plans import load_plans

    plans = load_plans() if plans is None else plans
    spans = plans.set_index("plan")
    mid = table["plan"].map(lambda p: (spans.loc[p, "start_year"] + spans.loc[p, "end_year"] + 1) / 2)
    out = table.copy()
    out["population"] = interpolate_population(mid.to_numpy(dtype=float), population)
    for col in columns:
        out[f"{col}_per_capita"] = out[col] / out["population"]
    return out


def conversion_options(currency: str = "USD", price_basis: str = "nominal",
                       price_year: int = 1990, rate_basis: str = "official") -> dict:
    """Translate the report parameters into options for :func:`aidcalc.rates.convert`.

    ``rate_basis="source_implied"`` converts at the rates the sources' own conversions imply
    (see :func:`aidcalc.audit.implied_rates`) where they imply one, and at official rates
    elsewhere; every converted row names the rate rows it used.

    Examples
    --------
    >>> opts = conversion_options("USD", "constant", 1990)
    >>> opts["to"], opts["price_year"], opts["rate_type"]
    ('USD', 1990, ('official',))

    """
    from aidcalc.rates import load_rate_table

    options = {"to": currency, "price_year": price_year if price_basis == "constant" else None,
               "rate_type": ("official",), "table": load_rate_table()}
    if rate_basis == "source_implied":
        from aidcalc.audit import implied_rates

        options["rate_type"] = ("source_implied", "official")
        options["table"] = options["table"].with_rates(implied_rates())
    return options


def aggregate_items(arms: pd.DataFrame, receiver: str = "Albania") -> Aggregation:
    """Count arms items (tanks, aircraft, ships, ...) by item and event.

    ``table`` has one row per item with one column per event (``requested``, ``promised``,
    ``agreed``, ...).
    """
    units = arms.set_index("id")["unit"]
    reason = _first_reason(arms, [
        (arms["receiver"] != receiver, f"receiver is not {receiver}"),
        (arms["category"] != "arms_items", "not an item count (category " + arms["category"] + ")"),
        (arms["same_as"].notna(), pd.Series(_repeat_reason(arms, units), index=arms.index)),
    ])
    counted, excluded = _split(arms, reason)
    table = counted.pivot_table(index="item", columns="event", values="amount", aggfunc="sum")
    table.columns.name = None
    return Aggregation(table.reset_index(), counted, excluded, unit="count")
