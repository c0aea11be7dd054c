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

import numpy as np
import pandas as pd

from aidcalc.distinct import map_distinct
from aidcalc.errors import DuplicateIdError, UnknownParameterError
from aidcalc.evidence.plans import assign_plans
from aidcalc.evidence.rows import convert_rows, effective_days, lender_group
from aidcalc.frames import present, require_columns
from aidcalc.money.basis import Basis
from aidcalc.money.dates import calendar_years, parse_dates
from aidcalc.money.rates import RateTable
from aidcalc.tables.context import DataLike
from aidcalc.tables.reader import EVIDENCE_TABLES

COMMIT_EVENTS = ("granted", "approved", "signed", "agreed", "added", "stated_total", "delivered")
REQUEST_EVENTS = ("requested",)
#: The periods :func:`aggregate_tonnage` sums over.
TONNAGE_PERIODS = ("year", "plan")
#: The columns each aggregation reads (the evidence tables have them all).
PLAN_COLUMNS = ("plan", "period_start", "period_end", "date")
LOAN_COLUMNS = ("id", *PLAN_COLUMNS, "giver", "receiver", "event", "amount", "unit", "vintage", "same_as",
                "part_of")
PROJECT_COLUMNS = ("id", *PLAN_COLUMNS, "receiver", "event", "amount", "unit", "same_as")
ITEM_COLUMNS = ("id", "receiver", "category", "item", "event", "amount", "unit", "same_as")
#: The reason a row without an amount is left out: missing stays missing, never a silent zero.
NO_AMOUNT = "no amount: nothing to add (missing, not zero)"


def require_table(frame: pd.DataFrame, table: str, function: str) -> None:
    """Raise if ``frame`` holds rows of another evidence table than ``table`` (told by their ids).

    Raises
    ------
    UnknownParameterError
        Naming the function, the first foreign row and the table it comes from.

    Examples
    --------
    >>> require_table(pd.DataFrame({"id": ["A0001"]}), "projects", "aggregate_projects")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    aidcalc.errors.UnknownParameterError: aggregate_projects sums the rows of data/projects.csv ...

    """
    prefix = EVIDENCE_TABLES[table]
    tables = {letter: name for name, letter in EVIDENCE_TABLES.items()}
    ids = frame["id"].astype("string")
    own = ids.str.startswith(prefix).to_numpy(dtype=bool, na_value=False)
    if own.all():  # one cheap pass where every id is of the table (the usual case)
        return
    ids = ids[~own]
    foreign = ids.str.fullmatch(r"[A-Z]\d{4}").fillna(False) & (ids.str[0] != prefix).fillna(False)
    foreign &= ids.str[0].isin(list(tables)).fillna(False)
    if foreign.any():
        first = ids[foreign.to_numpy()].iloc[0]
        raise UnknownParameterError(
            f"{function} sums the rows of data/{table}.csv (ids {prefix}0001, ...), but the frame given "
            f"holds {int(foreign.sum())} rows of data/{tables[first[0]]}.csv (first {first}); pass "
            f"aidcalc.load_table({table!r})")


