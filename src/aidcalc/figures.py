"""Read a figure as the sources write it ("1.56 billion", "fifty thousand", "0,5") into numbers."""

from __future__ import annotations

import re

_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
          "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
          "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
          "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
          "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "single": 1, "twice": 2,
          "doubled": 2, "third": 3, "second": 2}
_SCALES = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9}
_NUMBER = re.compile(r"\d[\d,.]*")


def _digit_readings(token: str) -> set[float]:
    """Return the readings of a digit string whose separators may be decimal or thousands marks."""
    token = token.rstrip(".,")
    readings = set()
    if re.fullmatch(r"\d{1,3}([,.]\d{3})+", token):
        readings.add(float(re.sub(r"[,.]", "", token)))  # thousands separators
    if token.count(",") + token.count(".") == 1:
        readings.add(float(token.replace(",", ".")))  # one decimal mark, point or comma
    if token.isdigit():
        readings.add(float(token))
    return readings


def read_figure(text: str) -> set[float]:
    """Every number a figure's text can mean, scale words applied.

    Ambiguous separators give both readings ("229.000" is 229000 or 229); a figure whose
    scale word stands on the next line of the source gives the bare number times 1, a
    thousand, a million and a billion.

    Examples
    --------
    >>> sorted(read_figure("1.56 billion yuan"))
    [1560000000.0]
    >>> sorted(read_figure("one and a half million"))
    [1500000.0]
    >>> sorted(read_figure("229.000 tons"))[:2]  # no scale word: the bare readings come first
    [229.0, 229000.0]
    >>> 30000.0 in read_figure("thirty-five")  # 'thousand' may follow on the next line
    False

    """
    # A range ("40-50%", "one to two million") is read as each of its ends.
    parts = re.split(r"\bto\b|(?<=\d)-(?=\d)", text.lower())
    scale_words = re.findall(r"thousand|million|billion", text.lower())
    scale = _SCALES[scale_words[0]] if scale_words else None
    factors = [scale] if scale else [1, 1e3, 1e6, 1e9]
    return {round(b * f, 6) for part in parts for b in _read_number(part) for f in factors}


def _read_number(text: str) -> set[float]:
    words = re.findall(r"[a-z]+|\d[\d,.]*", text.replace("-", " "))
    digits = [w for w in words if w[0].isdigit()]
    if digits:
        return _digit_readings(digits[0])
    if words[:1] == ["half"] or words[:2] in (["one", "half"], ["a", "half"]):
        return {0.5}
    total = 0.0
    for w in words:
        if w in _UNITS:
            total += _UNITS[w]
        elif w == "hundred":
            total = (total or 1) * 100
        elif w == "half":
            total += 0.5  # "one and a half"
    return {total} if total else set()
