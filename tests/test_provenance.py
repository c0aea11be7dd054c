"""Every row of data/ points at a line of its source that holds its figure, at the scale it says."""

import math
import re

import pytest
from support import following_text, requires_seeds, seed_lines

from aidcalc.evidence.figure_text import read_figure
from aidcalc.tables.context import load_evidence, load_table

EVIDENCE = load_evidence()
SOURCES = load_table("sources").set_index("id")["file"]
ROWS = EVIDENCE.to_dict("records")


def _separator(row) -> str | None:
    """How the row's note says to read an ambiguous separator, if it says ("read as decimal")."""
    note = row["note"] if isinstance(row["note"], str) else ""
    if re.search(r"\bdecimal\b", note):
        return "decimal"
    if re.search(r"\bthousands? separator", note):
        return "thousands"
    return None


def _readings(row) -> set[float]:
    """The amounts the figure can mean where it stands: its scale word, or the one that follows."""
    lines = seed_lines(SOURCES[row["source_id"]])
    following = following_text(lines, row["line"], row["figure_text"])
    return read_figure(row["figure_text"], following, _separator(row))


def _is_reading(amount, readings) -> bool:
    return any(math.isclose(amount, r, rel_tol=1e-9) for r in readings)


@requires_seeds
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["id"])
def test_the_row_figure_stands_on_the_line_it_names(row):
    lines = seed_lines(SOURCES[row["source_id"]])
    assert 1 <= row["line"] <= len(lines)
    here = lines[row["line"] - 1]
    # a figure broken over two lines ("two" / "thirds") starts on its line and ends on the next
    across = here.rstrip() + " " + (lines[row["line"]].lstrip() if row["line"] < len(lines) else "")
    assert row["figure_text"] in here or (row["figure_text"] in across and not across.startswith(row["figure_text"])
                                          and row["figure_text"].split()[0] in here), (
        f"{row['id']}: {row['figure_text']!r} is not on line {row['line']} of {SOURCES[row['source_id']]}"
    )


@requires_seeds
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["id"])
def test_the_amount_is_the_figure_at_the_scale_the_source_gives_it(row):
    readings = _readings(row)
    assert _is_reading(row["amount"], readings), (
        f"{row['id']}: amount {row['amount']} is not a reading of {row['figure_text']!r} "
        f"(line {row['line']}, with the scale word that follows it, if any): {sorted(readings)}"
    )


@requires_seeds
@pytest.mark.parametrize("factor", [1e3, 1e-3, 1e6, 1e-6])
def test_an_amount_a_thousand_or_a_million_times_off_fails_the_provenance_check_in_every_row(factor):
    passing = [row["id"] for row in ROWS if _is_reading(row["amount"] * factor, _readings(row))]
    assert not passing, f"amounts {factor:g} times too large would pass in rows {passing}"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r["id"])
def test_the_amount_is_a_reading_of_the_figure_text(row):
    # without the sources: some scale (none, thousand, million, billion) must give the amount
    readings = read_figure(row["figure_text"])
    assert _is_reading(row["amount"], readings), (
        f"{row['id']}: amount {row['amount']} is not a reading of {row['figure_text']!r}: {sorted(readings)}"
    )


def test_repeats_and_parts_point_at_rows_that_exist():
    ids = set(EVIDENCE["id"])
    for column in ("same_as", "part_of"):
        targets = set(EVIDENCE[column].dropna())
        assert targets <= ids, f"{column} points at missing rows {sorted(targets - ids)}"


def test_an_archival_reference_always_comes_with_its_footnote_or_the_transcript():
    with_ref = EVIDENCE[EVIDENCE["archival_ref"].notna() & (EVIDENCE["source_id"] == "marku_thesis")]
    assert with_ref["footnote"].notna().all()


def test_ruble_yuan_and_lek_rows_carry_their_vintage():
    money = EVIDENCE[EVIDENCE["unit"].isin(["RUB", "CNY", "ALL"])]
    missing = sorted(money.loc[money["vintage"].isna(), "id"])
    assert not missing, f"rows without a vintage: {missing}"


def test_no_row_writes_tonnes_as_pint_short_tons():
    assert not EVIDENCE["unit"].isin(["ton", "tons", "short_ton"]).any()


def test_each_independent_figure_is_located_by_a_few_words_of_its_own():
    # the locator ends with a short quotation of the source at the figure, which holds the figure
    # as the row writes it or is held by it: no passage, and no locator pointing elsewhere
    independent = load_table("independent")
    for row in independent.itertuples():
        quoted = re.search(r"'([^']+)'\s*$", row.locator)
        assert quoted, f"{row.id}: locator {row.locator!r} ends with no quotation"
        words = quoted.group(1)
        assert len(words.split()) <= 8 and len(words) <= 60, f"{row.id}: {words!r} is more than a few words"
        assert words in row.figure_text or row.figure_text in words, (
            f"{row.id}: the locator's {words!r} and the figure {row.figure_text!r} do not overlap")