class RowSplit:
    """The input rows and, per row, why it was left out (missing where counted): two frames on demand.

    Splitting a long frame into its counted and excluded rows copies every column; a caller who
    reads only the totals never pays for it.
    """

    def __init__(self, rows: pd.DataFrame, reason: np.ndarray, counted: np.ndarray | None = None):
        if len(reason) != len(rows):
            raise AssertionError(f"{len(rows)} rows but {len(reason)} reasons")
        self.rows, self.reason = rows, reason
        # the rows without a reason: given where known, else found
        self.kept = np.flatnonzero(pd.isna(reason) if counted is None else counted)

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return the counted rows and the excluded rows (with their ``reason``)."""
        return _split(self.rows, self.reason)

    def reasons(self) -> pd.Series:
        """How many rows each exclusion reason left out (as ``excluded["reason"].value_counts()``)."""
        left = np.ones(len(self.reason), dtype=bool)
        left[self.kept] = False
        return pd.Series(self.reason[left], name="reason").value_counts()


class Aggregation:
    """A summary table with the rows it counted and the rows it left out, with reasons.

    Attributes
    ----------
    table : DataFrame
        The totals.
    counted, excluded : DataFrame
        The rows summed, and the rows left out with their ``reason`` (made on first use when the
        aggregation was given as a :class:`RowSplit`).
    unit : str
        The unit of the totals (``USD``, ``t``, ``projects``...).
    n_input : int or None
        How many rows went in: counted + excluded must be exactly these.
    basis : Basis or None
        What money totals are expressed in.
    readings : DataFrame or None
        For ranged totals, every reading and how far it moves each total (made on first use
        when the aggregation was given a function that makes it).
    split : RowSplit or None
        The input rows and each one's reason, when the aggregation was given them so.

    """

    def __init__(self, table: pd.DataFrame, counted: pd.DataFrame | None = None,
                 excluded: pd.DataFrame | None = None, unit: str = "", n_input: int | None = None,
                 basis: Basis | None = None, readings=None, *, split: RowSplit | None = None):
        if split is None and (counted is None or excluded is None):
            raise TypeError("Aggregation needs its counted and excluded rows, or a RowSplit of them")
        self.table, self.unit, self.n_input, self.basis = table, unit, n_input, basis
        self._readings = readings
        self._counted, self._excluded, self.split = counted, excluded, split
        self.check()

    def __repr__(self) -> str:
        return f"Aggregation({len(self.table)} totals in {self.label!r} from {self.n_input} input rows)"

    def _frames(self) -> None:
        if self._counted is None:
            self._counted, self._excluded = self.split.frames()

    @property
    def readings(self) -> pd.DataFrame | None:
        """For ranged totals, every reading and how far it moves each total."""
        if callable(self._readings):  # a long table only a reader of every move pays for
            self._readings = self._readings()
        return self._readings

    @property
    def counted(self) -> pd.DataFrame:
        """The rows summed."""
        self._frames()
        return self._counted

    @property
    def excluded(self) -> pd.DataFrame:
        """The rows left out, each with its ``reason``."""
        self._frames()
        return self._excluded

    @property
    def label(self) -> str:
        """The unit with its basis in words of the table (``USD (official rates via USD, gold basis)``)."""
        return self.basis.label if self.basis is not None else self.unit

    def check(self) -> None:
        """Raise if counted + excluded rows are not exactly the input rows."""
        if self._counted is None:  # one reason (or none) per input row: each row is on one side
            rows = self.split.rows
            ids = rows.index if rows.index.is_unique else pd.Index(rows["id"].to_numpy(dtype=object))
            if not ids.is_unique:  # the same row given twice: it would be summed twice
                shared = sorted(map(str, ids[ids.duplicated()].unique()))[:5]
                raise DuplicateIdError(
                    f"rows {', '.join(shared)} are given more than once (the same index label and id), so "
                    "they would be summed twice; drop the repeats (frame.drop_duplicates('id'))")
        else:
            rows = self._counted.index.append(self._excluded.index)
            if rows.is_unique:  # the split of one frame: its row labels say no row is in both
                ids = rows
            else:  # the caller's index repeats labels: the evidence ids must be unique instead
                ids = pd.Index(np.concatenate([self._counted["id"].to_numpy(dtype=object),
                                               self._excluded["id"].to_numpy(dtype=object)]))
        if not ids.is_unique:
            raise AssertionError(f"rows both counted and excluded: {sorted(set(ids[ids.duplicated()]))}")
        if self.n_input is not None and len(ids) != self.n_input:
            raise AssertionError(f"{self.n_input} input rows but {len(ids)} counted or excluded")

    @property
    def reasons(self) -> pd.Series:
        """How many rows each exclusion reason left out."""
        if self._counted is None:
            return self.split.reasons()
        return self.excluded["reason"].value_counts()


def _split(frame: pd.DataFrame, reason: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    # positions found once, then one take per side (a boolean mask is turned into them twice)
    keep = pd.isna(reason)
    left = np.flatnonzero(~keep)
    return frame.take(np.flatnonzero(keep)), frame.take(left).assign(reason=reason[left])


def _as_mask(mask) -> np.ndarray:
    if isinstance(mask, pd.Series):  # a missing comparison (pd.NA) does not match
        return mask.to_numpy(dtype=bool, na_value=False)
    return np.asarray(mask, dtype=bool)


def _first_reason(n: int, rules, given: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Apply (mask, reason) rules in order; each of ``n`` rows gets the first reason that matches.

    A reason is a string; a ``(template, column)`` pair, filled with the row's value of the
    column (once per distinct value, so cheap on long tables); or a function of the boolean
    mask of the rows it applies to, returning their reasons. ``given`` is what an earlier call
    returned: its reasons stand. Returns the reasons (``None`` where no rule matched) and the
    mask of the rows without one, kept beside them (testing a million Python objects for
    ``None`` costs more than every rule).
    """
    if given is None:
        reason, open_rows = np.full(n, None, dtype=object), np.ones(n, dtype=bool)
    else:
        reason, open_rows = given[0].copy(), given[1].copy()
    for mask, text in rules:
        hit = _as_mask(mask) & open_rows
        if not hit.any():
            continue
        if isinstance(text, tuple):
            template, column = text
            text = map_distinct(template.format, column[hit] if isinstance(column, pd.Categorical)
                                else np.asarray(column, dtype=object)[hit])
        elif callable(text):
            text = text(hit)
        reason[hit] = text
        open_rows &= ~hit
    return reason, open_rows


