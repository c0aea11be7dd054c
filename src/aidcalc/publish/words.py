"""The reader's language: currencies by name, readings in words, parameter sets by a title, a glossary.

The tables and the range notes are written in the project's codes (``RUB_old``,
``L0021 read vintage=new``, ``price_basis``); a reader of the pages meets words instead. Row
ids stay (they are how a figure is traced) but become links to the evidence appendix.
"""

from __future__ import annotations

import html
import re

#: Currencies and units by name, as a reader knows them.
CURRENCY_NAMES = {
    "RUB_old": "rubles before the 1961 reform",
    "RUB_new": "rubles after the 1961 reform",
    "RUB": "rubles (after the 1961 reform)",
    "USD": "US dollars",
    "CNY": "yuan (after the 1955 reform)",
    "ALL": "leks",
    "t": "tonnes",
    "pct": "per cent",
}
#: The few terms the pages still use, and what they mean.
GLOSSARY = {
    "reading": "How the project takes a figure the source leaves open to doubt: a ruble amount as "
               "old or new rubles, a separator as a decimal point or as thousands, a part as "
               "part of a total or a sum of its own. The chosen reading gives the central value; "
               "the other is its alternative.",
    "range": "The lowest and highest value a total takes under the exchange-rate intervals, each "
             "doubtful figure read the other way, and each event valued by its restatements. The "
             "central value is the project's chosen reading at official rates.",
    "restatement": "The same event given a second time by the source, in another currency or "
                   "unit (a ruble loan also stated in dollars). Restatements are not added to the "
                   "total; they set its range.",
    "gold basis": "Converting rubles across the 1961 reform by their gold content (one new ruble "
                  "= 4.44 old rubles) rather than by the cash exchange of ten to one.",
    "constant dollars": "US dollars of one year's prices (deflated by the US consumer price "
                        "index), so that plans twenty years apart compare in purchasing power.",
    "plan": "Albania's five-year economic plans (1st plan 1951-55 to 6th plan 1976-80); a figure "
            "counts in the plan its agreement names, else the plan its date falls in.",
}
#: The parameter sets of ``notebooks/reports.yaml`` by a title a reader understands.
SET_TITLES = {
    "default": "Nominal US dollars at official rates",
    "constant_1990_usd": "Constant 1990 US dollars",
    "rubles_with_military": "Rubles, military aid included",
    "source_implied_rates": "At the rates the sources' own conversions imply",
}
#: What each parameter is, in words.
PARAMETER_WORDS = {
    "currency": "currency of the totals",
    "price_basis": "prices",
    "price_year": "year of constant prices",
    "rate_basis": "exchange rates",
    "plan_range": "five-year plans shown",
    "include_military": "military aid",
}
#: Codes a table cell may hold, in words.
CODE_WORDS = {
    "same_event": "the same event",
    "context": "context only",
    "total": "a total",
    "part_of": "part of",
    "stated_total": "stated total",
    "not_checkable": "not checkable",
}
#: Evidence row ids: a table's capital and four digits (L0021, A0017, I0004), claims with three (C001).
ROW_ID = re.compile(r"\b(?:[LAPSTOI]\d{4}|C\d{3})\b")


def currency_name(code: str) -> str:
    """Return a currency or unit code by name.

    Examples
    --------
    >>> currency_name("RUB_old"), currency_name("XYZ")
    ('rubles before the 1961 reform', 'XYZ')

    """
    return CURRENCY_NAMES.get(str(code), str(code))


def set_title(name: str, params: dict | None = None) -> str:
    """Return a parameter set's title: the known one, else its parameters in words.

    Examples
    --------
    >>> set_title("constant_1990_usd")
    'Constant 1990 US dollars'
    >>> set_title("mine", {"currency": "CNY"})
    'Currency of the totals: yuan (after the 1955 reform)'

    """
    if name in SET_TITLES:
        return SET_TITLES[name]
    text = choices_in_words(params or {}) or name.replace("_", " ")
    return text[:1].upper() + text[1:]


def choices_in_words(params: dict) -> str:
    """Return the parameters a set gives, in words ('' for none).

    Examples
    --------
    >>> choices_in_words({"price_basis": "constant", "price_year": 1990})
    'prices: constant prices; year of constant prices: 1990'

    """
    return "; ".join(f"{PARAMETER_WORDS.get(k, k.replace('_', ' '))}: {value_in_words(k, v)}"
                     for k, v in params.items() if k not in ("notebooks", "output_dir"))


def value_in_words(name: str, value) -> str:
    """Return a parameter's value in words.

    Examples
    --------
    >>> value_in_words("include_military", False), value_in_words("plan_range", [1, 6])
    ('left out', 'plans 1 to 6')
    >>> value_in_words("price_basis", "constant"), value_in_words("currency", "RUB")
    ('constant prices', 'rubles (after the 1961 reform)')

    """
    if name == "include_military":
        return "included" if value else "left out"
    if name == "plan_range" and isinstance(value, list | tuple) and len(value) == 2:
        return f"plans {value[0]} to {value[1]}"
    if name == "currency":
        return currency_name(value)
    if name == "price_basis":
        words = {"nominal": "prices of each year (nominal)", "constant": "constant prices"}
        return words.get(value, str(value))
    if name == "rate_basis":
        return {"official": "official rates", "source_implied": "rates the sources' conversions imply"
                }.get(value, str(value))
    return str(value)


