"""The checks of meaning: what the rows of a table say together, beyond what each cell's type allows.

:func:`aidcalc.tables.reader.read_table` reads a table's cells against its schema (types, required,
unique, pattern, enum, minimum, maximum, foreign keys) and then runs the checks here on the
same parsed cells, so whatever validates also loads, and nothing loads that these refuse:

* every text cell is free of leading and trailing whitespace;
* every date (a field whose pattern is a ``YYYY[-MM[-DD]]`` form) is a day of the calendar;
* evidence rows: the amount is finite and below :data:`AMOUNT_LIMIT`; the unit is a currency of
  the unit registry and the rate tables or a declared non-money unit; a ruble, yuan or lek
  amount states its vintage and no other unit has one; ``same_as`` and ``part_of`` point at an
  existing evidence row other than the row itself, and ``part_of`` chains hold no cycle;
  spellings of the giver and receiver do not differ only in case or spacing;
* evidence rows: the ``alternative`` reading (``field=value; ...``) names only fields a reading
  may change, and the row as that reading gives it passes every check above (the reader parses
  it by the same schema); a period ends no earlier than it starts;
* rates: ``low <= currency_per_base <= high`` where given, ``valid_to`` not before ``valid_from``,
  and no two rows of one currency, base and rate type valid on the same day;
* plans end no earlier than they start; independent figures are not zero (they divide);
* claims: ``stated`` and ``recompute`` are expressions :func:`parse_claim_expression` accepts.

Each check returns ``(line, column, message)`` problems, the message naming the value and what
would be accepted; the caller raises one :class:`~aidcalc.errors.DataValidationError` for all.
:func:`check_source_lines` (run by :func:`aidcalc.validate_all`) holds the ``line`` of each
evidence row and claim against the length of its source file, where that file is at hand.
"""

from __future__ import annotations

import ast
import datetime as dt
import math
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from aidcalc.errors import ClaimExpressionError, closest
from aidcalc.units import CURRENCIES, MONEY_UNITS, QUANTITY_UNITS, VINTAGED_UNITS

#: Amounts at or above this are refused: more than any figure of the sources, in any unit.
AMOUNT_LIMIT = 1e13
#: Row ids of the evidence tables, as ``same_as``, ``part_of`` and claim expressions name them.
ROW_ID = re.compile(r"[LAPSTO]\d{4}")
#: Bounds on a claim expression: its length in characters, checked before it is parsed, and
#: the number of nodes of its syntax tree.
MAX_EXPRESSION_LENGTH = 500
MAX_EXPRESSION_NODES = 200

#: The fields an evidence row's ``alternative`` reading may change.
ALTERNATIVE_FIELDS = ("vintage", "amount", "unit", "event", "part_of", "same_as", "date")

_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _shown(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(str(value))} characters)"


def is_date_field(field: dict) -> bool:
    """Whether a schema field holds dates: a string whose pattern is a ``YYYY[-MM[-DD]]`` form."""
    pattern = field.get("constraints", {}).get("pattern", "")
    return field.get("type") == "string" and pattern.startswith("^\\d{4}")


