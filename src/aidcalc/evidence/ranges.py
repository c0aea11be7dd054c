"""Totals with their range: low, central and high, and the readings that set each bound.

The central figure is the default reading (the best-supported vintage of every judged row,
official rates, the rate rows' own values). Three families of doubt widen it:

* **rate intervals**: a rate row with ``low``/``high`` (a source that gives a range, or a rate
  from memory or derived, with its stated tolerance), carried through by ``convert(bounds=True)``;
* **judged readings**: every row with an ``alternative`` (the other vintage, an inclusion in a
  total, another separator reading), flipped one at a time;
* **valuations of one event**: the same event restated by the source in other currencies (the
  1970 loan as 1.88 billion yuan, 445 million rubles and 534 million USD), each converted at
  official rates, and the event converted at the rates the source's own conversions imply;
  a ruble figure of the Sino-Albanian loan account of 1968-80 with no yuan of its own (the
  1975 loan) is also valued as account rubles in yuan (``rate_type`` ``account``, R049: the
  unit the source's restatements imply), at both ends of that rate's interval.

How they combine, and why: the judgements and valuations concern different documents and
agreements, so they are taken as independent of each other *across* events, and their moves are
added (the low bound sums every move down, the high bound every move up). The valuations of
*one* event are not independent of each other (they are one amount seen several ways), so each
event contributes only its lowest and its highest valuation, never a sum of them. Rate intervals
are added on top: the rows that carry them (rubles of the 1970s) are not among the judged ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aidcalc.distinct import factorize_rows
from aidcalc.errors import UnknownParameterError
from aidcalc.evidence.aggregation import Aggregation, RowSplit, aggregate_loans
from aidcalc.evidence.readings import apply_alternatives, judged_rows, parse_alternative, rates_for
from aidcalc.evidence.rows import MONEY_UNITS
from aidcalc.money.basis import Basis, as_basis
from aidcalc.money.conversion import convert
from aidcalc.tables.context import DataLike, open_data
from aidcalc.tables.reader import EVIDENCE_TABLES
from aidcalc.units import currency_code

KEY = ["plan", "lender"]
MEASURES = ("requested", "committed")
#: A move smaller than this (in the target's units) is rounding, not a reading.
NEGLIGIBLE = 1e-6


class _Counted:
    """The counted rows of an aggregation, read a column at a time: the whole frame is never copied.

    ``code`` numbers each row's total (its plan, lender and measure) and ``keys`` names each
    number, so that sums over a million rows are one ``bincount`` per column.
    """

    def __init__(self, central: Aggregation):
        self.rows, self.kept = central.split.rows, central.split.kept
        self._read: dict = {}  # columns already read, by name and type: each is read once
        plan = self.rows["plan_assigned"].array.take(self.kept).to_numpy(dtype=np.int64)
        lender, lenders = self.codes("lender")
        measure, measures = self.codes("measure")
        first = int(plan.min()) if len(plan) else 0
        n_lender, n_measure = len(lenders), len(measures)
        # plans, lenders and measures are few: their mixed-radix number indexes a short table
        mixed = ((plan - first) * n_lender + lender) * n_measure + measure
        present = np.flatnonzero(np.bincount(mixed)) if len(mixed) else np.zeros(0, dtype=np.int64)
        lookup = np.zeros(int(present.max()) + 1 if len(present) else 0, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        self.code = lookup[mixed]
        self.keys = [(int(k // (n_lender * n_measure)) + first, str(lenders[k // n_measure % n_lender]),
                      str(measures[k % n_measure])) for k in present.tolist()]

    def __len__(self) -> int:
        return len(self.kept)

    def array(self, column: str, dtype=None) -> np.ndarray:
        """Return the counted rows' values of ``column`` as a numpy array (missing numbers as NaN).

        Read once per column and type; the array is shared, not to be written.
        """
        key = (column, dtype)
        if key not in self._read:
            self._read[key] = (self.rows[column].to_numpy(dtype=float, na_value=np.nan)[self.kept]
                               if dtype is float else self.rows[column].take(self.kept).to_numpy(dtype=dtype))
        return self._read[key]

    def codes(self, column: str) -> tuple[np.ndarray, pd.Index]:
        """Return the counted rows' codes of a categorical ``column``, and its categories."""
        values = self.rows[column].array
        return values.codes[self.kept].astype(np.int64), values.categories

    def days(self) -> np.ndarray:
        """Return the day each counted row was converted at (``datetime64[D]``), read once."""
        if "days" not in self._read:
            self._read["days"] = self.array("converted_at").astype("datetime64[D]")
        return self._read["days"]

    def ids(self, at: np.ndarray | None = None) -> np.ndarray:
        """Return the ids of the counted rows (at positions ``at``), as Python strings."""
        if at is None:
            return self.array("id", object)
        return self.rows["id"].take(self.kept[at]).to_numpy(dtype=object)

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Sum ``values`` per total (missing values add nothing, as in a groupby)."""
        return np.bincount(self.code, weights=np.nan_to_num(values), minlength=len(self.keys))


class _Moves:
    """Every reading's move of a total, as numbers; the reading's name is made only when read.

    Each part is added with the totals it moves (numbers into ``keys``: plan, lender and
    measure), the moves, and its names: an array, or a function of positions in the part.
    """

    def __init__(self, keys: list[tuple]):
        self.keys = list(keys)
        self._number = {key: i for i, key in enumerate(self.keys)}
        self._parts: list[tuple] = []  # per part: totals, moves, positions in the part
        self._namers: list = []
        self._flat = None  # the parts joined, once all are added

    def number(self, key: tuple) -> int:
        """Return the number of the total ``key`` (plan, lender, measure), adding it if new."""
        if key not in self._number:
            self._number[key] = len(self.keys)
            self.keys.append(key)
        return self._number[key]

    def add(self, code: np.ndarray, move: np.ndarray, names) -> None:
        """Add moves of the totals ``code``; ``names`` names them (an array, or a function of positions)."""
        move = np.asarray(move, dtype=float)
        kept = np.flatnonzero(~np.isnan(move) & (np.abs(move) > NEGLIGIBLE))
        self._parts.append((np.asarray(code, dtype=np.int64)[kept], move[kept], kept))
        self._namers.append(names if callable(names) else np.asarray(names, dtype=object).__getitem__)
        self._flat = None

    def _joined(self) -> tuple:
        if self._flat is None:
            self._flat = (np.concatenate([c for c, _, _ in self._parts]),
                          np.concatenate([m for _, m, _ in self._parts]),
                          np.concatenate([np.full(len(k), p, dtype=np.int64)
                                          for p, (_, _, k) in enumerate(self._parts)]),
                          np.concatenate([k for _, _, k in self._parts]))
        return self._flat

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Return every move's total (number) and size, in the order the parts were added."""
        code, move, _, _ = self._joined()
        return code, move

    def names(self, at: np.ndarray) -> np.ndarray:
        """Return the names of the moves at positions ``at`` (of :meth:`arrays`)."""
        _, _, part, local = self._joined()
        part, local = part[at], local[at]
        out = np.empty(len(at), dtype=object)
        for p in np.unique(part):
            mine = part == p
            out[mine] = self._namers[p](local[mine])
        return out

    def table(self) -> pd.DataFrame:
        """Return the long table of every move: plan, lender, measure, move and reading."""
        code, move = self.arrays()
        keys = pd.DataFrame(self.keys, columns=[*KEY, "measure"])
        out = keys.iloc[code].reset_index(drop=True).astype({"plan": "Int64"})
        return out.assign(move=move, reading=self.names(np.arange(len(code))))


