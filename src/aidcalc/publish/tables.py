"""Tables formatted for people: in the report pages (HTML) and in the CSV files beside them.

:func:`format_table` turns a result table into HTML a reader can take in: thousands
separators, the unit in the header (``committed (million USD)``: money columns are shown in
millions when any amount reaches a million, and the header says so), missing figures as a
dash ``–`` with a footnote saying why, counts as whole numbers, population as whole persons,
plan numbers as labels (``3rd plan 1961-65``), readable headers (``committed_low`` ->
``committed, low``), no 0..n index column, and long text (an audit ``detail``) in full,
wrapped, never cut.

:func:`to_csv` writes a table for other programs with each float rounded to what it means
(money to whole units, money per person to cents, shares and ratios to 4 decimals, rates to 6
significant digits, other measures to 3 decimals: never 16-digit floats, never ``.0`` on a
count). **The unit is named in the header**, as a suffix of each column it applies to:
``committed_USD``, ``committed_low_USD``, ``committed_per_capita_USD`` (per person, as the
name says), ``committed_USD_constant_1990`` for constant 1990 dollars, ``delivered_t`` for
tonnes. A plain CSV reader sees the unit without skipping a comment line.

How each column is read (its *kind*) is decided by :func:`column_kinds`; the arguments
``money_columns``, ``share_columns``, ``count_columns`` and ``value_columns`` override it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from aidcalc.money.basis import Basis
from aidcalc.publish.columns import (
    LONG_TEXT,
    _decimal,
    _missing,
    _number,
    _plain_index,
    _significant,
    column_kinds,
    header,
    short_unit,
)

#: What a missing number is shown as.
MISSING = "–"
#: The sign of a negative number (a true minus, not a hyphen).
MINUS = "\u2212"
#: Why a number is missing, unless the caller says otherwise.
MISSING_NOTE = "no row of the source states this figure"
_CSS = """<style>
table.aidcalc-table{border-collapse:collapse;margin:0.5rem 0;font-variant-numeric:tabular-nums;
  font-size:0.92rem;line-height:1.35}
