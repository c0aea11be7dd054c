"""Load the project's tables, validated against their Frictionless table schemas."""

from __future__ import annotations

import csv
import io as _stdio
import json
import math
import re
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from aidcalc.errors import DataValidationError, UnknownParameterError

#: The tables that hold figures from the sources, each with the one-letter id prefix of its rows.
EVIDENCE_TABLES = {
    "loans": "L",
    "arms_shipments": "A",
    "projects": "P",
    "specialists": "S",
    "trade": "T",
    "other_figures": "O",
}

#: Raised when the checks change, so that a table remembered as valid by older checks is
#: checked again (see :meth:`aidcalc.tables.context.DataContext.table`).
CHECKS_VERSION = "3"

#: The only forms of numbers the tables may hold: plain ASCII digits, no underscores or
#: thousands separators, no infinities.
_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_FORMS = {"integer": "an integer: plain ASCII digits with an optional leading minus, e.g. 1961",
          "number": "a number: plain ASCII digits as [-]digits[.digits][e[-]digits], e.g. 6500000 or 1.5e6",
          "boolean": "true or false"}
#: The longest cell read (the csv module's default is 128 KiB).
_FIELD_LIMIT = 1 << 26
_TRUE, _FALSE = ("true", "True", "TRUE", "1"), ("false", "False", "FALSE", "0")
#: Stands for a cell that did not parse (already reported), so it is not also reported as empty.
_UNREAD = object()


def _descriptor(data_dir: Path) -> dict:
    return json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))


def table_names(data_dir: Path) -> list[str]:
    """Return the names of the tables of the data package in ``data_dir``."""
    return [r["name"] for r in _descriptor(data_dir)["resources"]]


def resource_descriptor(name: str, data_dir: Path) -> dict:
    """Return a table's descriptor in ``datapackage.json``, its schema read in."""
    resources = {r["name"]: r for r in _descriptor(data_dir)["resources"]}
    if name not in resources:
        raise UnknownParameterError(
            f"no table {name!r} in {data_dir / 'datapackage.json'}; "
            f"known tables: {', '.join(sorted(resources))}"
        )
    resource = dict(resources[name])
    if isinstance(resource["schema"], str):
        resource["schema"] = json.loads((data_dir / resource["schema"]).read_text(encoding="utf-8"))
    return resource


def table_files(data_dir: Path, name: str) -> list[Path]:
    """Return the files a table's validity depends on: itself, the descriptor, schemas, references.

    Each table is named by the path ``datapackage.json`` gives it (which need not be
    ``<name>.csv``), and so is every table it refers to: those of its foreign keys and, for an
    evidence table, the other evidence tables (rows point at rows there through ``same_as`` and
    ``part_of``).
    """
    resource = resource_descriptor(name, data_dir)
    referred = [k["reference"].get("resource") or name for k in resource["schema"].get("foreignKeys", [])]
    referred.append("sources")  # the checks of meaning read sources.csv whatever the schema says
    if name in EVIDENCE_TABLES:
        referred += [other for other in EVIDENCE_TABLES if other != name]
    files = [data_dir / "datapackage.json", _table_path(data_dir, name)]
    files += [_table_path(data_dir, other) for other in dict.fromkeys(referred) if other != name]
    return files + sorted((data_dir / "schemas").glob("*.json"))


def _table_path(data_dir: Path, name: str) -> Path:
    """Return the file ``datapackage.json`` gives a table (``<name>.csv`` for one it does not list)."""
    resources = {r["name"]: r for r in _descriptor(data_dir)["resources"]}
    path = resources.get(name, {}).get("path")
    return data_dir / (path if isinstance(path, str) else f"{name}.csv")