def _valuations(rows: _Counted, loans: pd.DataFrame, basis: Basis, rates, implied: np.ndarray):
    """Per counted row, its lowest and highest valuation minus its central value, and what gives each.

    ``implied`` holds each counted row's value under the other rate basis. A restatement is
    valued on the same ``basis`` as the row it restates (deflated too, in constant dollars), so
    each bound moves with the price basis as its central value does. Returns the move down and
    the move up per row (0 where none), the valuation behind each per row (its number, -1 where
    none), and a function naming valuations by their numbers (names are made only when read).
    """
    value = rows.array("value", float)
    # a judged row's own alternative already spans the doubt about it: its valuations are not
    # added on top, so one event never moves a bound twice
    named = set(judged_rows(loans))
    judged = np.isin(rows.ids(), list(named)) if named else np.zeros(len(rows), dtype=bool)
    parts = [_restatements(rows, loans, basis, rates, judged, value)]
    # the other basis moves a row only where it gives another value (np.isclose's test, without
    # its checks for infinities: both are finite where both are numbers)
    other = np.flatnonzero((np.abs(implied - value) > 1e-8 + 1e-5 * np.abs(value)) & ~judged)
    parts.append((other, implied[other] - value[other],
                  lambda i, at=other: rows.ids(at[i]) + " at the source-implied rate"))
    for at, got, names in _account_valuations(rows, loans, basis, rates, judged):
        # measured from the end of the row's own rate interval on the same side, so that the
        # bound this valuation sets is the valuation itself, not it plus the interval's move
        low_end, high_end = rows.array("value_low", float)[at], rows.array("value_high", float)[at]
        end = np.where(got < value[at], low_end, high_end)
        parts.append((at, got - np.where(np.isnan(end), value[at], end), names))
    n = len(rows)
    low, high = np.zeros(n), np.zeros(n)
    chosen_low, chosen_high = np.full(n, -1), np.full(n, -1)
    which, local = [], []
    for k, (pos, move, _) in enumerate(parts):
        start = sum(len(w) for w in which)
        which.append(np.full(len(pos), k))
        local.append(np.arange(len(pos)))
        for target, chosen, down in ((low, chosen_low, True), (high, chosen_high, False)):
            at = np.flatnonzero(move < 0 if down else move > 0)
            if k == 0 and len(at):  # a row restated more than once: its farthest move only
                # on a tie the later valuation names a low bound, the earlier one a high bound
                at = at[::-1] if down else at
                at = at[np.argsort(move[at] if down else -move[at], kind="stable")]
                at = at[np.unique(pos[at], return_index=True)[1]]
            # the same rule across parts: a later part takes a tied low bound, not a tied high one
            better = move[at] <= target[pos[at]] if down else move[at] > target[pos[at]]
            at = at[better]
            target[pos[at]], chosen[pos[at]] = move[at], start + at
    which, local = np.concatenate(which), np.concatenate(local)

    def names(choice: np.ndarray) -> np.ndarray:
        out = np.empty(len(choice), dtype=object)
        for k in np.unique(which[choice]):
            mine = which[choice] == k
            out[mine] = parts[k][2](local[choice[mine]])
        return out
    return low, high, chosen_low, chosen_high, names


