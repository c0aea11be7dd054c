"""Tables for people: units in headers, dashes with reasons, counts as integers, CSVs rounded."""

import re

import numpy as np
import pandas as pd
import pytest

from aidcalc.publish import columns
from aidcalc.publish import tables as present

USD = "USD (official rates via USD, gold basis)"


@pytest.fixture
def by_plan():
    return pd.DataFrame({
        "plan": pd.array([1, 3, 4], dtype="Int64"),
        "lender": ["Soviet bloc", "China", "China"],
        "committed": [63_500_000.0, 348_095_834.58345836, 873_460_449.1],
        "committed_low": [63_500_000.0, 314_586_501.25012493, np.nan],
        "committed_rows": [1, 5, 4],
        "granted_share": [np.nan, np.nan, 3.1445],
        "committed_low_by": [np.nan, "L0032 read part_of=L0034 (-33.3 million)", np.nan],
        "population": [1_312_256.6888765641, 1_757_820.635851326, 1_900_000.2],
        "committed_per_capita": [48.38992290019339, 198.0269360160702, 442.95696216570366],
    })


def cells(html):
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]


def headers(html):
    return re.findall(r"<th\b[^>]*>(.*?)</th>", html, re.S)


def test_money_in_millions_with_the_unit_in_the_header(by_plan):
    shown = present.format_table(by_plan, USD)
    heads = headers(shown.html)
    assert "committed (million USD)" in heads
    assert "committed, low (million USD)" in heads
    assert "committed (USD per person)" in heads
    assert "348.1" in cells(shown.html) and "873.5" in cells(shown.html)
    assert any(USD in n for n in shown.notes)  # the whole unit, explained under the table


def test_small_money_stays_in_units():
    shown = present.format_table(pd.DataFrame({"value": [12_500.0, 980.0]}), "RUB")
    assert headers(shown.html) == ["value (RUB)"]
    assert cells(shown.html) == ["12,500", "980"]


def test_missing_is_a_dash_with_a_footnote_saying_why(by_plan):
    shown = present.format_table(by_plan, USD)
    assert present.MISSING in cells(shown.html)
    assert f"{present.MISSING} : {present.MISSING_NOTE}" in shown.notes
    assert "nan" not in shown.html.lower().replace("nanj", "")
    # a text column with nothing to say stays empty, not a dash
    assert present.format_table(by_plan[["committed_low_by"]], USD).notes == []


def test_several_reasons_get_a_letter_each():
    t = pd.DataFrame({"a": [1.0, np.nan], "b": [np.nan, 2.0]})
    shown = present.format_table(t, missing_note={"a": "not stated", "b": "does not move the total"})
    assert shown.notes == ["–a : not stated", "–b : does not move the total"]
    assert "<sup>a</sup>" in shown.html and "<sup>b</sup>" in shown.html


def test_counts_are_integers_and_population_whole_persons(by_plan):
    shown = present.format_table(by_plan, USD)
    got = cells(shown.html)
    assert "1,312,257" in got  # whole persons, thousands separated
    assert "5" in got and "5.0" not in got
    items = pd.DataFrame({"item": ["fighter aircraft", "shells"], "requested": [65.0, 2e9]})
    text = present.format_table(items).text
    assert re.search(r"fighter aircraft\s+65\b", text)
    assert "2,000,000,000" in text and "e+" not in text


def test_plans_are_labels_and_headers_are_words(by_plan):
    shown = present.format_table(by_plan, USD)
    assert "3rd plan 1961-65" in cells(shown.html)
    assert "committed rows" in headers(shown.html)
    assert "granted share" in headers(shown.html)
    assert columns.header("committed_low") == "committed, low"


