"""Check every derived statement of the sources: conversions, sums, shares, multiples, ratios.

Each row of ``data/claims.csv`` says what the source asserts (``stated``), how to recompute it
(``recompute``), how the two must compare (``relation``: eq, lt, le, gt, ge) and the tolerance
the source's own rounding allows. Both are small arithmetic expressions over evidence row ids
(which stand for their ``amount``) and numbers, with three functions:

* ``convert(ROW, 'TO', 'YYYY-MM-DD')``: the row's amount at the official rate of that date;
* ``rate('CUR', 'BASE', 'YYYY-MM-DD')``: the official rate, units of CUR per BASE;
* ``population('YYYY-MM-DD')``: Albania's census-interpolated population.

A claim with no ``recompute`` is *not checkable*; the note says why.
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aidcalc.errors import ClaimExpressionError, UnknownReferenceError
from aidcalc.money.dates import parse_dates
from aidcalc.tables.context import DataLike, open_data
from aidcalc.tables.rules import parse_claim_expression
from aidcalc.units import currency_code

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv}
_RELATIONS = {"eq": "equal", "lt": "below", "le": "at most", "gt": "above", "ge": "at least"}


def _evidence(data) -> pd.DataFrame:
    return data.evidence().set_index("id")


def load_claims(data: DataLike = None) -> pd.DataFrame:
    """Return ``data/claims.csv``, every expression checked against the evidence.

    Each ``stated`` and ``recompute`` must parse as a claim expression (checked when the table
    is read, :func:`aidcalc.tables.rules.parse_claim_expression`), name only rows of the evidence
    tables, and evaluate without dividing by zero or overflowing on the rows' amounts (the
    functions taken as 1 here; their own errors name their arguments).

    Raises
    ------
    UnknownReferenceError
        For a claim that names a row id not in the evidence tables.
    ClaimExpressionError
        For a claim whose expression divides by zero or does not give a finite number,
        naming the claim, its line and column in data/claims.csv and the expression.

    """
    from aidcalc.tables.reader import row_lines

    data = open_data(data)
    claims = data.table("claims")
    evidence = _evidence(data)
    known = set(evidence.index)
    amounts = evidence["amount"].to_dict()
    lines = row_lines(data.path, "claims")
    for claim, line in zip(claims.itertuples(), lines, strict=True):
        for column in ("stated", "recompute"):
            text = getattr(claim, column)
            if not isinstance(text, str):
                continue
            where = f"claim {claim.id} (data/claims.csv, line {line}, column {column!r})"
            try:
                names = _names(text)
                for name in names:
                    if name not in known:
                        raise UnknownReferenceError(
                            f"{where} refers to row {name!r}, which is in no evidence table; "
                            "use an id such as L0002 from data/*.csv"
                        )
                _walk(parse_claim_expression(text), text, lambda name: float(amounts[name]),
                      lambda node, walk: 1.0)
            except ClaimExpressionError as err:
                raise ClaimExpressionError(f"{where}: {err}") from None
    return claims


def _names(expression: str) -> list[str]:
    """Return the row ids an expression names (the first argument of convert() among them)."""
    tree = parse_claim_expression(expression)
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in calls]


def evaluate(expression: str, evidence: pd.DataFrame | None = None, *, data: DataLike = None) -> float:
    """Evaluate a claim expression: row ids, numbers, + - * /, convert(), rate(), population().

    Raises
    ------
    ClaimExpressionError
        For an expression that is not allowed (see :func:`aidcalc.tables.rules.parse_claim_expression`),
        divides by zero or gives no finite number; it names the expression.
    UnknownReferenceError
        For a row id in no evidence table.

    Examples
    --------
    >>> evaluate("L0003 + L0004 + L0005 + L0006 + L0007")  # 83 + 46 + 55 + 50 + 20 million
    254000000.0
    >>> round(evaluate("convert(L0032, 'USD', '1962-01')"))  # 30 million rubles / 0.90
    33333333

    """
    tree = parse_claim_expression(expression)
    data = open_data(data)
    evidence = _evidence(data) if evidence is None else evidence

    def amount(name):
        if name not in evidence.index:
            raise UnknownReferenceError(f"row {name!r} is in no evidence table of data/")
        return float(evidence.loc[name, "amount"])

    return _walk(tree, expression, amount, lambda node, walk: _call(node, evidence, walk, data))


def _walk(tree: ast.Expression, expression: str, amount, call) -> float:
    """Evaluate a parsed claim expression, row ids read by ``amount``, functions by ``call``."""

    def walk(node):
        if isinstance(node, ast.Constant):
            return node.value  # a number, or a string argument of a function (parsing saw to it)
        if isinstance(node, ast.Name):
            return amount(node.id)
        if isinstance(node, ast.UnaryOp):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Div) and right == 0:
                raise ClaimExpressionError(f"{expression}: {ast.unparse(node.right)} is zero, and a "
                                           "claim cannot divide by zero")
            return _OPS[type(node.op)](float(left), float(right))
        return call(node, walk)

    value = float(walk(tree.body))
    if not math.isfinite(value):
        raise ClaimExpressionError(f"{expression} gives {value}, not a finite number")
    return value


def _call(node, evidence, walk, data):
    from aidcalc.money.conversion import convert

    name = node.func.id
    if name == "convert":
        row = evidence.loc[node.args[0].id]
        to, on = (walk(a) for a in node.args[1:])
        return convert(float(row["amount"]), currency_code(row["unit"], row["vintage"]), on, to=to,
                       data=data).value
    if name == "rate":
        currency, base, on = (walk(a) for a in node.args)
        return convert(1.0, base, on, to=currency, data=data).value
    if name == "population":
        from aidcalc.evidence.population import interpolate_population
        from aidcalc.money.dates import decimal_years

        year = decimal_years(parse_dates([walk(node.args[0])]))
        return float(interpolate_population(year, data=data)[0])
    if name == "max":
        return max(walk(a) for a in node.args)
    raise ClaimExpressionError(f"function {name!r} is not allowed in a claim; use convert, rate, "
                               "population or max")


def _figure(value: float) -> str:
    """Write a value in full for a reader: thousands separators, never scientific notation.

    Examples
    --------
    >>> _figure(254e6), _figure(168.609e6), _figure(4.0), _figure(0.8333333)
    ('254,000,000', '168,609,000', '4', '0.833333')

    """
    if abs(value) >= 1000:
        whole = abs(value - round(value)) < 1e-9 * abs(value)  # float noise of a whole figure
        return f"{value:,.0f}" if whole else f"{value:,.2f}"
    return f"{value:.6f}".rstrip("0").rstrip(".") if value else "0"


def _verdict(stated: float, recomputed: float, relation: str, tolerance: float) -> tuple[str, str]:
    if relation == "eq":
        off = abs(stated / recomputed - 1) if recomputed else abs(stated)
        ok = off <= tolerance + 1e-12
        return ("consistent" if ok else "inconsistent",
                f"stated {_figure(stated)} vs recomputed {_figure(recomputed)}: off by {off:.2%} "
                f"(rounding allows {tolerance:.2%})")
    ok = {"lt": stated < recomputed, "le": stated <= recomputed * (1 + tolerance),
          "gt": stated > recomputed, "ge": stated >= recomputed * (1 - tolerance)}[relation]
    return ("consistent" if ok else "inconsistent",
            f"stated {_figure(stated)} should be {_RELATIONS[relation]} {_figure(recomputed)}")


@dataclass
class Audit:
    """The verdict on every claim, and the implied rates of the conversions."""

    table: pd.DataFrame

    @property
    def conversions(self) -> pd.DataFrame:
        """Conversion claims with the rate the source implies beside the official one."""
        return self.table[self.table["claim_type"] == "conversion"]

    def counts(self) -> pd.Series:
        """How many claims got each verdict."""
        return self.table["verdict"].value_counts()


def run_audit(data: DataLike = None) -> Audit:
    """Recompute every claim and classify it as consistent, inconsistent or not checkable.

    For a conversion, ``implied_rate`` is the source's own rate (units of the original
    currency per unit of the stated one), ``official_rate`` the official rate of the claim's
    date, and ``implied_over_official`` their ratio.

    Examples
    --------
    >>> audit = run_audit()
    >>> audit.table.set_index("id").loc["C001", "verdict"]  # 83+46+55+50+20 = 254
    'consistent'

    """
    data = open_data(data)
    claims = load_claims(data)
    evidence = _evidence(data)
    out = []
    for claim in claims.to_dict("records"):
        stated = evaluate(claim["stated"], evidence, data=data)
        rec = {**claim, "stated_value": stated, "recomputed_value": np.nan, "implied_rate": np.nan,
               "official_rate": np.nan, "implied_over_official": np.nan}
        if not isinstance(claim["recompute"], str):
            rec.update(verdict="not checkable", detail=claim["note"])
            out.append(rec)
            continue
        recomputed = evaluate(claim["recompute"], evidence, data=data)
        tolerance = 0.0 if pd.isna(claim["tolerance"]) else float(claim["tolerance"])
        verdict, detail = _verdict(stated, recomputed, claim["relation"], tolerance)
        rec.update(recomputed_value=recomputed, verdict=verdict, detail=detail)
        if claim["claim_type"] == "conversion":
            rec.update(_implied(claim, stated, recomputed, evidence))
        out.append(rec)
    return Audit(pd.DataFrame(out))


def _implied(claim, stated, recomputed, evidence) -> dict:
    """Return the source's rate beside the official one, for a conversion claim."""
    tree = ast.parse(claim["recompute"], mode="eval").body
    if isinstance(tree, ast.Call) and tree.func.id == "convert":
        row = evidence.loc[tree.args[0].id]
        amount, source = float(row["amount"]), currency_code(row["unit"], row["vintage"])
        target = tree.args[1].value
        return {"from_currency": source, "to_currency": target,
                "implied_rate": amount / stated, "official_rate": amount / recomputed,
                "implied_over_official": (amount / stated) / (amount / recomputed)}
    # a rate stated outright, as "4 / O0006" against rate('RUB_old', 'USD', ...)
    return {"implied_rate": stated, "official_rate": recomputed,
            "implied_over_official": stated / recomputed}


