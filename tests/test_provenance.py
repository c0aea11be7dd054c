"""Every row of data/ points at a line of its source that holds its figure."""

import math

import pytest
from support import requires_seeds, seed_lines

from aidcalc.figures import read_figure
from aidcalc.io import load_evidence, load_table

EVIDENCE = load_evidence()
SOURCES = load_table("sources").set_index("id")["file"]


@requires_seeds
@pytest.mark.parametrize("row", EVIDENCE.to_dict("records"), ids=lambda r: r["id"])
def test_the_row_figure_stands_on_the_line_it_names(row):
    lines = seed_lines(SOURCES[row["source_id"]])
    assert 1 <= row["line"] <= len(lines)
    assert row["figure_text"] in lines[row["line"] - 1], (
        f"{row['id']}: {row['figure_text']!r} is not on line {row['line']} of {SOURCES[row['source_id']]}"
    )


@pytest.mark.parametrize("row", EVIDENCE.to_dict("records"), ids=lambda r: r["id"])
def test_the_amount_is_a_reading_of_the_figure_text(row):
    readings = read_figure(row["figure_text"])
    assert any(math.isclose(row["amount"], r, rel_tol=1e-9) for r in readings), (
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