def _decode(path: Path) -> str:
    """Return a file's text, decoded as strict UTF-8, or raise naming the line of the bad byte."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataValidationError(path, [("-", None, f"cannot be read ({err.strerror})")]) from None
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        line_start = raw.rfind(b"\n", 0, err.start) + 1
        header = next(csv.reader([raw.split(b"\n", 1)[0].decode("utf-8", "replace")]), [])
        before = raw[line_start:err.start].decode("utf-8", "replace")
        cells = next(csv.reader([before]), []) if before else [""]
        column = header[len(cells) - 1] if line > 1 and 0 < len(cells) <= len(header) else None
        bad = raw[err.start:err.end]
        shown = raw[line_start:err.end + 10].split(b"\n")[0].decode("utf-8", "replace")[-50:]
        raise DataValidationError(path, [(line, column, (
            f"byte {err.start} (0x{bad.hex()}, character {err.start - line_start + 1} of the line, "
            f"in ...{shown!r}) is not UTF-8 ({err.reason}); save the file as UTF-8, e.g. "
            f"{bad.decode('latin-1')!r} written as UTF-8"))]) from None


def _records(path: Path) -> tuple[list[str], list[int], list[list[str]]]:
    """Return a CSV file's header, and the first line in the file and cells of each row."""
    reader = csv.reader(_stdio.StringIO(_decode(path), newline=""))
    lines, rows, start = [], [], 1
    limit = csv.field_size_limit()
    try:  # a long cell is read, so that its own check names its column, not refused as CSV
        csv.field_size_limit(max(limit, _FIELD_LIMIT))
        for row in reader:
            if row:  # a blank line holds no row
                lines.append(start)
                rows.append(row)
            start = reader.line_num + 1
    except csv.Error as err:
        raise DataValidationError(path, [(reader.line_num, None, f"is not CSV ({err})")]) from None
    finally:
        csv.field_size_limit(limit)
    if not rows:
        raise DataValidationError(path, [(1, None, "the file is empty: it has no header")])
    return rows[0], lines[1:], rows[1:]


def _check_header(path: Path, header: list[str], names: list[str], schema_file: str) -> None:
    problems = []
    for column, count in Counter(header).items():
        if count > 1:
            problems.append((1, column, f"the column {column!r} stands {count} times in the header"))
    for column in header:
        if column not in names:
            problems.append((1, column, f"extra column {column!r}: {schema_file} has no such field; "
                                        f"the columns are: {', '.join(names)}"))
    for i, column in enumerate(names):
        if column not in header:
            where = f"after {names[i - 1]!r}" if i else "first"
            problems.append((1, column, f"missing column {column!r} ({where}): {schema_file} "
                                        "requires it; add it to the header and a cell to every row"))
    if problems:
        raise DataValidationError(path, problems)


_DECIMAL_COMMA = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{3})*,[0-9]+|-?[0-9]+,[0-9]{1,2}")
_THOUSANDS = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")


def _suggestion(text: str, kind: str) -> str:
    """Return how to write a number given with a decimal comma, separators or non-ASCII digits.

    Examples
    --------
    >>> _suggestion("1,5", "number"), _suggestion("1.234,5", "number"), _suggestion("6,500,000", "number")
    ("; it looks like a decimal comma: write '1.5'", "; it looks like a decimal comma: write '1234.5'", \
"; write '6500000'")

    """
    plain = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in text if c not in "_ ")
    plain = unicodedata.normalize("NFKC", plain)
    form = _INTEGER if kind == "integer" else _NUMBER
    if _THOUSANDS.fullmatch(plain):
        plain = plain.replace(",", "")
    elif _DECIMAL_COMMA.fullmatch(plain):
        if kind != "number":
            return f"; it looks like a decimal comma, but {_FORMS[kind].split(':')[0]} has no decimals"
        return f"; it looks like a decimal comma: write {plain.replace('.', '').replace(',', '.')!r}"
    return f"; write {plain!r}" if form.fullmatch(plain) else ""


def _parse(field: dict, value: str):
    """Return a cell's typed value, or raise ValueError naming the value and the accepted form."""
    kind = field.get("type", "string")
    if kind == "integer" and _INTEGER.fullmatch(value):
        return int(value)
    if kind == "number" and _NUMBER.fullmatch(value):
        number = float(value)
        if math.isfinite(number):
            return number
        raise ValueError(f"{value!r} is too large to be a finite number; write {_FORMS[kind]}")
    if kind == "boolean" and value in _TRUE + _FALSE:
        return value in _TRUE
    if kind in _FORMS:
        raise ValueError(f"{value!r} is not {_FORMS[kind]}{_suggestion(value, kind)}")
    return value