def date_problem(text: str) -> str | None:
    """Return why ``text`` is not a date of the calendar (YYYY, YYYY-MM, YYYY-MM-DD), or None.

    Examples
    --------
    >>> date_problem("1961-02-28") is None
    True
    >>> date_problem("1961-02-30")
    "'1961-02-30' is not a day of the calendar (February 1961 has 28 days)"

    """
    match = _DATE.fullmatch(text)
    if match is None or not text.isascii():
        return f"{text!r} is not a date; write YYYY, YYYY-MM or YYYY-MM-DD, e.g. 1961-02-28"
    year, month, day = (int(g) if g else None for g in match.groups())
    if month is not None and not 1 <= month <= 12:
        return f"{text!r} is not a date: month {month} is not 01 to 12"
    if day is not None:
        try:
            dt.date(year, month, day)
        except ValueError:
            first = dt.date(year, month, 1)
            after = dt.date(year + month // 12, month % 12 + 1, 1)
            return (f"{text!r} is not a day of the calendar ({first:%B %Y} has "
                    f"{(after - first).days} days)")
    return None


def check_cells(fields: list[dict], columns: dict[str, list], lines: list[int]) -> list[tuple]:
    """Problems of single cells beyond their type: surrounding whitespace, impossible dates."""
    problems = []
    for field in fields:
        name = field["name"]
        if field.get("type") != "string" or name not in columns:
            continue
        dates = is_date_field(field)
        for line, value in zip(lines, columns[name], strict=True):
            if value is None:
                continue
            if value != value.strip():
                problems.append((line, name, f"{_shown(value)} has leading or trailing whitespace; "
                                             f"write {_shown(value.strip())}"))
            elif dates and (why := date_problem(value)):
                problems.append((line, name, why))
    return problems


def check_evidence(columns: dict[str, list], lines: list[int], known_ids: dict[str, tuple],
                   texts: dict[str, list] | None = None) -> list[tuple]:
    """Problems of meaning in the rows of one evidence table.

    Parameters
    ----------
    columns : dict
        The table's parsed cells by column (``None`` where empty).
    lines : list of int
        The line in the file of each row.
    known_ids : dict
        Every evidence row id to the ``same_as`` and ``part_of`` of its row (``None`` where
        empty), this table's rows and the other evidence tables', for references and cycles
        across tables.
    texts : dict, optional
        The cells as written in the file, by column, to show a number as the file writes it.

    """
    problems = []
    ids = columns["id"]
    for i, line in enumerate(lines):
        amount, unit, vintage = columns["amount"][i], columns["unit"][i], columns["vintage"][i]
        if amount is not None and not (math.isfinite(amount) and abs(amount) < AMOUNT_LIMIT):
            written = texts["amount"][i] if texts else amount
            problems.append((line, "amount", f"{_shown(written)} is not a finite amount below "
                                             f"{AMOUNT_LIMIT:,.0f} (1e13); write the figure in full units"))
        if unit is not None and unit not in MONEY_UNITS + QUANTITY_UNITS:
            accepted = ", ".join(MONEY_UNITS + QUANTITY_UNITS)
            problems.append((line, "unit", f"{unit!r} has no rate in data/rates.csv and is no unit of "
                                           f"the registry; accepted: {accepted}"))
        elif unit in VINTAGED_UNITS and vintage is None:
            problems.append((line, "vintage", f"empty for an amount in {unit}, which changed in a "
                                              "currency reform; write old or new"))
        elif unit is not None and unit not in VINTAGED_UNITS and vintage is not None:
            problems.append((line, "vintage", f"{vintage!r} given for unit {unit!r}, which has no "
                                              f"vintage; leave it empty (only {', '.join(VINTAGED_UNITS)} "
                                              "have old and new)"))
        for column in ("same_as", "part_of"):
            target = columns[column][i]
            if target is None:
                continue
            if target == ids[i]:
                problems.append((line, column, f"{target!r} is the row itself; name another row or "
                                               "leave it empty"))
            elif target not in known_ids:
                problems.append((line, column, f"{target!r} is in no evidence table; name an existing "
                                               "row id such as L0002, or leave it empty"))
    problems += check_periods(columns, lines, "period_start", "period_end")
    problems += _cycles(columns, lines, known_ids, "same_as", 0)
    problems += _cycles(columns, lines, known_ids, "part_of", 1)
    problems += _spellings(columns, lines, ("giver", "receiver"))
    return problems


def _cycles(columns, lines, known_ids, column, index) -> list[tuple]:
    links = {row: targets[index] for row, targets in known_ids.items()}
    problems = []
    for line, start in zip(lines, columns["id"], strict=True):
        seen = [start]
        node = links.get(start)
        while node is not None and node in links and node not in seen:
            seen.append(node)
            node = links[node]
        if node == start and len(seen) > 1:
            chain = " -> ".join([*seen, start])
            why = ("a total cannot be part of its own part" if column == "part_of"
                   else "a repetition must point back to a row that is not itself a repetition of it")
            problems.append((line, column, f"{seen[1]!r} makes a cycle ({chain}): {why}; break the cycle"))
    return problems


def _spellings(columns, lines, names) -> list[tuple]:
    problems = []
    for name in names:
        counts = Counter(v for v in columns.get(name, ()) if v is not None)
        usual = {}
        for value, _ in counts.most_common():  # the commonest spelling of each name wins
            usual.setdefault(" ".join(value.casefold().split()), value)
        for line, value in zip(lines, columns.get(name, ()), strict=False):
            if value is not None and value == value.strip():
                declared = usual[" ".join(value.casefold().split())]
                if declared != value:
                    problems.append((line, name, f"{value!r} is spelled {declared!r} in the other rows; "
                                                 "use that spelling"))
    return problems


def suggestion(value, choices) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest of ``choices`` to a mistyped value, or ``""``.

    Examples
    --------
    >>> suggestion("grantd", ["granted", "signed"])
    " (did you mean 'granted'?)"

    """
    close = closest(value, choices)
    return f" (did you mean {close!r}?)" if close else ""


def alternative_pairs(text: str) -> tuple[dict, list[str]]:
    """Split an ``alternative`` cell into its ``field: value`` pairs (None for an empty value) and problems.

    Examples
    --------
    >>> alternative_pairs("vintage=new; part_of=")
    ({'vintage': 'new', 'part_of': None}, [])
    >>> alternative_pairs("vintag=old")[1]
    ["'vintag' is not a field an alternative reading may change (did you mean 'vintage'?); write field=value pairs separated by ';', the fields one of vintage, amount, unit, event, part_of, same_as, date"]

    """  # noqa: E501
    pairs, problems = {}, []
    accepted = (f"write field=value pairs separated by ';', the fields one of "
                f"{', '.join(ALTERNATIVE_FIELDS)}")
    for item in (part.strip() for part in text.split(";")):
        if not item:
            continue
        if "=" not in item:
            problems.append(f"{_shown(item)} is no field=value pair; {accepted}")
            continue
        key, value = (part.strip() for part in item.split("=", 1))
        if key not in ALTERNATIVE_FIELDS:
            problems.append(f"{key!r} is not a field an alternative reading may change"
                            f"{suggestion(key, ALTERNATIVE_FIELDS)}; {accepted}")
        elif key in pairs:
            problems.append(f"{key!r} is given twice; give each field once")
        else:
            pairs[key] = value or None
    return pairs, problems


def _day_span(text: str) -> tuple[str, str]:
    """Return the first and last day a ``YYYY[-MM[-DD]]`` text covers, as ISO texts (they sort as days)."""
    if len(text) == 4:
        return f"{text}-01-01", f"{text}-12-31"
    if len(text) == 7:
        return f"{text}-01", f"{text}-31"
    return text, text


def check_rates(columns: dict[str, list], lines: list[int]) -> list[tuple]:
    """Problems of the rate rows: their range, their validity, and overlaps within one kind of rate."""
    problems = []
    spans = {}
    for i, line in enumerate(lines):
        rate, low, high = columns["currency_per_base"][i], columns["low"][i], columns["high"][i]
        if low is not None and rate is not None and low > rate:
            problems.append((line, "low", f"{low!r} is above the rate {rate!r}; low <= currency_per_base "
                                          "<= high (swap them, or correct the figure)"))
        if high is not None and rate is not None and high < rate:
            problems.append((line, "high", f"{high!r} is below the rate {rate!r}; low <= currency_per_base "
                                           "<= high (swap them, or correct the figure)"))
        start, end = columns["valid_from"][i], columns["valid_to"][i]
        if start is None or end is None:
            continue
        first, last = _day_span(start)[0], _day_span(end)[1]
        if last < first:
            problems.append((line, "valid_to", f"{end!r} is before valid_from {start!r}; a rate is valid "
                                               "from its first day to its last (swap them?)"))
            continue
        kind = (columns["currency"][i], columns["base"][i], columns["rate_type"][i])
        for other_line, other_id, other_first, other_last in spans.get(kind, ()):
            if first <= other_last and other_first <= last:
                problems.append((line, "valid_from", (
                    f"{start} to {end} overlaps {other_id} (line {other_line}, {other_first} to "
                    f"{other_last}), another {kind[2]} rate of {kind[0]} per {kind[1]}; a day may have one "
                    "rate of a kind: end one row the day before the other starts, or give it another "
                    "rate_type")))
        spans.setdefault(kind, []).append((line, columns["id"][i], first, last))
    return problems


def check_periods(columns: dict[str, list], lines: list[int], start: str, end: str) -> list[tuple]:
    """Problems of rows whose period (``start`` to ``end`` columns, years) ends before it starts."""
    problems = []
    for line, first, last in zip(lines, columns[start], columns[end], strict=True):
        if first is not None and last is not None and last < first:
            problems.append((line, end, f"{last!r} is before {start} {first!r}; a period ends no earlier "
                                        "than it starts (swap them?)"))
    return problems


def check_table(name: str, columns: dict[str, list], lines: list[int]) -> list[tuple]:
    """Return the problems of meaning of the tables other than the evidence and the claims."""
    if name == "rates":
        return check_rates(columns, lines)
    if name == "plans":
        return check_periods(columns, lines, "start_year", "end_year")
    if name == "independent":
        zero = [(line, "amount", "0 is no figure to compare with (the comparison divides by it); write "
                                 "the figure the source gives, or remove the row")
                for line, amount in zip(lines, columns["amount"], strict=True) if amount == 0]
        return zero + check_periods(columns, lines, "period_start", "period_end")
    return []


def check_claims(columns: dict[str, list], lines: list[int]) -> list[tuple]:
    """Problems of the claim expressions: each must be one :func:`parse_claim_expression` accepts."""
    problems = []
    for i, line in enumerate(lines):
        for column in ("stated", "recompute"):
            text = columns[column][i]
            if text is None:
                continue
            try:
                parse_claim_expression(text)
            except ClaimExpressionError as err:
                problems.append((line, column, f"claim {columns['id'][i]}: {err}"))
    return problems


# -- claim expressions ---------------------------------------------------------------------

_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div)
_ACCEPTED = ("row ids (L0002), numbers, + - * / and parentheses, convert(ROW, 'CUR', 'DATE'), "
             "rate('CUR', 'BASE', 'DATE'), population('DATE') and max(...)")
#: The functions a claim may call, with the kind of each argument ('row', 'currency', 'date',
#: 'number'; '*' after the last: any number of them).
FUNCTIONS = {"convert": ("row", "currency", "date"), "rate": ("currency", "currency", "date"),
             "population": ("date",), "max": ("number", "*")}


def parse_claim_expression(text: str) -> ast.Expression:
    """Parse a claim expression, bounded and whitelisted, or raise naming what is wrong.

    The length is bounded before parsing (a 200,000-term sum never reaches the parser), the
    syntax tree's size after; strings stand only as the currency and date arguments of the
    functions, never in arithmetic; a division by a constant zero is refused here.

    Raises
    ------
    ClaimExpressionError
        Naming the expression (shortened) and what it may hold.

    Examples
    --------
    >>> parse_claim_expression("'a' * 50000000")
    Traceback (most recent call last):
    aidcalc.errors.ClaimExpressionError: "'a' * 50000000": the text 'a' stands in arithmetic ...

    """
    if not isinstance(text, str):
        raise ClaimExpressionError(f"{_shown(text)} is not an expression; write {_ACCEPTED}")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ClaimExpressionError(f"{_shown(text)} is longer than {MAX_EXPRESSION_LENGTH} characters; "
                                   "split the claim or shorten the expression")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        why = getattr(err, "msg", None) or type(err).__name__
        raise ClaimExpressionError(f"{_shown(text)} does not parse ({why}); write {_ACCEPTED}") from None
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_EXPRESSION_NODES:
        raise ClaimExpressionError(f"{_shown(text)} has {count} parts, more than "
                                   f"{MAX_EXPRESSION_NODES}; split the claim")
    _check_number(tree.body, text)
    return tree


def _fail(text, why):
    raise ClaimExpressionError(f"{_shown(text)}: {why}; write {_ACCEPTED}")


def _check_number(node, text) -> float | None:
    """Check a node that must give a number; return its value if it is a constant, else None."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str):
            _fail(text, f"the text {_shown(value, 20)} stands in arithmetic (a number or a row id "
                        "is expected there)")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            _fail(text, f"{_shown(value, 20)} is not a finite number")
        return float(value)
    if isinstance(node, ast.Name):
        if not ROW_ID.fullmatch(node.id):
            _fail(text, f"{node.id!r} is not a row id (a letter of L A P S T O and four digits)")
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _check_number(node.operand, text)
        return None if value is None else (-value if isinstance(node.op, ast.USub) else value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, _ARITHMETIC):
        left, right = _check_number(node.left, text), _check_number(node.right, text)
        if isinstance(node.op, ast.Div) and right == 0:
            _fail(text, f"divides by zero ({ast.unparse(node.right)})")
        if left is None or right is None:
            return None
        try:
            value = {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right,
                     ast.Div: left / right if right else math.nan}[type(node.op)]
        except OverflowError:
            value = math.inf
        return value if math.isfinite(value) else _fail(text, f"{ast.unparse(node)} is not finite")
    if isinstance(node, ast.Call):
        _check_call(node, text)
        return None
    what = type(node).__name__ if not isinstance(node, ast.BinOp) else type(node.op).__name__
    _fail(text, f"{what} ({_shown(ast.unparse(node), 40)}) is not allowed")


def _check_call(node, text) -> None:
    name = node.func.id if isinstance(node.func, ast.Name) else None
    if name not in FUNCTIONS:
        _fail(text, f"the function {name or ast.unparse(node.func)!r} is not allowed")
    if node.keywords:
        _fail(text, f"{name}() takes no keyword arguments")
    kinds = FUNCTIONS[name]
    if kinds[-1] == "*":
        if not node.args:
            _fail(text, f"{name}() needs at least one argument")
        kinds = kinds[:-1] * len(node.args)
    if len(node.args) != len(kinds):
        _fail(text, f"{name}() takes {len(kinds)} arguments, not {len(node.args)}")
    for arg, kind in zip(node.args, kinds, strict=True):
        if kind == "number":
            _check_number(arg, text)
        elif kind == "row":
            if not (isinstance(arg, ast.Name) and ROW_ID.fullmatch(arg.id)):
                _fail(text, f"the first argument of {name}() must be a row id, not {ast.unparse(arg)}")
        elif not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            _fail(text, f"{name}() takes a quoted {kind} there, not {_shown(ast.unparse(arg), 40)}")
        elif kind == "currency" and arg.value not in CURRENCIES:
            _fail(text, f"{arg.value!r} is not a currency of the registry ({', '.join(CURRENCIES)})")
        elif kind == "date" and (why := date_problem(arg.value)):
            _fail(text, why)


# -- across files --------------------------------------------------------------------------

def count_lines(path: Path) -> int:
    """Return the number of lines of a text file: its newlines, plus one if the last line has none."""
    raw = path.read_bytes()
    return raw.count(b"\n") + (0 if raw.endswith(b"\n") or not raw else 1)


def check_source_lines(frame, sources, seeds_dir: Path, lines: list[int] | None = None) -> list[tuple]:
    """Problems of rows whose ``line`` lies beyond the end of their source file.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with ``source_id`` and ``line``: an evidence table or the claims.
    sources : pandas.DataFrame
        ``data/sources.csv``: ``id`` and ``file``.
    seeds_dir : Path
        The folder of the source files; a file not in it is not checked.
    lines : list of int, optional
        The line in the table's file of each row (default: the row's position after the header).

    """
    files = dict(zip(sources["id"], sources["file"], strict=True))
    lengths = {}
    problems = []
    lines = lines or [i + 2 for i in range(len(frame))]
    for at, source, line in zip(lines, frame["source_id"], frame["line"], strict=True):
        name = files.get(source)
        if not isinstance(name, str) or pd.isna(line):
            continue
        if name not in lengths:
            path = seeds_dir / name
            lengths[name] = count_lines(path) if path.is_file() else None
        if lengths[name] is not None and int(line) > lengths[name]:
            problems.append((at, "line", f"{int(line)} is beyond the end of {name}, which has "
                                         f"{lengths[name]} lines; name the line of the figure (1 to "
                                         f"{lengths[name]})"))
    return problems
