"""Hold the thesis's figures against figures from independent sources, reading by reading.

``data/independent.csv`` holds one row per figure an independent source gives for an aid event
(a handbook, an archive record, a press report), with its citation and a locator, and ``links``:
the evidence rows it speaks to, with the ``relation`` (``same_event``, ``part``: the thesis row
is a part of the independent figure, ``total``: the thesis row is a total the independent figure
is a part of, ``context``: related, not comparable). For every link, the thesis row is converted
under each plausible reading (its default and, for a judged row, its ``alternative``) into the
independent figure's currency at the thesis row's date, and the two are compared within the
rounding the sources allow (``tolerance``): one rule for every link, ``DEFAULT_TOLERANCE``,
unless the row states another and says why in its note.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aidcalc.errors import UnknownReferenceError
from aidcalc.evidence.readings import apply_alternatives, parse_alternative
from aidcalc.evidence.rows import MONEY_UNITS, effective_days
from aidcalc.money.conversion import convert
from aidcalc.money.rates import load_rate_table
from aidcalc.tables.context import DataLike, open_data
from aidcalc.units import currency_code

RELATIONS = ("same_event", "part", "total", "context")
#: The rounding allowed when a row states none: a figure given to two or three digits.
DEFAULT_TOLERANCE = 0.02


def _value(row: pd.Series, unit: str, vintage, on, rates, rate_type=None) -> float:
    """Return a thesis row's amount in ``unit`` (and vintage) at day ``on``; NaN where it cannot be."""
    return _converted(row, unit, vintage, on, rates, rate_type)[0]


def _converted(row: pd.Series, unit: str, vintage, on, rates, rate_type=None) -> tuple[float, tuple]:
    """Return :func:`_value` and the ids of the rate rows it used (none for a figure already in ``unit``)."""
    if row["unit"] == unit and (row["unit"] not in MONEY_UNITS or row["vintage"] == vintage
                                or unit == "USD"):
        return float(row["amount"]), ()
    if row["unit"] not in MONEY_UNITS or unit not in MONEY_UNITS:
        return np.nan, ()
    source = currency_code(row["unit"], row["vintage"] if isinstance(row["vintage"], str) else None)
    target = currency_code(unit, vintage if isinstance(vintage, str) else None)
    options = {"rate_type": rate_type, "via": "direct"} if isinstance(rate_type, str) else {}
    got = convert(float(row["amount"]), source, on, to=target, errors="coerce", data=rates, **options)
    return got.value, tuple(got.rate_ids)


#: Rate statuses a comparison is flagged for: derived from other figures, or from memory.
WEAK_STATUSES = {"D": "derived", "M": "from memory"}


def _rate_note(ids: tuple, rates) -> str:
    """Name the rate rows of a comparison that are derived or from memory ('' when none is)."""
    rows = rates.rates.set_index("id")
    weak = [f"{i} ({WEAK_STATUSES[rows.at[i, 'status']]})" for i in ids
            if i in rows.index and rows.at[i, "status"] in WEAK_STATUSES]
    return "rests on " + ", ".join(weak) if weak else ""


def _verdict(relation: str, ratio: float, tolerance: float) -> str:
    if relation == "context":
        return "not comparable"
    if np.isnan(ratio):
        return "not comparable"
    if relation == "same_event":
        return "agrees" if abs(ratio - 1) <= tolerance + 1e-12 else "contradicts"
    if relation == "part":  # the thesis row is a part of the independent figure
        return "agrees" if ratio <= 1 + tolerance else "contradicts"
    return "agrees" if ratio >= 1 - tolerance else "contradicts"  # total: it holds the figure


def _supported(verdicts: dict) -> str:
    agreeing = [name for name, v in verdicts.items() if v == "agrees"]
    if not verdicts or all(v == "not comparable" for v in verdicts.values()):
        return "not comparable"
    if len(agreeing) == len(verdicts):
        return "either" if len(verdicts) > 1 else "default"
    return agreeing[0] if len(agreeing) == 1 else ("neither" if not agreeing else "either")