def _cells(fields, missing, header, lines, rows, check: bool):
    """Parse every cell against its field; return the typed columns, the texts and the problems."""
    at = {name: header.index(name) for name in (f["name"] for f in fields)}
    columns = {f["name"]: [] for f in fields}
    texts = {f["name"]: [] for f in fields}
    problems = []
    for line, row in zip(lines, rows, strict=True):
        if len(row) != len(header):
            more = (f"extra cells {row[len(header):]!r}" if len(row) > len(header)
                    else f"no cells for {', '.join(header[len(row):])}")
            problems.append((line, None, f"{len(row)} cells where the header has {len(header)} ({more}); "
                                         "quote a cell that holds a comma"))
            row = (row + [""] * len(header))[:len(header)]
        for field in fields:
            name = field["name"]
            text = row[at[name]]
            value = None
            if text not in missing:
                try:
                    value = _parse(field, text)
                except ValueError as err:
                    problems.append((line, name, str(err)))
                    value = _UNREAD
            columns[name].append(value)
            texts[name].append(text)
    if check:
        problems += _constraints(fields, columns, lines)
    for name, values in columns.items():  # what did not parse is missing to whatever reads on
        columns[name] = [None if v is _UNREAD else v for v in values]
    return columns, texts, problems


def _constraints(fields, columns, lines) -> list[tuple]:
    problems = []
    for field in fields:
        name, rules = field["name"], field.get("constraints", {})
        pattern = re.compile(rules["pattern"]) if "pattern" in rules else None
        seen = {}
        for line, value in zip(lines, columns[name], strict=True):
            if value is _UNREAD:
                continue
            if value is None:
                if rules.get("required") or field.get("_key"):
                    problems.append((line, name, "empty, but the column is required; write a value"))
                continue
            if (rules.get("unique") or field.get("_key")) and seen.setdefault(value, line) != line:
                problems.append((line, name, f"{value!r} repeats line {seen[value]}; each value "
                                             "of the column must be unique"))
            if "enum" in rules and value not in rules["enum"]:
                from aidcalc.tables.rules import suggestion

                problems.append((line, name, f"{value!r} is not one of the allowed values"
                                             f"{suggestion(value, rules['enum'])}: "
                                             f"{', '.join(map(str, rules['enum']))}"))
            if pattern is not None and isinstance(value, str) and not pattern.fullmatch(value):
                problems.append((line, name, f"{value!r} does not match the pattern {rules['pattern']}"))
            if "minimum" in rules and value < rules["minimum"]:
                problems.append((line, name, f"{value!r} is below the minimum {rules['minimum']}"))
            if "maximum" in rules and value > rules["maximum"]:
                problems.append((line, name, f"{value!r} is above the maximum {rules['maximum']}"))
    return problems


def _column(data_dir: Path, name: str, columns: tuple[str, ...]) -> list[tuple]:
    """Return the cells of some columns of a table, untyped (empty as None), for references to it."""
    path = data_dir / resource_descriptor(name, data_dir)["path"]
    header, _, rows = _records(path)
    at = [header.index(c) if c in header else None for c in columns]
    return [tuple((row[i] or None) if i is not None and i < len(row) else None for i in at) for row in rows]


def _foreign_keys(data_dir, schema, columns, lines) -> list[tuple]:
    problems = []
    for key in schema.get("foreignKeys", []):
        fields = [key["fields"]] if isinstance(key["fields"], str) else key["fields"]
        ref = key["reference"]
        ref_fields = [ref["fields"]] if isinstance(ref["fields"], str) else ref["fields"]
        known = {tuple(r) for r in _column(data_dir, ref["resource"], tuple(ref_fields))}
        for i, line in enumerate(lines):
            value = tuple(columns[f][i] for f in fields)
            if None not in value and value not in known:
                shown = ", ".join(sorted(str(k[0]) if len(k) == 1 else str(k) for k in known)[:12])
                problems.append((line, fields[0], f"{value[0] if len(value) == 1 else value!r} is not "
                                                  f"in the column {ref_fields[0]!r} of {ref['resource']}; "
                                                  f"known: {shown}"))
    return problems


