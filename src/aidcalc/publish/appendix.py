"""The evidence appendix: one page with every row behind the figures, the source around it and its citation.

Every row id a page shows links here (``evidence.html#L0021``). An entry gives the figure as
the source writes it, the source lines around it (from the source file in
:data:`aidcalc.paths.SEEDS_DIR`, when it is at hand), the project's reading of it in words, the
other reading where the figure is in doubt, and its citation (chapter, footnote, archival
reference, line).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from aidcalc.publish.citation import locator, source_lines, sources_table
from aidcalc.publish.words import currency_name, in_words

#: The tables whose rows a page can name, in the order the appendix lists them.
EVIDENCE_TABLES = ("loans", "arms_shipments", "projects", "specialists", "trade", "other_figures",
                   "claims", "independent")


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _amount(row) -> str:
    amount, unit = row.get("amount"), _text(row.get("unit"))
    if amount is None or pd.isna(amount):
        return ""
    vintage = _text(row.get("vintage"))
    unit_name = currency_name(f"{unit}_{vintage}" if unit == "RUB" and vintage else unit)
    value = float(amount)
    number = f"{value:,.0f}" if value == round(value) else f"{value:,.3f}".rstrip("0")
    return f"{number} {unit_name}".strip()


#: A rate in a claim's recomputation, as data/claims.csv writes it: rate('RUB_old', 'USD', '1956-07').
_RATE_CALL = re.compile(r"rate\('(\w+)',\s*'(\w+)',\s*'([\d-]+)'\)")


def _rate_in_words(match: re.Match) -> str:
    return f"the rate of {currency_name(match[1])} to {currency_name(match[2])} at {match[3]}"


def reading(row) -> str:
    """Describe in words how the project reads an evidence row: what happened, how much, when, who.

    Examples
    --------
    >>> reading({"event": "granted", "category": "loan", "amount": 6e6, "unit": "USD", "date": "1947-07",
    ...          "giver": "USSR", "receiver": "Albania"})
    'granted loan: 6,000,000 US dollars, 1947-07, USSR to Albania'
    >>> reading({"claim_type": "conversion", "recompute": "rate('RUB_old', 'USD', '1956-07')"})[46:]
    'the rate of rubles before the 1961 reform to US dollars at 1956-07'

    """
    if "claim_type" in row:
        return (f"a {_text(row.get('claim_type'))} the source states, recomputed as "
                f"{_RATE_CALL.sub(_rate_in_words, _text(row.get('recompute')))}")
    what = " ".join(t for t in (_text(row.get("event")).replace("_", " "), _text(row.get("category")),
                                _text(row.get("kind")).replace("_", " ")) if t)
    parts = [p for p in (_amount(row), _text(row.get("date")),
                         " to ".join(t for t in (_text(row.get("giver")), _text(row.get("receiver"))) if t))
             if p]
    item = _text(row.get("item"))
    return f"{what or 'figure'}{f' ({item})' if item else ''}: {', '.join(parts)}"


def evidence_rows(data=None) -> list[dict]:
    """Return one entry per evidence row of every table in :data:`EVIDENCE_TABLES` that the data holds."""
    from aidcalc.tables.context import open_data

    data = open_data(data)
    sources = sources_table(data)
    entries = []
    for name in EVIDENCE_TABLES:
        try:
            table = data.table(name)
        except Exception:  # noqa: BLE001 - a data folder without this table has no rows of it
            continue
        for row in table.astype(object).where(table.notna(), None).to_dict("records"):
            source = _text(row.get("source_id"))
            file = str(sources.loc[source, "file"]) if source in sources.index else ""
            line = row.get("line")
            alternative = _text(row.get("alternative"))
            entries.append({
                "id": _text(row.get("id")), "table": name, "figure_text": _text(row.get("figure_text")),
                "headline": reading(row).split(":")[0],
                "reading": reading(row),
                "alternative": in_words(f"{row['id']} read {alternative}") if alternative else "",
                "citation": locator(row, sources), "note": in_words(_text(row.get("note"))),
                "line": int(float(line)) if line not in (None, "") else None,
                "lines": source_lines(file, line) if line not in (None, "") else [],
            })
    return entries


#: The last appendix written: its key (data digest, link home, date) and text.
_WRITTEN: dict = {}


def write_appendix(folder, *, generated: str | None = None, data=None,
                   home: str | None = "../../index.html") -> Path:
    """Write ``folder/evidence.html``: every evidence row, its source lines, reading and citation.

    Parameters
    ----------
    folder : path
        Where the appendix goes: a run's folder, beside its page.
    generated : str, optional
        When it was written (default: now, UTC).
    data : DataContext or path, optional
        The data whose rows it lists (default: the packaged tables).
    home : str or None
        The link back to the landing page.

    Returns
    -------
    Path
        The page written.

    """
    target = Path(folder) / "evidence.html"
    target.write_text(appendix_text(generated=generated, data=data, home=home), encoding="utf-8")
    return target


def appendix_text(*, generated: str | None = None, data=None, home: str | None = "../../index.html") -> str:
    """Return the evidence appendix as :func:`write_appendix` writes it (the same parameters).

    Every run of a report worker writes the same appendix: it is rendered once per data, link
    and date, and a worker renders it while its kernel starts (:func:`aidcalc.publish.pages.warm`).
    """
    from aidcalc.publish import site
    from aidcalc.tables.context import open_data

    data = open_data(data)
    generated = generated or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    key = (data.digest, home, generated)
    if _WRITTEN.get("key") != key:
        rows = evidence_rows(data)
        _WRITTEN.update(key=key, text=site.render(
            "evidence.html.j2", date=generated[:10], data=data, home=home, evidence_href="evidence.html",
            page_title="Evidence appendix · aidcalc", rows=rows, tables=sorted({r["table"] for r in rows}),
            generated=generated, digest=data.digest))
    return _WRITTEN["text"]