def _restatements(rows: _Counted, loans: pd.DataFrame, basis: Basis, rates, judged, value):
    """Return the rows restated in another currency by the source: positions, moves and names."""
    restated = loans.loc[loans["same_as"].notna(), ["id", "same_as", "unit", "vintage", "amount"]]
    if not len(restated):  # nothing restated: no row's id is read
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=object).__getitem__
    # a restatement is named by the figure as the source writes it, else by its amount and unit
    restated["figure_text"] = (loans.loc[restated.index, "figure_text"] if "figure_text" in loans
                               else restated["amount"].astype(str) + " " + restated["unit"].astype(str))
    main = pd.DataFrame({"same_as": rows.ids(), "pos": np.arange(len(rows)),
                         "main_unit": rows.array("unit", object)})
    restated = restated.astype({"same_as": object, "unit": object}).merge(main[~judged], on="same_as")
    # a repeat in the same unit is the same valuation
    restated = restated[(restated["unit"] != restated["main_unit"]) & restated["unit"].isin(MONEY_UNITS)]
    at = restated["pos"].to_numpy()
    codes = currency_code(restated["unit"].to_numpy(dtype=object), restated["vintage"].to_numpy(dtype=object))
    got = convert(restated["amount"].to_numpy(dtype=float), codes, rows.days()[at], to=basis,
                  errors="coerce", data=rates)
    why = (restated["same_as"] + " as " + restated["figure_text"].astype(str) + " ("
           + restated["id"] + ")").to_numpy(dtype=object)
    return at, np.asarray(got.value) - value[at], why.__getitem__


#: The ends of an account rate row's interval, and the words a bound names them by.
_ACCOUNT_ENDS = (("value", "central"), ("low", "low end"), ("high", "high end"))