def read_table(data_dir: Path, name: str, known_valid: bool = False) -> pd.DataFrame:
    """Read one table, typed from its schema, and (unless ``known_valid``) check every row.

    The one reader of the tables: the file is decoded as strict UTF-8 and read once with the
    csv module; its header is matched to the schema by name; every cell is parsed by its
    field's type (plain ASCII numbers only); unless ``known_valid``, the schema's constraints,
    foreign keys and the checks of meaning (:mod:`aidcalc.tables.rules`) are applied; the frame is
    built from the same parsed cells. What validates thus loads, and nothing else does.

    Callers go through :class:`aidcalc.tables.context.DataContext`, which caches the result.

    Raises
    ------
    DataValidationError
        Naming the file and, for each problem, the line, column, value and what is accepted.

    """
    from aidcalc.tables import rules

    resource = resource_descriptor(name, data_dir)
    schema = resource["schema"]
    path = data_dir / resource["path"]
    keys = schema.get("primaryKey", [])
    keys = [keys] if isinstance(keys, str) else keys
    fields = [{**f, "_key": f["name"] in keys} for f in schema["fields"]]
    schema_file = _schema_file(name, data_dir)
    header, lines, rows = _records(path)
    _check_header(path, header, [f["name"] for f in fields], schema_file)
    missing = set(schema.get("missingValues", [""]))
    columns, texts, problems = _cells(fields, missing, header, lines, rows, check=not known_valid)
    if not known_valid and not problems:
        problems += _foreign_keys(data_dir, schema, columns, lines)
        problems += rules.check_cells(fields, columns, lines)
        if name in EVIDENCE_TABLES:
            links = {}
            for other in EVIDENCE_TABLES:
                if other != name and _table_path(data_dir, other).exists():
                    rows_of = _column(data_dir, other, ("id", "same_as", "part_of"))
                    links.update({r[0]: r[1:] for r in rows_of})
            links.update(zip(columns["id"], zip(columns["same_as"], columns["part_of"], strict=True),
                             strict=True))
            problems += rules.check_evidence(columns, lines, links, texts)
            if not problems and "alternative" in columns:
                problems += _alternatives(fields, columns, lines, links)
        problems += rules.check_table(name, columns, lines)
        if name == "claims":
            problems += rules.check_claims(columns, lines)
    if problems:
        raise DataValidationError(path, sorted(problems, key=lambda p: (_order(p[0]), str(p[1]))))
    return pd.DataFrame({f["name"]: _array(f, columns[f["name"]]) for f in fields})


def _alternatives(fields, columns, lines, links) -> list[tuple]:
    """Problems of the ``alternative`` readings: each row as its reading gives it, checked as any row.

    The pairs are parsed by the fields' types, then the rows that carry one pass the same
    constraints and checks of meaning as the table (run only once the table itself is clean,
    so every problem found is the alternative's).
    """
    from aidcalc.tables import rules

    by_name = {f["name"]: f for f in fields}
    rows = [i for i, text in enumerate(columns["alternative"]) if text is not None and text.strip()]
    alt = {name: [columns[name][i] for i in rows] for name in columns}
    alt_lines = [lines[i] for i in rows]
    problems, alt_links = [], dict(links)
    for k, i in enumerate(rows):
        pairs, bad = rules.alternative_pairs(columns["alternative"][i])
        problems += [(lines[i], "alternative", why) for why in bad]
        for key, text in pairs.items():
            try:
                alt[key][k] = None if text is None else _parse(by_name[key], text)
            except ValueError as err:
                problems.append((lines[i], "alternative", f"{key}={text}: {err}"))
        alt_links[columns["id"][i]] = (alt["same_as"][k], alt["part_of"][k])
    inner = _constraints(fields, alt, alt_lines) + rules.check_evidence(alt, alt_lines, alt_links)
    return problems + [(line, "alternative", f"in the alternative reading, {column}: {why}")
                       for line, column, why in inner]


def _order(line) -> int:
    return line if isinstance(line, int) else 0


def _schema_file(name: str, data_dir: Path) -> str:
    """Where a table's schema stands: its schema file, or datapackage.json itself."""
    schema = {r["name"]: r for r in _descriptor(data_dir)["resources"]}[name]["schema"]
    return f"data/{schema}" if isinstance(schema, str) else "the schema in data/datapackage.json"


def _array(field: dict, values: list):
    kind = field.get("type", "string")
    if kind == "number":
        return np.array([np.nan if v is None else v for v in values], dtype="float64")
    return pd.array(values, dtype=_PANDAS_TYPES.get(kind, "string"))


_PANDAS_TYPES = {"integer": "Int64", "number": "float64", "string": "string", "boolean": "boolean"}


def row_lines(data_dir: Path, name: str) -> list[int]:
    """Return the line in its file of each row of a table, in the order of :func:`read_table`'s rows."""
    path = data_dir / resource_descriptor(name, data_dir)["path"]
    return _records(path)[1]