def signed(value: float, unit: str = "million") -> str:
    """Write a move with its sign (a true minus), never as -0.0.

    Examples
    --------
    >>> signed(-33.3), signed(-0.04), signed(74.66)
    ('−33.3 million', 'under 0.1 million', '+74.7 million')

    """
    if abs(value) < 0.05:
        return f"under 0.1 {unit}"
    return f"{'+' if value > 0 else '−'}{abs(value):,.1f} {unit}"


def _reading(match: re.Match) -> str:
    rid, what, value = match["id"], match["what"], match["value"]
    if what == "vintage":
        return f"{rid} read as {currency_name('RUB_' + value)}" if value in ("old", "new") else match[0]
    if what == "part_of":
        if not value:
            return f"{rid} read as a sum of its own, part of no other"
        return f"{rid} read as part of {value}"
    if what == "amount":
        return f"{rid} read as {float(value):,.0f} (the separator read as thousands)"
    if what == "event":
        return f"{rid} read as {value.replace('_', ' ')}"
    return f"{rid} read with {what.replace('_', ' ')} {value}"


READING = re.compile(r"(?P<id>\b[A-Z]\d{3,4}) read (?P<what>\w+)=(?P<value>[\w.]*)")
MOVE = re.compile(r"\((?P<sign>[+-])(?P<n>[\d,]+(?:\.\d+)?)( (?P<unit>million))?\)")


def in_words(text: str) -> str:
    """Rewrite the project's codes in a text into words: readings, moves, currency codes.

    Examples
    --------
    >>> in_words("L0032 read part_of=L0034 (-33.3 million)")
    'L0032 read as part of L0034 (−33.3 million)'
    >>> in_words("L0060 read part_of= (+74.7 million)")
    'L0060 read as a sum of its own, part of no other (+74.7 million)'
    >>> in_words("L0021 read vintage=new (-0.0 million)")
    'L0021 read as rubles after the 1961 reform (under 0.1 million)'
    >>> in_words("A0017 read amount=266218 (+265,951.782)")
    'A0017 read as 266,218 (the separator read as thousands) (+265,952)'
    >>> in_words("rests on interval rate rows R048")
    'rests on an exchange rate known only within an interval (rate R048)'
    >>> in_words("L0012 at the source-implied rate; 500 RUB_old")
    'L0012 at the rate the source’s own conversions imply; 500 rubles before the 1961 reform'

    """
    text = READING.sub(_reading, text)

    def move(m: re.Match) -> str:
        n = float(m["n"].replace(",", "")) * (-1 if m["sign"] == "-" else 1)
        if m["unit"]:
            return f"({signed(n)})"
        return f"({'+' if n > 0 else '−'}{abs(n):,.0f})" if abs(n) >= 0.5 else "(under 1)"

    text = MOVE.sub(move, text)
    text = text.replace("at the source-implied rate", "at the rate the source’s own conversions imply")
    text = re.sub(r"rests on interval rate rows? (R\d+(?:,? R\d+)*)",
                  r"rests on an exchange rate known only within an interval (rate \1)", text)
    text = re.sub(r"\bRUB_(old|new)\b", lambda m: currency_name(m[0]), text)
    return text


def link_rows(fragment: str, href: str) -> str:
    """Link every row id in the text of an HTML fragment to its entry in the evidence appendix.

    Only text between tags changes (never an attribute or a tag), and a row id already inside a
    link stays as it is.

    Examples
    --------
    >>> link_rows('<td>L0021 (line 2727)</td><a href="x">L0008</a>', "evidence.html")
    '<td><a class="row" href="evidence.html#L0021">L0021</a> (line 2727)</td><a href="x">L0008</a>'

    """
    parts = re.split(r"(<[^>]*>)", fragment)
    target = html.escape(href)
    depth = 0  # inside <a>, <script> or <style>: left alone
    for k, part in enumerate(parts):
        if part.startswith("<"):
            tag = re.match(r"</?\s*(\w+)", part)
            if tag and tag[1].lower() in ("a", "script", "style", "title", "svg"):
                depth += -1 if part.startswith("</") else (0 if part.endswith("/>") else 1)
            continue
        if depth == 0 and part:
            parts[k] = ROW_ID.sub(lambda m: f'<a class="row" href="{target}#{m[0]}">{m[0]}</a>', part)
    return "".join(parts)


def cells_in_words(fragment: str, names: dict | None = None) -> str:
    """Write a table cell that holds only a code (a source id, a relation, a currency) in words.

    ``names`` maps further codes to words, e.g. each source id to its short citation.

    Examples
    --------
    >>> cells_in_words('<td class="short">same_event</td><td>mao_1968</td>', {"mao_1968": "Mao, 1968"})
    '<td class="short">the same event</td><td>Mao, 1968</td>'

    """
    known = {**CODE_WORDS, **{k: v for k, v in CURRENCY_NAMES.items() if "_" in k}, **(names or {})}
    return re.sub(r"(<td\b[^>]*>)\s*([A-Za-z][\w.-]*)\s*(</td>)",
                  lambda m: m[1] + html.escape(known.get(m[2], m[2]), quote=False) + m[3], fragment)


def words_in_html(fragment: str) -> str:
    """Apply :func:`in_words` to the text of an HTML fragment, leaving tags and attributes alone."""
    parts = re.split(r"(<[^>]*>)", fragment)
    return "".join(p if p.startswith("<") else in_words(p) for p in parts)