def _account_valuations(rows: _Counted, loans: pd.DataFrame, basis: Basis, rates, judged):
    """Yield, for ruble rows of a bilateral account, their value through the account's yuan.

    The "rubles" of the Sino-Albanian loan accounts of 1968-80 are a unit of account whose
    yuan value the sources' own restatements imply (``rate_type`` ``account`` in
    ``data/rates.csv``, CNY per RUB, with an interval). A counted ruble row dated inside such
    a rate row, and with no yuan restatement of its own (where the source gives the yuan, that
    is the valuation), is valued as that many account rubles in yuan at the rate's central
    value and at both ends of its interval, then in ``basis`` at the official yuan rate.
    Yields ``(positions, values, names)`` per end of the interval, ``names`` a function of
    positions among them; nothing where no row qualifies.
    """
    if not rates.has_pair("CNY", "RUB", ("account",)):
        return
    currency, names = rows.codes("currency")
    days = rows.days()
    rubles = np.asarray(names == "RUB")[currency] & ~judged  # a few categories: one gather
    some = np.flatnonzero(rubles)  # only the days an account rate covers: outside them, no such valuation
    rubles[some] = ~np.isnan(rates.lookup("CNY", "RUB", ("account",), days[some])[0])
    in_yuan = set(loans.loc[loans["same_as"].notna() & (loans["unit"] == "CNY"), "same_as"])
    if in_yuan and rubles.any():  # few rows: their ids only
        some = np.flatnonzero(rubles)
        rubles[some] = ~np.isin(rows.ids(some), list(in_yuan))
    at = np.flatnonzero(rubles)
    if not len(at):
        return
    days = days[at]
    amounts = rows.array("amount", float)[at]
    yuan = convert(amounts, "RUB", days, to="CNY", rate_type="account", via="direct", bounds=True,
                   errors="coerce", data=rates)
    row_ids = np.asarray(yuan.rate_id_strings(), dtype=object)
    # value = amount x factor: the yuan of every end are valued by one factor per row
    per_yuan = np.asarray(convert(np.ones(len(at)), "CNY", days, to=basis, errors="coerce",
                                  data=rates).value, dtype=float)
    for attr, end in _ACCOUNT_ENDS:
        amount = np.asarray(getattr(yuan, attr), dtype=float)
        got = amount * per_yuan
        keep = np.flatnonzero(~np.isnan(got))

        def name(i, keep=keep, amount=amount, end=end):
            kept = keep[i]
            return _account_names(rows.ids(at[kept]), row_ids[kept], end, amount[kept] / amounts[kept])
        yield at[keep], got[keep], name


def _account_names(ids: np.ndarray, row_ids: np.ndarray, end: str, ratio: np.ndarray) -> np.ndarray:
    """Name each valuation: "L0070 as account rubles, R049 low end (2.3333 yuan per ruble)"."""
    # a few distinct (rate row, ratio) pairs over many rows: each text is written once
    pairs, first = factorize_rows(row_ids, ratio)
    tails = np.array([f" as account rubles, {r} {end} ({q:.4f} yuan per ruble)"
                      for r, q in zip(row_ids[first], ratio[first], strict=True)], dtype=object)
    return ids.astype(object) + tails[pairs]


#: The rows a tooltip names before it says how many more there are.
SHOWN_ROWS = 12


def _first_per_group(code: np.ndarray, shown: int, order: np.ndarray | None = None):
    """Return, per group of ``code`` (taken in ``order``), the positions of its first ``shown`` members.

    Returns the positions (grouped, in ``order`` within a group) and the size of every group.
    """
    if order is None:  # few totals: a radix sort of small numbers
        order = np.argsort(code.astype(np.int16) if len(code) and code.max() < 2**15 else code, kind="stable")
    grouped = code[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]]) if len(grouped) else grouped
    sizes = np.diff(np.r_[starts, len(grouped)])
    rank = np.arange(len(grouped)) - np.repeat(starts, sizes)
    return order[rank < shown], dict(zip(grouped[starts].tolist(), sizes.tolist(), strict=True))


def _evidence(rows: _Counted) -> dict:
    """Per total (number), the rows behind it with their lines ("L0021 (line 2727)")."""
    # a total of a million rows names its first few, then a count: the first rows are found in
    # the shortest head of the table that holds enough rows of every total
    sizes = np.bincount(rows.code, minlength=len(rows.keys))
    head = min(len(rows), 1024)
    while head < len(rows) and (np.bincount(rows.code[:head], minlength=len(sizes))
                                < np.minimum(sizes, SHOWN_ROWS)).any():
        head *= 4
    first, _ = _first_per_group(rows.code[:head], SHOWN_ROWS)
    sizes = dict(enumerate(sizes.tolist()))
    ids = rows.ids(first)
    if "line" in rows.rows:
        lines = rows.rows["line"].take(rows.kept[first]).astype(str).to_numpy(dtype=object)
        ids = ids + " (line " + lines + ")"
    refs = {}
    for code, ref in zip(rows.code[first].tolist(), ids.tolist(), strict=True):
        refs.setdefault(code, []).append(ref)
    return {code: "; ".join(named) + (f"; and {sizes[code] - SHOWN_ROWS} more rows"
                                      if sizes[code] > SHOWN_ROWS else "") for code, named in refs.items()}