def test_no_index_column_but_a_named_index_is_kept():
    t = pd.DataFrame({"x": [1, 2]}, index=[5, 9])
    assert headers(present.format_table(t).html) == ["x"]
    reasons = pd.Series({"repeats row L0021": 4}, name="rows").rename_axis("reason").to_frame()
    shown = present.format_table(reasons)
    assert headers(shown.html) == ["reason", "rows"]
    assert cells(shown.html) == ["repeats row L0021", "4"]


def test_long_text_is_shown_in_full_and_wraps():
    detail = "stated 2.54e+08 vs recomputed 2.54e+08: off by 0.00% (rounding allows 0.20%); " * 3
    shown = present.format_table(pd.DataFrame({"id": ["C001"], "detail": [detail]}))
    assert detail.strip() in shown.html.replace("&#x27;", "'")
    assert 'class="long"' in shown.html
    assert "..." not in shown.html


def test_tonnes_are_measures_in_their_unit():
    t = pd.DataFrame({"year": [1968, 1969], "delivered": [99_000.0, 1_400.0], "expected": [160_000.0, 266.218]})
    shown = present.format_table(t, "t")
    assert headers(shown.html) == ["year", "delivered (t)", "expected (t)"]
    assert cells(shown.html) == ["1968", "99,000", "160,000", "1969", "1,400", "266.2"]


def test_the_notebook_shows_it_as_html(by_plan):
    shown = present.format_table(by_plan, USD)
    assert shown._repr_html_().count("<table") == 1
    assert str(shown).splitlines()[0].startswith("plan")


def test_report_session_show_displays_the_formatted_table(monkeypatch, by_plan):
    import IPython.display

    import aidcalc

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    session = aidcalc.start_report(currency="USD")
    assert session.show(by_plan, unit=USD) is None
    assert isinstance(shown[0], present.PresentedTable)
    assert "committed (million USD)" in shown[0].html


def test_every_header_cell_says_it_heads_a_column(by_plan):
    html = present.format_table(by_plan, USD).html
    heads = re.findall(r"<th\b[^>]*>", html)
    assert len(heads) == len(by_plan.columns) == 9
    assert all('scope="col"' in h for h in heads)


@pytest.mark.parametrize("name", ["line", "thesis_line", "footnote"])
def test_line_numbers_are_written_alike_without_a_separator(name):
    # loans.csv L0008 stands on line 1029 of the thesis, L0010 on line 1074
    shown = present.format_table(pd.DataFrame({name: [1029.0, 1074.0]}))
    assert cells(shown.html) == ["1029", "1074"]


def test_amounts_in_millions_all_take_one_decimal_and_none_reads_minus_zero():
    # a reading that moves a 348.1 million total by -7,200 USD is -0.0072 million: under a tenth
    moves = pd.DataFrame({"move": [-33_300_000.0, -7_200.0, 0.0, 30_000.0, 430_500_000.0]})
    import html

    shown = [html.unescape(c) for c in cells(present.format_table(moves, "USD").html)]
    assert shown == ["\u221233.3", ">\u22120.1", "0.0", "<0.1", "430.5"]


def test_a_missing_figure_whose_reason_has_an_apostrophe_still_gets_its_dash():
    reason = "no value in the sources, or no category of China's account"
    shown = present.format_table(pd.DataFrame({"value": [1.0, np.nan]}), "t", missing_note=reason)
    assert "{no value" not in shown.html and cells(shown.html)[1] == present.MISSING
    assert f"{present.MISSING} : {reason}" in shown.notes


def test_a_share_in_percent_reads_to_one_decimal_with_the_sign_in_its_header():
    # the thesis documents 2,309.7 million USD of loans against China's 2,650.0: 87.157771 %
    t = pd.DataFrame({"category": ["loans"], "share": [2309.68 / 2650.0 * 100], "granted_share": [0.871578]})
    shown = present.format_table(t, percent_columns=["share"])
    assert "87.2" in shown.html and "87.158" not in shown.html
    assert "share (%)" in shown.html
    assert "0.872" in shown.html  # a share not named a percent stays a ratio of three decimals