table.aidcalc-table caption{caption-side:top;text-align:left;font-weight:600;padding-bottom:0.3rem}
table.aidcalc-table th,table.aidcalc-table td{padding:0.25rem 0.6rem;vertical-align:top;
  border:none;border-bottom:1px solid #d6d6d6;text-align:left}
table.aidcalc-table thead th{border-bottom:1.5px solid #333;font-weight:600;vertical-align:bottom}
table.aidcalc-table td.num,table.aidcalc-table th.num{text-align:right}
table.aidcalc-table td.num,table.aidcalc-table td.short{white-space:nowrap}
table.aidcalc-table th{min-width:4rem;max-width:11rem}
table.aidcalc-table td.long{min-width:16rem;max-width:32rem;white-space:normal;overflow-wrap:anywhere}
table.aidcalc-table td.missing{color:#595959}
.aidcalc-notes{font-size:0.85rem;color:#444;margin:0.2rem 0 1rem}
.aidcalc-notes p{margin:0.1rem 0}
</style>"""


@dataclass
class PresentedTable:
    """A table formatted for people: ``.html`` for pages and notebooks, ``str()`` for terminals."""

    html: str
    text: str
    notes: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        return self.html

    def to_html(self) -> str:
        """Return the HTML: the table, then its footnotes."""
        return self.html

    def __str__(self) -> str:
        return self.text

    __repr__ = __str__


def _breakable(text: str, kind: str) -> str:
    """Let a long number break after its thousands separators, when a printed page is too narrow.

    Examples
    --------
    >>> _breakable("125,012,501", "num"), _breakable("a, b", "long")
    ('125,<wbr>012,<wbr>501', 'a, b')

    """
    return text.replace(",", ",<wbr>") if kind == "num" else text


def _plan_labeller(data=None):
    from aidcalc.evidence.plans import load_plans, plan_label

    try:
        plans = load_plans(data)
    except Exception:  # noqa: BLE001 - a table without the plans still shows its numbers
        plans = None

    def label(value) -> str:
        try:
            return plan_label(int(value), plans) if plans is not None else f"plan {int(value)}"
        except (KeyError, ValueError, TypeError):
            return str(value)

    return label


def format_table(table: pd.DataFrame, unit: str | None = None, money_columns=None, *,
                 share_columns=None, count_columns=None, value_columns=None, percent_columns=None,
                 missing_note: str | dict | None = None, notes=(), caption: str | None = None,
                 labels: dict | None = None, scale: float | None = None, data=None) -> PresentedTable:
    """Format ``table`` for people; return it as HTML (``.html``; displays itself in a notebook).

    Parameters
    ----------
    table : DataFrame
        The result table; a 0..n index is dropped, any other index becomes the first column.
    unit : str or Basis, optional
        The unit of its amounts: a :class:`~aidcalc.money.basis.Basis` (``Aggregation.basis``), or
        text such as ``Aggregation.label`` (``"USD (official rates via USD,
        gold basis)"``) or ``"t"``. Its short form goes into the headers; the whole of it into
        a note under the table.
    money_columns : list of str, optional
        The columns holding money in ``unit``; by default every float column that is not a
        count, share, rate, plan or ``amount`` when ``unit`` is a currency.
    share_columns, count_columns, value_columns : list of str, optional
        Columns to read as shares (ratios), counts (whole numbers) or measures in ``unit``.
    percent_columns : list of str, optional
        Columns holding shares in percent, shown to one decimal with "%" in the header.
    missing_note : str or dict, optional
        Why a figure is missing: one reason for the table (default ``MISSING_NOTE``), or a
        reason per column (columns left out get the default); each reason is a footnote.
    notes : list of str
        Further footnotes.
    caption : str, optional
        A caption above the table.
    labels : dict, optional
        Headers to use instead of the generated ones, by column name.
    scale : float, optional
        Divide money by this (1e6 for millions); by default millions when any amount reaches
        a million, units otherwise.
    data : DataContext or path, optional
        Where the plans table comes from for the plan labels.

    Returns
    -------
    PresentedTable
        ``.html`` (a ``<table>`` and its notes), ``.text`` (for a terminal).

    Examples
    --------
    >>> t = pd.DataFrame({"plan": [3, 4], "committed": [3.48e8, None]})
    >>> print(format_table(t, "USD (official rates)"))
    plan              committed (million USD)
    3rd plan 1961-65                    348.0
    4th plan 1966-70                        –
    – : no row of the source states this figure
    Amounts in USD (official rates).

    """
    labels = labels or {}
    table = _plain_index(table)
    kinds = column_kinds(table, unit, money_columns, share_columns=share_columns,
                         count_columns=count_columns, value_columns=value_columns,
                         percent_columns=percent_columns)
    money_cols = [c for c, k in kinds.items() if k == "money"]
    if scale is None:
        biggest = max((np.nanmax(np.abs(pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float)),
                                 initial=0) for c in money_cols), default=0)
        scale = 1e6 if biggest >= 1e6 else 1.0
    unit_short = short_unit(unit)
    money_unit = (f"million {unit_short}" if scale == 1e6 else f"{scale:g} {unit_short}"
                  if scale != 1 else unit_short)
    plan = _plan_labeller(data) if "plan" in kinds.values() else None

    reasons = missing_note if isinstance(missing_note, dict) else {}
    default_reason = missing_note if isinstance(missing_note, str) else MISSING_NOTE
    markers: dict[str, int] = {}  # each reason, and the first column it is given for

    def marker(column, position: int) -> str:
        reason = reasons.get(column, default_reason)
        markers[reason] = min(markers.get(reason, position), position)
        return reason

    def cell(value, kind: str):
        shown = _cell(value, kind)
        return MINUS + shown[1:] if shown and shown.startswith("-") and kind != "text" else shown

    def _cell(value, kind: str):
        if _missing(value):
            return None
        if kind == "text":
            return str(value)
        if isinstance(value, bool | np.bool_):
            return "yes" if value else "no"
        v = float(value)
        if kind == "plan":
            return plan(v)
        if kind == "label":
            return f"{int(v)}" if v == round(v) else _number(v)
        if kind in ("count", "persons"):
            return f"{int(round(v)):,}" if kind == "persons" or v == round(v) else _number(v)
        if kind == "money":
            s = v / scale
            if scale == 1:
                return f"{round(s):,}" if abs(s) >= 100 else _decimal(s, 2, trim=False)
            if 0 < abs(s) < 0.05:  # one decimal for every amount in millions: never -0.0, never 0.0072
                return "<0.1" if s > 0 else ">−0.1"
            return _decimal(s, 1, trim=False)
        if kind == "money_per_person":
            return _decimal(v, 2, trim=False)
        if kind == "share":
            return _decimal(v, 3) if abs(v) >= 0.001 or v == 0 else _significant(v, 2)
        if kind == "percent":
            return _decimal(v, 1, trim=False)
        if kind == "rate":
            return _significant(v, 4)
        return _number(v)

    heads, classes, columns = [], [], []
    for name, kind in kinds.items():
        u = {"money": money_unit, "money_per_person": f"{unit_short} per person",
             "measure": unit_short, "persons": "persons", "percent": "%"}.get(kind)
        if kind == "money_per_person":
            u = f"{unit_short} per person"
            text = header(name).replace(" per person", "")
            heads.append(labels.get(name, f"{text} ({u})"))
        else:
            heads.append(labels.get(name, header(name, u)))
        values = [cell(v, kind) for v in table[name].tolist()]
        if kind in ("text", "plan"):
            width = max((len(v) for v in values if v is not None), default=0)
            classes.append("long" if width > LONG_TEXT else "short" if width <= 24 else "")
        else:
            classes.append("num")
        columns.append(values)

    rows_html, text_rows = [], []
    for i in range(len(table)):
        tds, texts = [], []
        for j, name in enumerate(kinds):
            v = columns[j][i]
            if v is None and kinds[name] != "text":
                reason = marker(name, j)
                tds.append((f"{MISSING}{{{reason}}}", f"{classes[j]} missing"))
                texts.append(f"{MISSING}{{{reason}}}")
            else:
                tds.append((v or "", classes[j]))
                texts.append(v or "")
        rows_html.append(tds)
        text_rows.append(texts)

    # one reason: a plain dash; several: a dash with a letter per reason
    letters = {}
    if len(markers) > 1:
        ordered = sorted(markers, key=markers.get)
        letters = {reason: chr(ord("a") + k) for k, reason in enumerate(ordered)}

    def finish(text: str, as_html: bool) -> str:
        for reason in markers:
            mark = MISSING + (f"<sup>{letters[reason]}</sup>" if as_html and letters
                              else letters.get(reason, ""))
            text = text.replace(f"{MISSING}{{{reason}}}", mark)
            if as_html:  # the cell's text was escaped before the marker is replaced
                text = text.replace(html.escape(f"{MISSING}{{{reason}}}"), mark)
        return text

    footnotes = [f"{MISSING}{letters.get(r, '')} : {r}" for r in sorted(markers, key=markers.get)]
    described = unit.words if isinstance(unit, Basis) else unit
    if described and described != unit_short and (money_cols or {"measure", "money_per_person"}
                                                  & set(kinds.values())):
        footnotes.append(f"Amounts in {described.rstrip('.')}.")
    footnotes.extend(notes)

    out = [_CSS, '<table class="aidcalc-table">']
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    cells = (f'<th scope="col" class="{"num" if c == "num" else ""}">{html.escape(h)}</th>'
             for h, c in zip(heads, classes, strict=True))
    out.append("<thead><tr>" + "".join(cells) + "</tr></thead><tbody>")
    for tds in rows_html:
        out.append("<tr>" + "".join(
            f'<td class="{c.strip()}">{_breakable(finish(html.escape(v), True), c)}</td>' for v, c in tds)
                   + "</tr>")
    out.append("</tbody></table>")
    if footnotes:
        out.append('<div class="aidcalc-notes">' + "".join(
            f"<p>{html.escape(n)}</p>" for n in footnotes) + "</div>")

    grid = [heads, *([finish(v, False) for v in r] for r in text_rows)]
    widths = [max(len(r[j]) for r in grid) for j in range(len(heads))]
    lines = ["  ".join(v.rjust(w) if c == "num" and i else v.ljust(w)
                       for v, w, c in zip(r, widths, classes, strict=True)).rstrip()
             for i, r in enumerate(grid)]
    text = "\n".join([*lines, *footnotes])
    return PresentedTable("\n".join(out), text, footnotes)