def _interval_rows(rows: _Counted, table) -> dict:
    """Per plan and lender, the ids of interval rate rows its counted rows used."""
    rates = table.rates
    wide = set(rates.loc[rates["low"].notna() | rates["high"].notna(), "id"])
    # a few distinct rate-row strings over many rows: read each once
    codes, strings = rows.codes("rate_rows")
    used = [sorted(r for r in str(text).split() if r in wide) for text in strings]
    hit = np.array([bool(u) for u in used], dtype=bool)[codes]  # one gather from a few categories
    # the (total, rate-row string) pairs that occur: few, counted rather than sorted
    pairs = np.flatnonzero(np.bincount(rows.code[hit] * len(strings) + codes[hit]))
    out = {}
    for pair in pairs.tolist():
        plan, lender, _ = rows.keys[pair // len(strings)]
        out.setdefault((plan, lender), set()).update(used[pair % len(strings)])
    return out


def aggregate_loans_with_range(loans: pd.DataFrame | None = None, to: str | Basis = "USD", *,
                               military: pd.DataFrame | None = None, data: DataLike = None,
                               price_year: int | None = None, rate_basis: str = "official",
                               basis: str = "gold") -> Aggregation:
    """Sum loans by plan and lender (as :func:`aidcalc.aggregate_loans`) with each total's range.

    Parameters
    ----------
    loans : DataFrame, optional
        ``data/loans.csv``; defaults to that of ``data``.
    to : str or Basis
        Target currency (``USD``, ``RUB`` or ``CNY``), or the whole basis
        (:meth:`Basis.for_report <aidcalc.money.basis.Basis.for_report>`), which then stands
        for ``price_year``, ``rate_basis`` and ``basis``.
    military : DataFrame, optional
        ``data/arms_shipments.csv``, to add the values of arms aid.
    data : DataContext or path, optional
        The data to read; defaults to the packaged tables.
    price_year : int, optional
        Constant US dollars of this year.
    rate_basis : {"official", "source_implied"}
        The rates of the central figure; the other basis is one of the valuations.
    basis : {"gold", "cash"}
        Redenomination basis.

    Returns
    -------
    Aggregation
        ``table`` as that of ``aggregate_loans``, plus, per measure m (``requested``,
        ``committed``): ``m_low`` and ``m_high``; ``m_low_by`` and ``m_high_by`` naming the
        readings that set each bound; ``m_evidence``, the rows behind it with their lines;
        ``committed_note`` where a total rests on an interval rate.
        ``readings`` is the long table of every move (made when first read). Every bound is
        on the basis of the central figure: in constant dollars the restatements are deflated
        as well. The totals of the data's own loans (neither ``loans`` nor ``military`` given)
        are worked out once per basis and version of the tables (an edit is seen by the next
        call); each call gets a table of its own.

    Examples
    --------
    >>> t = aggregate_loans_with_range().table.set_index(["plan", "lender"])
    >>> low, high = t.loc[(6, "China"), ["committed_low", "committed_high"]]
    >>> # 225 million account rubles (R049) x 70/30 and x 1,560/252.4 yuan, at 1.859 yuan per USD
    >>> round(low / 1e6, 1), round(high / 1e6, 1)
    (282.4, 748.1)

    """
    data = open_data(data)
    chosen = _chosen_basis(to, price_year, rate_basis, basis)
    if loans is None and military is None:
        # the data's own loans: summed once per basis and version of the tables they depend on (a
        # report worker's notebooks ask for the same totals again), handed out as new objects
        stamp = data.stamp(*EVIDENCE_TABLES, "claims", "rates", "redenominations", "cpi_u", "plans")
        table, split, moves, unit, n_input = data.cached(
            f"ranged_loans:{chosen!r}", stamp, lambda: _ranged(data.table("loans"), chosen, None, data))
        # what the cache keeps is never handed out itself: a caller's edit reaches no later call
        split = RowSplit(split.rows.copy(), split.reason.copy())
    else:
        table, split, moves, unit, n_input = _ranged(data.table("loans") if loans is None else loans,
                                                     chosen, military, data)
    return Aggregation(table.copy(), unit=unit, n_input=n_input, basis=chosen, readings=moves.table,
                       split=split)


def _ranged(loans: pd.DataFrame, chosen: Basis, military, data) -> tuple:
    """Return what :func:`aggregate_loans_with_range` gives: its table, rows, moves, unit and count."""
    rates = rates_for(chosen, data)

    def run(frame, military=military, **extra):
        return aggregate_loans(frame, to=chosen, military=military, data=data, rates=rates, **extra)

    central = run(loans, bounds=True)
    rows = _Counted(central)
    moves = _Moves(rows.keys)
    _reading_moves(central, rows, loans, run, moves)
    _event_valuations(rows, loans, chosen, rates, data, moves)
    table = _with_bounds(central.table.set_index(KEY), moves)
    table = _with_evidence(table, rows, rates)
    return table.reset_index(), central.split, moves, central.unit, central.n_input


def _chosen_basis(to, price_year, rate_basis: str, basis: str) -> Basis:
    """Return the basis of a ranged aggregation: ``to`` itself when a Basis, else built from the options."""
    if not isinstance(to, Basis):
        return as_basis(to, price_year=price_year, basis=basis).with_rate_basis(rate_basis)
    as_basis(to, basis=basis, price_year=price_year)  # refuses options beside a Basis
    if rate_basis != "official":
        raise UnknownParameterError(f"rate_basis={rate_basis!r} given beside to={to!r}, which holds it "
                                    "already; use Basis.with_rate_basis instead")
    return to


def _in_table_order(keys: list[tuple]) -> np.ndarray:
    """Order totals as a table lists them: by plan, lender, then measure as in :data:`MEASURES`."""
    return np.array(sorted(range(len(keys)), key=lambda k: (keys[k][0], keys[k][1],
                                                             MEASURES.index(keys[k][2]))), dtype=np.int64)


def _reading_moves(central: Aggregation, rows: _Counted, loans: pd.DataFrame, run, moves: _Moves) -> None:
    """Add the moves of the rate intervals (summed over counted rows) and of each judged reading."""
    value = rows.array("value", float)
    order = _in_table_order(rows.keys)
    for end in ("low", "high"):
        # per row, then summed: a row without an interval moves nothing, exactly
        moved = rows.sums(rows.array(f"value_{end}", float) - value)
        moves.add(order, moved[order], np.full(len(order), f"rate intervals ({end})", dtype=object))
    judged = judged_rows(loans)
    if not judged:
        return
    # one at a time, each bound naming the readings that set it; all in one aggregation (see _tied_rows)
    scenarios = _tied_rows(loans, judged)
    batch = pd.concat([_renamed(apply_alternatives(loans.iloc[at], [rid]), f"~{k}")
                       for k, (rid, at) in enumerate(zip(judged, scenarios, strict=True))], ignore_index=True)
    owner = np.repeat(np.arange(len(judged)), [len(at) for at in scenarios])
    flipped = _sums_by_total(run(batch, military=None).split, np.arange(len(batch)), owner)
    # the same rows under the central reading: positions in the loans are positions in the rows
    # aggregated (arms rows, if any, come after them)
    central_sums = _sums_by_total(central.split, np.concatenate(scenarios), owner)
    for k, (rid, at) in enumerate(zip(judged, scenarios, strict=True)):
        mine = central_sums.get(k, pd.Series(dtype=float))
        moved = flipped.get(k, pd.Series(dtype=float)).sub(mine, fill_value=0)
        moved = moved.sort_index(key=lambda level: level.map(MEASURES.index) if level.name == "measure"
                                 else level)
        alt = loans["alternative"].iloc[at[0]]
        codes = [moves.number(key) for key in moved.index]
        moves.add(codes, moved.to_numpy(dtype=float), np.full(len(codes), f"{rid} read {alt}", dtype=object))


def _tied_rows(loans: pd.DataFrame, judged: list[str]) -> list[np.ndarray]:
    """Per judged row, the positions of the row (first) and of the rows tied to it (``same_as``, ``part_of``).

    A row's place in the sums (counted, a repeat, inside a counted total) depends on itself and
    on the rows it names or that name it, under either reading of the judged row; other rows sum
    alike under both readings. So a judged reading moves a total by what these rows alone sum to
    under each reading, and every judged row's rows can be aggregated in one batch.
    """
    ids = loans["id"].astype(object)
    linked = loans[loans["same_as"].notna() | loans["part_of"].notna()]  # few rows name another
    pairs = [(a, b) for a, x, y in zip(linked["id"], linked["same_as"], linked["part_of"], strict=True)
             for b in (x, y) if isinstance(b, str)]
    out = []
    for rid in judged:
        at = int(np.flatnonzero(ids.to_numpy() == rid)[0])
        alternative = parse_alternative(loans["alternative"].iloc[at])
        edges: dict = {}
        for a, b in pairs + [(rid, alternative[c]) for c in ("same_as", "part_of") if alternative.get(c)]:
            edges.setdefault(a, set()).add(b)
            edges.setdefault(b, set()).add(a)
        seen, todo = {rid}, [rid]
        while todo:
            for other in edges.get(todo.pop(), ()):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        rest = np.flatnonzero(ids.isin(seen - {rid}).to_numpy())
        out.append(np.concatenate([[at], rest]).astype(np.int64))
    return out


def _renamed(frame: pd.DataFrame, suffix: str) -> pd.DataFrame:
    """Give the rows of ``frame`` ids of their own (``suffix`` added), and their references to each other."""
    own = set(frame["id"])
    out = frame.copy()
    for column in ("id", "same_as", "part_of"):
        out[column] = [f"{v}{suffix}" if isinstance(v, str) and v in own else v for v in frame[column]]
        out[column] = out[column].astype(frame[column].dtype)
    return out


def _sums_by_total(split, at: np.ndarray, scenario: np.ndarray) -> dict:
    """Per scenario, the counted values of its rows (positions ``at``) summed by plan, lender and measure.

    A row may belong to several scenarios (given once for each).
    """
    counted = np.zeros(len(split.rows), dtype=bool)
    counted[split.kept] = True
    kept, scenario = at[counted[at]], scenario[counted[at]]
    if not len(kept):
        return {}
    rows = split.rows
    frame = pd.DataFrame({"scenario": scenario,
                          "plan": rows["plan_assigned"].array.take(kept).to_numpy(dtype=np.int64),
                          "lender": np.asarray(rows["lender"].array.take(kept), dtype=object),
                          "measure": np.asarray(rows["measure"].array.take(kept), dtype=object),
                          "value": rows["value"].to_numpy(dtype=float)[kept]})
    sums = frame.groupby(["scenario", *KEY, "measure"])["value"].sum()
    return {k: part.droplevel("scenario") for k, part in sums.groupby(level="scenario")}


def _event_valuations(rows: _Counted, loans: pd.DataFrame, chosen: Basis, rates, data, moves: _Moves) -> None:
    """Add each event's lowest and highest valuation (restatements, the other rate basis) as moves."""
    flipped = chosen.other_rate_basis()
    # the counted rows are converted already: their currency and day are at hand, so the other
    # basis is one conversion of the same columns
    currency, names = rows.codes("currency")
    other = convert(rows.array("amount", float), pd.Categorical.from_codes(currency, categories=names),
                    rows.days(), to=flipped, data=rates_for(flipped, data), errors="coerce")
    implied = np.asarray(other.value, dtype=float)
    low, high, chosen_low, chosen_high, name = _valuations(rows, loans, chosen, rates, implied)
    for moves_of, choice in ((low, chosen_low), (high, chosen_high)):
        moved = np.flatnonzero(moves_of != 0)  # few rows have a second valuation
        moves.add(rows.code[moved], moves_of[moved], lambda i, c=choice[moved]: name(c[i]))


def _with_bounds(table: pd.DataFrame, moves: _Moves) -> pd.DataFrame:
    """Add each measure's low and high (the central value plus the moves down, or up) and their names.

    Moves of different readings and events are added: they are treated as independent.
    """
    code, move = moves.arrays()
    n = len(moves.keys)
    down = np.bincount(code, weights=np.minimum(move, 0), minlength=n)
    up = np.bincount(code, weights=np.maximum(move, 0), minlength=n)
    named = np.bincount(code, minlength=n) > 0
    keys = pd.DataFrame(moves.keys, columns=[*KEY, "measure"])
    table = table.reindex(table.index.union(pd.MultiIndex.from_frame(keys[named][KEY]).unique()))
    low_by, high_by = _names(code, move, move < 0, moves), _names(code, move, move > 0, moves)
    for m in MEASURES:
        mine = (keys["measure"] == m).to_numpy()
        where = pd.MultiIndex.from_frame(keys[mine][KEY])
        at = pd.Series(np.flatnonzero(mine), index=where).reindex(table.index)
        found = at.notna().to_numpy()
        at = at.fillna(0).to_numpy(dtype=np.int64)
        centre = table[m].fillna(0).to_numpy() if m in table else np.zeros(len(table))
        has = table[m].notna().to_numpy() | (found & named[at])
        table[f"{m}_low"] = np.where(has, centre + np.where(found, down[at], 0), np.nan)
        table[f"{m}_high"] = np.where(has, centre + np.where(found, up[at], 0), np.nan)
        for side, names in (("low", low_by), ("high", high_by)):
            table[f"{m}_{side}_by"] = [names.get(k, "") if f else ""
                                       for k, f in zip(at.tolist(), found, strict=True)]
    return table


def _with_evidence(table: pd.DataFrame, rows: _Counted, rates) -> pd.DataFrame:
    """Add the rows behind each total (for a reader to get from a chart to the source) and rate notes."""
    refs = _evidence(rows)
    for m in MEASURES:
        mine = {rows.keys[code][:2]: text for code, text in refs.items() if rows.keys[code][2] == m}
        table[f"{m}_evidence"] = [mine.get(key, "") for key in table.index]
    notes = _interval_rows(rows, rates)
    table["committed_note"] = [
        f"rests on interval rate rows {', '.join(sorted(notes[k]))}" if k in notes else ""
        for k in table.index]
    for col in ("requested_rows", "committed_rows"):
        table[col] = table[col].fillna(0).astype(np.int64)
    return table


def sensitivity(to: str = "USD", *, data: DataLike = None) -> pd.DataFrame:
    """Each plan's committed total, its range, and how far each reading moves it (one column each).

    A view of :func:`aggregate_loans_with_range`: the same readings, not a second implementation.

    Examples
    --------
    >>> s = sensitivity().set_index(["plan", "lender"])
    >>> move = s.loc[(3, "China"), "L0021 read vintage=new"]  # 500e6/0.90 - 500e6/4.444/0.90
    >>> round(float(move) / 1e6, 1)
    430.5

    """
    agg = aggregate_loans_with_range(to=to, data=data)
    moves = agg.readings[agg.readings["measure"] == "committed"]
    wide = moves.pivot_table(index=KEY, columns="reading", values="move", aggfunc="sum")
    table = agg.table.set_index(KEY)[["committed", "committed_low", "committed_high"]]
    return table.join(wide, how="left").reset_index()


def _names(code: np.ndarray, move: np.ndarray, side: np.ndarray, moves: _Moves, shown: int = 5) -> dict:
    """Per total (number), the readings that moved its bound (``side`` of ``move``), largest first."""
    at = np.flatnonzero(side)
    if not len(at):
        return {}
    size = np.abs(move[at])
    first, sizes = _first_per_group(code[at], len(at))  # grouped by total, in the readings' order
    text = {}
    for start, (c, count) in zip(np.cumsum([0, *sizes.values()])[:-1].tolist(), sizes.items(), strict=True):
        mine = first[start:start + count]
        if count > shown:  # the few largest (and every move tied with the last of them)
            mine = mine[size[mine] >= np.partition(size[mine], count - shown)[count - shown]]
        mine = mine[np.argsort(-size[mine], kind="stable")][:shown]
        pairs = zip(moves.names(at[mine]).tolist(), move[at[mine]].tolist(), strict=True)
        text[c] = "; ".join(f"{r} ({m / 1e6:+,.1f} million)" for r, m in pairs) + (
            f"; and {count - shown} more" if count > shown else "")
    return text


def with_judged_range(aggregate, frame: pd.DataFrame, key: str, **options) -> Aggregation:
    """Run an aggregation of counts or tonnes, and give each total the range of the judged readings.

    For tables whose figures need no conversion (tonnage, item counts), the only doubt is the
    reading of judged rows (a separator read as decimal or thousands, an event read as expected
    or delivered): each row's ``alternative`` is flipped on its own, and the moves are added as in
    :func:`aggregate_loans_with_range`.

    Parameters
    ----------
    aggregate : function
        :func:`aidcalc.aggregate_tonnage` or :func:`aidcalc.aggregate_items`.
    frame : DataFrame
        Its input, e.g. ``data/arms_shipments.csv``.
    key : str
        The column of the result's table that names its rows (``year``, ``plan`` or ``item``).
    **options
        Passed to ``aggregate``.

    Returns
    -------
    Aggregation
        Its ``table`` gains ``<column>_low``, ``<column>_high`` and ``<column>_range_by`` for
        every numeric column a reading moves.

    Examples
    --------
    >>> from aidcalc import aggregate_tonnage, load_table
    >>> arms = load_table("arms_shipments")
    >>> t = with_judged_range(aggregate_tonnage, arms, "year").table.set_index("year")
    >>> t.loc[1969, ["expected", "expected_high"]].tolist()  # 266.218 t read as 266,218 t (A0017)
    [266.218, 266218.0]

    """
    central = aggregate(frame, **options)
    table = central.table.set_index(key)
    numeric = [c for c in table if pd.api.types.is_numeric_dtype(table[c])]
    low, high = table[numeric].copy(), table[numeric].copy()
    by = {c: [""] * len(table) for c in numeric}
    for rid in judged_rows(frame):
        other = aggregate(apply_alternatives(frame, [rid]), **options).table.set_index(key)
        move = other.reindex(index=table.index, columns=numeric).fillna(0) - table[numeric].fillna(0)
        alt = frame.loc[frame["id"] == rid, "alternative"].iloc[0]
        for c in numeric:
            for i, m in enumerate(move[c].to_numpy()):
                if m:
                    by[c][i] += f"{'; ' if by[c][i] else ''}{rid} read {alt} ({m:+,.3f})"
        low += move.clip(upper=0)
        high += move.clip(lower=0)
    for c in numeric:
        if any(by[c]):
            table[f"{c}_low"], table[f"{c}_high"], table[f"{c}_range_by"] = low[c], high[c], by[c]
    return Aggregation(table.reset_index(), central.counted, central.excluded, unit=central.unit,
                       n_input=central.n_input)