def corroborate(data: DataLike = None) -> pd.DataFrame:
    """Compare every link of ``data/independent.csv`` with the thesis row it speaks to.

    Parameters
    ----------
    data : DataContext or path, optional
        The data to read; defaults to the packaged tables.

    Returns
    -------
    DataFrame
        One row per link: the independent figure (``independent_id``, ``source_id``,
        ``locator``, ``figure_text``, ``amount``, ``unit``), the thesis row (``thesis_id``,
        ``thesis_line``, ``thesis_figure``), ``relation``, the thesis value under its
        ``default`` and ``alternative`` readings in the independent figure's unit, their
        ``*_ratio`` to the independent figure, ``tolerance``, ``verdict`` (of the default
        reading: agrees, contradicts, not comparable), ``supported_reading`` (default,
        alternative, either, neither, not comparable), ``rate_note`` (the rate rows of the
        comparison that are derived or from memory, '' when none), ``official`` and
        ``official_ratio`` (the default reading at the official rates, for a comparison made at
        another rate type), ``detail``, and both figures in USD
        at the thesis row's date (``thesis_usd``; ``independent_usd`` valued at the rates of the
        comparison, so that their ratio is the verdict's) for charts.

    Raises
    ------
    UnknownReferenceError
        For a link to a row that is in no evidence table, naming both ids.

    Examples
    --------
    >>> links = corroborate().set_index(["independent_id", "thesis_id"])
    >>> sorted(set(links["verdict"]))[:1]
    ['agrees']

    """
    data = open_data(data)
    independent = data.table("independent")
    evidence = data.evidence()
    known = set(evidence["id"])
    rates = load_rate_table(data)
    evidence = evidence.assign(day=effective_days(evidence)).set_index("id")
    alternatives = apply_alternatives(evidence.reset_index()).set_index("id")
    out = []
    for row in independent.to_dict("records"):
        links = str(row["links"]).split() if isinstance(row["links"], str) else []
        for tid in links:
            if tid not in known:
                raise UnknownReferenceError(
                    f"data/independent.csv row {row['id']} links to {tid!r}, which is in no evidence table; "
                    "use an id such as L0021 from data/*.csv"
                )
            thesis = evidence.loc[tid]
            on = thesis["day"] if not pd.isna(thesis["day"]) else row["date"]
            tolerance = DEFAULT_TOLERANCE if pd.isna(row["tolerance"]) else float(row["tolerance"])
            rate_type = row["rate_type"]
            value, used = _converted(thesis, row["unit"], row["vintage"], on, rates, rate_type)
            readings = {"default": value}
            # a comparison at another rate type is shown beside its value at the official rates
            official = (_value(thesis, row["unit"], row["vintage"], on, rates)
                        if isinstance(rate_type, str) else value)
            alt = parse_alternative(thesis.get("alternative"))
            if alt:
                readings[f"alternative ({thesis['alternative']})"] = _value(
                    alternatives.loc[tid], row["unit"], row["vintage"], on, rates, rate_type)
            ratios = {k: v / float(row["amount"]) for k, v in readings.items()}
            verdicts = {k: _verdict(row["relation"], r, tolerance) for k, r in ratios.items()}
            alt_name = next((k for k in readings if k != "default"), None)
            supported = _supported(verdicts)
            if supported == alt_name:
                supported = "alternative"
            detail = "; ".join(f"{k}: {readings[k]:,.0f} {row['unit']} = {ratios[k]:.3f} x the independent "
                               f"figure ({verdicts[k]})" for k in readings if not np.isnan(ratios[k]))
            thesis_usd = _value(thesis, "USD", None, on, rates)
            # the independent figure valued at the rates of the comparison, so that a point lies
            # off the diagonal exactly by the ratio of the verdict
            independent_usd = thesis_usd / ratios["default"] if ratios["default"] else np.nan
            out.append({
                "independent_id": row["id"], "source_id": row["source_id"], "locator": row["locator"],
                "figure_text": row["figure_text"], "amount": float(row["amount"]), "unit": row["unit"],
                "vintage": row["vintage"], "thesis_id": tid, "thesis_line": int(thesis["line"]),
                "thesis_figure": thesis["figure_text"], "relation": row["relation"],
                "default": readings["default"], "default_ratio": ratios["default"],
                "alternative": readings.get(alt_name, np.nan),
                "alternative_ratio": ratios.get(alt_name, np.nan), "tolerance": tolerance,
                "verdict": verdicts["default"], "supported_reading": supported,
                "rate_note": _rate_note(used, rates), "official": official,
                "official_ratio": official / float(row["amount"]),
                "detail": detail or f"not comparable: {row['relation']} only, or units that do not convert",
                "independent_usd": independent_usd, "thesis_usd": thesis_usd,
            })
    return pd.DataFrame(out)
