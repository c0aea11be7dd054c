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
#: A scale word that starts the text following a figure in its source ("254" then "million
#: rubles" on the next line), past spaces and punctuation, or that closes a pair of figures
#: ("100 out of 500 million", "665 and 600 million", "40-50 million").
_SCALE_AFTER = re.compile(
    r"[\s,.;:()'\"]*(?:(?:-|and|or|to|out of)\s*\d[\d,.]*\s+)?(thousand|million|billion)\b")


def _digit_readings(token: str, separator: str | None = None) -> set[float]:
    """Return the readings of a digit string whose separators may be decimal or thousands marks."""
    token = token.rstrip(".,")
    readings = set()
    grouped = re.fullmatch(r"\d{1,3}([,.]\d{3})+", token) is not None
    single = token.count(",") + token.count(".") == 1
    if grouped and not (single and separator == "decimal"):
        readings.add(float(re.sub(r"[,.]", "", token)))  # thousands separators
    if single and not (grouped and separator == "thousands"):
        readings.add(float(token.replace(",", ".")))  # one decimal mark, point or comma
    if token.isdigit():
        readings.add(float(token))
    return readings


def scale_after(following: str) -> float:
    r"""Return the scale a word at the start of the text after a figure gives it (1 if none).

    Examples
    --------
    >>> scale_after(" \nmillion rubles"), scale_after(" out of 500 million"), scale_after(" tons")
    (1000000.0, 1000000.0, 1)

    """
    match = _SCALE_AFTER.match(following.lower())
    return _SCALES[match.group(1)] if match else 1


#: Fractions written in words: "two thirds", "three quarters", "one fifth".
_PARTS = {"third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fifth": 5, "fifths": 5}
_FRACTION = re.compile(r"(one|two|three|four)[ -](thirds?|quarters?|fifths?)")


def read_figure(text: str, following: str | None = None, separator: str | None = None) -> set[float]:
    r"""Every number a figure's text can mean, scale words applied.

    Parameters
    ----------
    text : str
        The figure as the source writes it.
    following : str, optional
        The source's text after the figure (the rest of its line and the next line). When
        given, a figure with no scale word of its own takes the scale word that starts it
        (:func:`scale_after`), or none. When not given, such a figure gives the bare number
        times 1, a thousand, a million and a billion, as its scale word may stand elsewhere.
    separator : {"decimal", "thousands"}, optional
        How to read one separator before three digits ("229.000", "1,880"). By default, with
        ``following`` given, as a decimal mark before a scale word ("1,880 billion") and as a
        thousands separator otherwise ("229.000 tons"); without it, both readings.

    Examples
    --------
    >>> sorted(read_figure("1.56 billion yuan"))
    [1560000000.0]
    >>> sorted(read_figure("one and a half million"))
    [1500000.0]
    >>> sorted(read_figure("two thirds"))  # a share, to six decimals
    [0.666667]
    >>> sorted(read_figure("two", following=" \nthirds of it"))  # broken over two lines
    [0.666667]
    >>> sorted(read_figure("229.000 tons"))[:2]  # no scale word: the bare readings come first
    [229.0, 229000.0]
    >>> sorted(read_figure("229.000 tons", separator="thousands"))[:2]
    [229000.0, 229000000.0]
    >>> 30000.0 in read_figure("thirty-five")  # 'thousand' may follow on the next line
    False
    >>> sorted(read_figure("254", following=" \nmillion rubles"))  # the scale word that follows
    [254000000.0]
    >>> sorted(read_figure("254", following=" rubles"))  # no scale word follows: the bare number
    [254.0]
    >>> sorted(read_figure("229.000 tons", following="")), sorted(read_figure("1,880 billion", following=""))
    ([229000.0], [1880000000.0])

    """
    # a fraction broken over two lines ("two" / "thirds of it") is read with the word that follows
    after = following.split()[0].lower() if following and following.split() else ""
    whole = f"{text.strip().lower()} {after}"
    fraction = _FRACTION.fullmatch(text.strip().lower()) or _FRACTION.fullmatch(whole)
    if fraction:  # "two thirds": the share as a number, to six decimals as every reading is
        return {round(_UNITS[fraction.group(1)] / _PARTS[fraction.group(2)], 6)}
    # A range ("40-50%", "one to two million") is read as each of its ends.
    parts = re.split(r"\bto\b|(?<=\d)-(?=\d)", text.lower())
    scale_words = re.findall(r"thousand|million|billion", text.lower())
    if scale_words:
        factors = [_SCALES[scale_words[0]]]
    elif following is not None:
        factors = [scale_after(following)]
    else:
        factors = [1, 1e3, 1e6, 1e9]
    if following is not None and separator is None:
        separator = "decimal" if factors[0] != 1 else "thousands"
    return {round(b * f, 6) for part in parts for b in _read_number(part, separator) for f in factors}


def _read_number(text: str, separator: str | None = None) -> set[float]:
    words = re.findall(r"[a-z]+|\d[\d,.]*", text.replace("-", " "))
    digits = [w for w in words if w[0].isdigit()]
    if digits:
        return _digit_readings(digits[0], separator)
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