def implied_rates(data: DataLike = None) -> pd.DataFrame:
    """Rate rows (as in ``data/rates.csv``) for the rates the sources' own conversions imply.

    Each consistent or inconsistent conversion claim gives one rate, valid over the five-year
    plan of its date: from the plan's start, or the day of the claim if an earlier claim of
    the same pair holds before it, to the plan's end. Claims of the same pair and day keep the
    most precise (smallest tolerance). Rows carry ``rate_type`` ``source_implied`` and the
    claim id in ``source``.
    """
    data = open_data(data)
    conversions = run_audit(data).conversions.dropna(subset=["from_currency"])
    plans = data.table("plans")
    rows = []
    for claim in conversions.sort_values(["date", "tolerance"]).to_dict("records"):
        cur, base, rate = claim["from_currency"], claim["to_currency"], claim["implied_rate"]
        if cur == "USD":  # keep USD as the base, as data/rates.csv does
            cur, base, rate = base, cur, 1 / rate
        day = pd.Timestamp(parse_dates([claim["date"]])[0])  # one reading of a date: money.dates
        plan = plans[(plans["start_year"] <= day.year) & (plans["end_year"] >= day.year)].iloc[0]
        rows.append({"id": f"S{claim['id'][1:]}", "currency": cur, "base": base,
                     "currency_per_base": rate, "day": day,
                     "plan_start": pd.Timestamp(f"{plan['start_year']}-01-01"),
                     "plan_end": pd.Timestamp(f"{plan['end_year']}-12-31"),
                     "rate_type": "source_implied", "status": "D",
                     "source": f"{claim['id']}: the source's own conversion at line {claim['line']}",
                     "note": claim["note"]})
    frame = pd.DataFrame(rows).drop_duplicates(["currency", "base", "day"], keep="first")
    out = []
    for _, group in frame.groupby(["currency", "base", "plan_start"]):
        group = group.sort_values("day")
        starts = [group["plan_start"].iloc[0], *group["day"].iloc[1:]]
        ends = [d - pd.Timedelta(days=1) for d in group["day"].iloc[1:]] + [group["plan_end"].iloc[0]]
        out.append(group.assign(valid_from=starts, valid_to=ends))
    result = pd.concat(out, ignore_index=True)
    for col in ("valid_from", "valid_to"):
        result[col] = result[col].to_numpy(dtype="datetime64[D]")
    return result[["id", "currency", "base", "currency_per_base", "valid_from", "valid_to",
                   "rate_type", "status", "source", "note"]]
