"""How the pages cite: sources by short citation, rows by chapter, footnote and archive, the dataset itself.

A historian cites the thesis by chapter and footnote (with the archival reference the footnote
gives), not by the line of a text file; the line stays as a secondary locator, so a reader with
the source file finds the passage at once. The bibliography is ``data/sources.csv``; the dataset's
own citation (title, version, date, licences) comes from ``data/datapackage.json`` and
:data:`aidcalc.__version__`.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pandas as pd

from aidcalc import paths

#: Chapter headings of a source file, as they stand on a line of their own.
CHAPTER = re.compile(r"^\s*(CHAPTER\s+(?P<n>ONE|TWO|THREE|FOUR|FIVE|SIX|SEVEN|EIGHT|NINE|TEN)|"
                     r"(?P<part>INTRODUCTION|CONCLUSION))\s*$")
NUMBERS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5, "SIX": 6, "SEVEN": 7, "EIGHT": 8,
           "NINE": 9, "TEN": 10}
#: The licences of the project: its code (pyproject) and its data (datapackage.json).
CODE_LICENCE = "MIT"


def sources_table(data=None) -> pd.DataFrame:
    """Return ``data/sources.csv`` indexed by source id (empty strings for missing fields)."""
    from aidcalc.tables.context import open_data

    return open_data(data).table("sources").astype(object).fillna("").set_index("id")


def short_citation(source_id: str, sources: pd.DataFrame) -> str:
    """Return a source as a historian's short citation: the author's name and a short title.

    Examples
    --------
    >>> s = pd.DataFrame({"author": ["Ylber Marku"], "title": ["Sino-Albanian Relations: A View"],
    ...                   "kind": ["PhD thesis"]}, index=["marku_thesis"])
    >>> short_citation("marku_thesis", s)
    'Marku, Sino-Albanian Relations (PhD thesis)'
    >>> short_citation("unknown_id", s)
    'unknown_id'

    """
    if source_id not in sources.index:
        return str(source_id)
    row = sources.loc[source_id]
    author = str(row.get("author", "")).split(";")[0].strip()
    # "Keefe, Eugene K." is surname first; "Ylber Marku" is surname last
    name = author.split(",")[0] if "," in author else (author.split()[-1] if author else "")
    if author and len(author.split()) > 3 and "," not in author:
        name = author  # an institution, not a person
    # the short title: up to a date or a subtitle
    title = re.split(r"[:(,]", str(row.get("title", "")))[0].strip()
    words = title.split()
    title = " ".join(words[:8]) + ("…" if len(words) > 8 else "")
    kind = str(row.get("kind", "")).split("(")[0].strip()
    return f"{name}, {title}" + (f" ({kind})" if kind in ("PhD thesis",) else "")


@functools.lru_cache(maxsize=8)
def _chapters(file: str) -> tuple[tuple[int, str], ...]:
    path = paths.SEEDS_DIR / file
    if not file or not path.exists():
        return ()
    marks = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        match = CHAPTER.match(line)
        if match:
            marks.append((number, f"ch. {NUMBERS[match['n']]}" if match["n"] else match["part"].lower()))
    return tuple(marks)


def chapter_of(file: str, line) -> str:
    """Return the chapter of the source file ``file`` that holds ``line`` ('' when unknown).

    Examples
    --------
    >>> chapter_of("003_d1637f23de3fa7fb.txt", 924) in ("ch. 1", "")  # '' without the source file
    True

    """
    try:
        line = int(line)
    except (TypeError, ValueError):
        return ""
    found = ""
    for start, name in _chapters(file or ""):
        if start <= line:
            found = name
    return found


def source_lines(file: str, line, around: int = 2) -> list[tuple[int, str]]:
    """Return the lines ``line - around`` to ``line + around`` of a source file, numbered ([] if absent)."""
    path = paths.SEEDS_DIR / (file or "")
    try:
        line = int(line)
    except (TypeError, ValueError):
        return []
    if not file or not path.is_file():
        return []
    text = _lines(str(path))
    return [(n, text[n - 1]) for n in range(max(1, line - around), min(len(text), line + around) + 1)]


@functools.lru_cache(maxsize=8)
def _lines(path: str) -> list[str]:
    return Path(path).read_text(encoding="utf-8", errors="replace").splitlines()


def locator(row, sources: pd.DataFrame) -> str:
    """Return where a row's figure stands, as a historian cites it: chapter, footnote, archive, line.

    Examples
    --------
    >>> s = pd.DataFrame({"author": ["Ylber Marku"], "title": ["Relations"], "kind": ["PhD thesis"],
    ...                   "file": [""]}, index=["marku_thesis"])
    >>> locator({"source_id": "marku_thesis", "line": 924, "footnote": 44.0, "archival_ref": ""}, s)
    'Marku, Relations (PhD thesis), n. 44; line 924'

    """
    source = str(row.get("source_id", "") or "")
    file = str(sources.loc[source, "file"]) if source in sources.index and "file" in sources else ""
    parts = [short_citation(source, sources)]
    chapter = chapter_of(file, row.get("line"))
    if chapter:
        parts.append(chapter)
    note = row.get("footnote")
    if note is not None and not pd.isna(note) and str(note).strip():
        parts.append(f"n. {int(float(note))}" if re.fullmatch(r"\d+(\.0)?", str(note)) else f"n. {note}")
    archive = str(row.get("archival_ref", "") or "").strip()
    if archive and archive != "nan":
        parts.append(f"citing {archive.replace(' | ', '; ')}")
    text = ", ".join(parts)
    line = row.get("line")
    if line is not None and not pd.isna(line) and str(line).strip():
        text += f"; line {int(float(line))}"
    elif str(row.get("locator", "") or "").strip() not in ("", "nan"):
        text += f"; {row['locator']}"
    return text


def bibliography(data=None) -> list[dict]:
    """Return every source of ``data/sources.csv``: its id, full citation and address, by author."""
    sources = sources_table(data)
    entries = [{"id": sid, "citation": str(r["citation"]), "url": str(r.get("url", "") or ""),
                "short": short_citation(sid, sources)} for sid, r in sources.iterrows()]
    return sorted(entries, key=lambda e: e["citation"].lower())


def dataset_citation(date: str, data=None) -> dict:
    """Return how to cite the reports: the dataset's title, version, date and licences.

    Examples
    --------
    >>> c = dataset_citation("2026-01-02")
    >>> c["licence_data"], c["licence_code"], c["date"]
    ('CC-BY-4.0', 'MIT', '2026-01-02')

    """
    import aidcalc

    package = json.loads((paths.data_dir(data if isinstance(data, str | Path) else None)
                          / "datapackage.json").read_text(encoding="utf-8"))
    licences = [lic.get("name", "") for lic in package.get("licenses", [])]
    title = package.get("title", "aidcalc")
    text = (f"aidcalc, “{title}”, version {aidcalc.__version__}, reports of {date}. "
            f"Data: {', '.join(licences) or 'see datapackage.json'}; code: {CODE_LICENCE}.")
    return {"title": title, "version": aidcalc.__version__, "date": date, "text": text,
            "licence_data": ", ".join(licences), "licence_code": CODE_LICENCE}