class _RowIds:
    """Find the rows that ``same_as`` and ``part_of`` point at; the ids are indexed on first use."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._index = None

    def positions(self, column: str) -> np.ndarray:
        """Return, per row, the position of the row its ``column`` names (-1 for none or not found)."""
        if self._index is None:
            index = pd.Index(self.frame["id"].to_numpy(dtype=object))
            if not index.is_unique:
                shared = sorted(map(str, index[index.duplicated()].unique()))[:5]
                raise DuplicateIdError(
                    f"ids {', '.join(shared)} each name more than one input row, so rows that point at "
                    "them (same_as, part_of) are ambiguous; give every row its own id"
                )
            self._index = index
        refs = self.frame[column]
        named = refs.notna().to_numpy()
        found = np.full(len(refs), -1, dtype=np.int64)
        found[named] = self._index.get_indexer(refs.to_numpy(dtype=object)[named])
        return found


def _repeat_reason(frame: pd.DataFrame, ids: _RowIds | None = None):
    """Give a ``same_as`` row its reason: a repeat of row X, or a restatement in another unit."""
    ids = _RowIds(frame) if ids is None else ids

    def reason(hit):
        target = frame["same_as"].to_numpy(dtype=object)[hit]
        at = ids.positions("same_as")[hit]
        units = frame["unit"].to_numpy(dtype=object)
        same = np.zeros(len(target), dtype=bool)
        found = at >= 0
        same[found] = pd.Series(units[at[found]], dtype="string").eq(
            pd.Series(units[hit][found], dtype="string")).to_numpy(dtype=bool, na_value=False)
        kind = np.where(same, 0, np.where(found, 1, 2))
        before = np.array(["repeats row ", "restates row ", "repeats row "], dtype=object)
        after = np.array(["", " in another unit", " (not in this input)"], dtype=object)
        return before[kind] + target + after[kind]
    return reason


def aggregate_loans(loans: pd.DataFrame, to: str | Basis = "USD", receiver: str = "Albania",
                    military: pd.DataFrame | None = None, *, data: DataLike = None,
                    rates: RateTable | None = None, **options: object) -> Aggregation:
    """Sum loans and grants by plan, lender and measure (requested or committed).

    Parameters
    ----------
    loans : DataFrame
        ``data/loans.csv`` as :func:`aidcalc.load_table` returns it.
    to : str or Basis
        Target currency, or the whole basis (:class:`~aidcalc.money.basis.Basis`: currency,
        price year, rates, redenomination); options (``rate_type``, ``basis``, ``via``,
        ``price_year``) are passed to :func:`aidcalc.convert` with a currency code.
    receiver : str
        Only aid to this receiver is summed; the rest is excluded as comparison figures.
    military : DataFrame, optional
        ``data/arms_shipments.csv``: its money rows (values of arms) are added as military aid,
        with ``lender`` suffixed " (military)"; its tonnage and item counts are excluded.
    data : DataContext or path, optional
        The data to read (plans, and rates unless ``rates`` is given); defaults to the packaged tables.
    rates : RateTable, optional
        Rates to convert at instead of those of ``data`` (e.g. with the source-implied rates added).
    **options
        ``rate_type``, ``basis``, ``via``, ``price_year`` of :func:`aidcalc.convert`.

    Returns
    -------
    Aggregation
        ``table`` has one row per plan and lender with ``requested``, ``committed`` (in
        ``to``; missing where no row states one), their row counts (``requested_rows``,
        ``committed_rows``; 0 where none), and ``granted_share`` = committed / requested
        where both exist.

    Examples
    --------
    >>> from aidcalc import load_table
    >>> agg = aggregate_loans(load_table("loans"), to="RUB")
    >>> first = agg.table.set_index(["plan", "lender"]).loc[(1, "Soviet bloc")]
    >>> round(float(first["committed"]))  # 254 million old rubles / 4.444 (gold basis)
    57155716

    """
    require_columns(loans, LOAN_COLUMNS, "aggregate_loans", "loans")
    require_table(loans, "loans", "aggregate_loans")
    if military is not None:
        require_columns(military, LOAN_COLUMNS, "aggregate_loans (military=)", "arms_shipments")
        require_table(military, "arms_shipments", "aggregate_loans (military=)")
    frame = loans if military is None else pd.concat([loans, military], ignore_index=True)
    days = parse_dates(frame["date"])  # parsed once, used twice
    rows = convert_rows(frame, to=to, days=days, data=data, rates=rates, **options)
    rows = assign_plans(rows, days=days, data=data)
    lender = lender_group(rows["giver"])
    if military is not None:
        is_arms = rows["id"].isin(military["id"]).to_numpy()
        named = lender.astype(object)
        lender = named.where(~is_arms, named + " (military)").astype("category")
    rows["lender"] = lender
    measures = ["", "committed", "requested"]
    event = pd.Categorical(rows["event"])  # numbered once, read by two rules
    measure = map_distinct(lambda e: 1 if e in COMMIT_EVENTS else 2 if e in REQUEST_EVENTS else 0,
                           event).astype(np.int8)
    rows["measure"] = pd.Categorical.from_codes(measure, categories=measures)
    n, ids = len(rows), _RowIds(rows)
    reason, open_rows = _first_reason(n, [
        (rows["receiver"] != receiver, f"receiver is not {receiver} (a comparison figure)"),
        (rows["problem"] == "not money", ("not a money amount (unit {})", rows["unit"])),
        (rows["amount"].isna(), NO_AMOUNT),
        (present(rows["same_as"]), _repeat_reason(rows, ids)),
        (measure == 0, ("event '{}' is neither a request nor a commitment", event)),
    ])
    undated = (np.isnat(rows["converted_at"].to_numpy()),
               "no date or period: a cumulative statement, see the audit")
    later = [(rows["problem"] != "", ("not convertible: {}", rows["problem"])),
             (rows["plan_assigned"].isna(), "no plan could be assigned")]
    # A component is left out only when the total it belongs to is counted (or is itself
    # inside a counted total); a total that cannot be counted leaves its components counted.
    has_parent = present(rows["part_of"])
    parent_counted = np.zeros(n, dtype=bool)
    if has_parent.any():
        countable = open_rows & ~_as_mask(undated[0])
        for mask, _ in later:
            countable &= ~_as_mask(mask)
        parent = ids.positions("part_of")[has_parent]
        parent_counted[has_parent] = (parent >= 0) & countable[np.maximum(parent, 0)]
    inside = (parent_counted, ("included in the total of row {}", rows["part_of"]))
    reason, counted = _first_reason(n, [undated, inside, *later], (reason, open_rows))
    split = RowSplit(rows, reason, counted)
    # the sums read four columns of the counted rows; the whole frames are made only if asked for
    summed = rows[["plan_assigned", "lender", "measure", "value"]].take(split.kept)
    table = (summed.groupby(["plan_assigned", "lender", "measure"], observed=True)["value"]
             .agg(["sum", "count"]).unstack("measure"))
    table.columns = [f"{m}" if s == "sum" else f"{m}_rows" for s, m in table.columns]
    for measure in ("requested", "committed"):
        if measure not in table:
            table[measure] = np.nan  # no row of this measure: the sum is missing, not zero
        # but the number of rows behind it is known: zero
        table[f"{measure}_rows"] = table.get(f"{measure}_rows", pd.Series(0, index=table.index)).fillna(0)
        table[f"{measure}_rows"] = table[f"{measure}_rows"].astype(np.int64)
    table["granted_share"] = table["committed"] / table["requested"]
    table = table[["requested", "committed", "requested_rows", "committed_rows", "granted_share"]]
    table = table.reset_index().rename(columns={"plan_assigned": "plan"})
    table["lender"] = table["lender"].astype(frame["giver"].dtype)  # plain labels, whatever the row order
    basis = rows.attrs["basis"]
    return Aggregation(table, unit=basis.unit, n_input=len(frame), basis=basis, split=split)


def aggregate_projects(projects: pd.DataFrame, receiver: str = "Albania", *,
                       data: DataLike = None) -> Aggregation:
    """Count industrial projects by plan and event, with the cumulative count of new ones.

    ``table`` has one row per plan with one column per event (``requested``, ``promised``,
    ``agreed``, ``completed``, ...), ``committed`` (the new projects the giver committed to in
    that plan: the sum of the commitment events, see :data:`COMMIT_EVENTS`, other than a
    stated total), ``committed_cumulative`` (their running sum over the plans) and, beside it,
    ``stated_total`` where the source states a cumulative count of its own.

    Examples
    --------
    >>> from aidcalc import load_table
    >>> table = aggregate_projects(load_table("projects")).table.set_index("plan")
    >>> table.loc[4, ["committed", "committed_cumulative", "stated_total"]].tolist()  # 29 + 18
    [18.0, 47.0, 45.0]

    """
    require_columns(projects, PROJECT_COLUMNS, "aggregate_projects", "projects")
    require_table(projects, "projects", "aggregate_projects")
    rows = assign_plans(projects, data=data)
    reason, _ = _first_reason(len(rows), [
        (rows["receiver"] != receiver, f"receiver is not {receiver} (a comparison figure)"),
        (rows["unit"] != "count", "not a count of projects"),
        (rows["amount"].isna(), NO_AMOUNT),
        (rows["same_as"].notna(), _repeat_reason(rows)),
        (rows["plan_assigned"].isna(), "no plan could be assigned"),
    ])
    counted, excluded = _split(rows, reason)
    table = counted.pivot_table(index="plan_assigned", columns="event", values="amount",
                                aggfunc="sum").sort_index()
    new = [e for e in COMMIT_EVENTS if e != "stated_total" and e in table]
    # a plan with no commitment on record has no committed figure (missing, not zero) ...
    table["committed"] = table[new].sum(axis=1, min_count=1) if new else np.nan
    # ... and adds nothing to the running count
    table["committed_cumulative"] = table["committed"].fillna(0).cumsum()
    table = table.reset_index().rename(columns={"plan_assigned": "plan"})
    table.columns.name = None
    return Aggregation(table, counted, excluded, unit="projects", n_input=len(projects))


def aggregate_tonnage(arms: pd.DataFrame, receiver: str = "Albania", by: str = "year", *,
                      data: DataLike = None) -> Aggregation:
    """Sum arms tonnage by year (or plan) and event, with running sums beside the source's totals.

    Parameters
    ----------
    arms : DataFrame
        ``data/arms_shipments.csv`` as :func:`aidcalc.load_table` returns it.
    receiver : str
        Only shipments to this receiver are summed.
    by : {"year", "plan"}
        The period of each row of the table: the calendar year of the row's date (else of its
        period's first year), or the five-year plan :func:`aidcalc.evidence.plans.assign_plans` gives it.
    data : DataContext or path, optional
        The data to read (the plans); defaults to the packaged tables.

    Returns
    -------
    Aggregation
        ``table`` has one row per year (or plan) with one column per event in tonnes
        (``requested``, ``promised``, ``agreed``, ``expected``, ``delivered``), the running sums
        ``<event>_cumulative`` of the requested, promised, agreed and delivered loads, and
        ``stated_total``: the source's own cumulative statement (the latest in the period),
        which is shown beside the sums, never added to them. ``counted`` rows carry ``day``
        (their date, else their period's first year), ``year`` and ``plan_assigned``.

    Raises
    ------
    UnknownParameterError
        If ``by`` is neither ``"year"`` nor ``"plan"``.

    Examples
    --------
    >>> from aidcalc import load_table
    >>> table = aggregate_tonnage(load_table("arms_shipments"), by="plan").table.set_index("plan")
    >>> table.loc[4, ["delivered", "delivered_cumulative"]].tolist()  # 19,000 + 80,000 + 1,400 t
    [100400.0, 100400.0]

    """
    if by not in TONNAGE_PERIODS:
        raise UnknownParameterError(f"by={by!r} is not accepted; use one of {TONNAGE_PERIODS}")
    require_columns(arms, PROJECT_COLUMNS, "aggregate_tonnage", "arms_shipments")
    require_table(arms, "arms_shipments", "aggregate_tonnage")
    rows = assign_plans(arms, data=data)
    rows["day"] = effective_days(rows)
    rows["year"] = pd.array(calendar_years(rows["day"].to_numpy()), dtype="Int64")
    key = "year" if by == "year" else "plan_assigned"
    reason, _ = _first_reason(len(rows), [
        (rows["receiver"] != receiver, f"receiver is not {receiver}"),
        (rows["unit"] != "t", ("not a tonnage (unit {})", rows["unit"])),
        (rows["amount"].isna(), NO_AMOUNT),
        (rows["same_as"].notna(), _repeat_reason(rows)),
        (rows["year"].isna(), "no date or period to place it in a year"),
        (rows["plan_assigned"].isna() if by == "plan" else False, "no plan could be assigned"),
    ])
    counted, excluded = _split(rows, reason)
    stated = counted["event"] == "stated_total"
    table = counted[~stated].pivot_table(index=key, columns="event", values="amount", aggfunc="sum")
    # a cumulative statement is not a load: the latest one in the period stands, unsummed
    latest = counted[stated].sort_values("day").groupby(key)["amount"].last().rename("stated_total")
    table = table.join(latest, how="outer").sort_index()
    for event in ("requested", "promised", "agreed", "delivered"):
        if event in table:  # a period with no such load adds nothing to the running sum
            table[f"{event}_cumulative"] = table[event].fillna(0).cumsum()
    table.index.name = by
    table.columns.name = None
    return Aggregation(table.reset_index(), counted, excluded, unit="t", n_input=len(arms))


def aggregate_items(arms: pd.DataFrame, receiver: str = "Albania") -> Aggregation:
    """Count arms items (tanks, aircraft, ships, ...) by item and event.

    ``table`` has one row per item with one column per event (``requested``, ``promised``,
    ``agreed``, ...).
    """
    require_columns(arms, ITEM_COLUMNS, "aggregate_items", "arms_shipments")
    require_table(arms, "arms_shipments", "aggregate_items")
    reason, _ = _first_reason(len(arms), [
        (arms["receiver"] != receiver, f"receiver is not {receiver}"),
        (arms["category"] != "arms_items", ("not an item count (category {})", arms["category"])),
        (arms["amount"].isna(), NO_AMOUNT),
        (arms["same_as"].notna(), _repeat_reason(arms)),
    ])
    counted, excluded = _split(arms, reason)
    table = counted.pivot_table(index="item", columns="event", values="amount", aggfunc="sum")
    table.columns.name = None
    return Aggregation(table.reset_index(), counted, excluded, unit="count", n_input=len(arms))
