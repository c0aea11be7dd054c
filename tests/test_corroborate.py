"""Independent figures against the thesis rows they speak to, each verdict with its arithmetic."""

import csv

import pytest

from aidcalc import convert, open_data
from aidcalc.errors import UnknownReferenceError
from aidcalc.evidence.corroboration import corroborate

LINKS = corroborate().set_index(["independent_id", "thesis_id"])


@pytest.mark.parametrize(
    ("link", "thesis_value", "independent", "verdict", "supported"),
    [
        # Area Handbook 1971: the 1954 loan, 50 million old rubles at 4.00 per USD = 12.5 million USD
        (("I0002", "L0008"), 50e6 / 4.00, 12.5e6, "agrees", "default"),
        # Area Handbook 1971: the 1959 credit, 55 million old rubles / 4.00 = 13.75 million USD
        (("I0003", "L0018"), 55e6 / 4.00, 13.75e6, "agrees", "default"),
        # Area Handbook 1971: the 1961 loan read as old rubles, 500e6 / 4.444 / 0.90 = 125.0 million USD
        # against 123 million: 1.6% off, within the 2% allowed; as new rubles 555.6 million, 4.5 times
        (("I0004", "L0021"), 500e6 / 4.444 / 0.90, 123e6, "agrees", "default"),
        # Wang Hongqi: 250 million yuan; old reading at the clearing rate 500e6 / 4.444 x 2.22
        (("I0028", "L0021"), 500e6 / 4.444 * 2.22, 250e6, "agrees", "default"),
        # the Wikipedia pointer: 125 million USD = 500 million old rubles / 4.00
        (("I0034", "L0021"), 500e6 / 4.444 / 0.90, 125e6, "agrees", "default"),
        # the Zhou memorandum: the 55 million of January 1959, in old rubles on both sides
        (("I0014", "L0018"), 55e6, 55e6, "agrees", "default"),
        # a balance outstanding in 1965 is not the first-plan credit: context, never a verdict
        (("I0008", "L0005"), 55e6 / 4.00, 25e6, "not comparable", "not comparable"),
        # a Chinese record of April 1961 names '500 million ruble' without a vintage: context only
        (("I0018", "L0021"), 500e6 / 4.444, 500e6, "not comparable", "not comparable"),
        # the Chinese side's 1.95 billion yuan of August 1970 against the 1.88 billion signed in
        # October (L0054): 1,880 / 1,950 = 0.964, off by more than the 2% rounding allows
        (("I0035", "L0054"), 1.88e9, 1.95e9, "contradicts", "neither"),
        # the 1975 loan, 1 billion yuan on the Chinese side, against 225 million account rubles at
        # 1,880/445 yuan per ruble (R049, line 5881): 950.6 million yuan, 4.9% short
        (("I0038", "L0065"), 225e6 * 1880 / 445, 1e9, "contradicts", "neither"),
        # 420 million rubles to North Korea, dated 5 Oct 1960: old rubles on both sides
        (("I0039", "L0037"), 420e6, 420e6, "agrees", "default"),
    ],
)
def test_each_link_gets_its_verdict_from_the_arithmetic(link, thesis_value, independent, verdict, supported):
    row = LINKS.loc[link]
    assert row["default"] == pytest.approx(thesis_value)
    assert row["default_ratio"] == pytest.approx(thesis_value / independent)
    assert (row["verdict"], row["supported_reading"]) == (verdict, supported)


def test_the_new_ruble_reading_of_1961_contradicts_every_independent_figure():
    # as new rubles: 500e6 / 0.90 = 555.6 million USD, or 500e6 x 2.22 = 1,110 million yuan
    for source in ("I0004", "I0028", "I0034"):
        row = LINKS.loc[(source, "L0021")]
        assert row["alternative_ratio"] > 4
    assert LINKS.loc[("I0004", "L0021"), "alternative"] == pytest.approx(500e6 / 0.90)


def test_the_january_1961_loan_defaults_to_old_rubles_restated_at_the_gold_ratio():
    loan = open_data().table("loans").set_index("id").loc["L0021"]
    assert (loan["vintage"], loan["vintage_rule"], loan["alternative"]) == ("old", "judged", "vintage=new")
    # 500 million old rubles of January 1961: / 4.444 (gold ratio) = 112.5 million new rubles, / 0.90 per USD
    assert convert(500e6, "RUB_old", "1961-01").value == pytest.approx(500e6 / 4.444 / 0.90)


def test_a_link_to_an_unknown_row_is_refused_naming_it(data_copy):
    path = data_copy / "independent.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0]["links"] = "L9999"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(UnknownReferenceError, match=r"I0001 links to 'L9999'"):
        corroborate(data_copy)


def test_every_independent_source_is_cited_with_a_url():
    data = open_data()
    sources = data.table("sources").set_index("id")
    for source_id in set(data.table("independent")["source_id"]):
        assert sources.loc[source_id, "citation"] and sources.loc[source_id, "url"].startswith("http")


@pytest.mark.parametrize(
    ("link", "note", "official"),
    [
        # at the official rates the 1961 loan is 500e6 / 4.444 / 0.90 USD x 2.4618 yuan per USD
        # = 307.8 million yuan, 1.23 x the 250 million; only the clearing rate R046 makes it 1.00
        (("I0028", "L0021"), "rests on R046 (from memory)", 500e6 / 4.444 / 0.90 * 2.4618),
        # at the official rates 225 million rubles of 1975 are 225e6 / 0.735 USD x 1.859 yuan per USD
        (("I0038", "L0065"), "rests on R049 (derived)", 225e6 / 0.735 * 1.859),
    ],
)
def test_a_comparison_at_a_derived_or_remembered_rate_says_so_beside_its_official_value(link, note, official):
    row = LINKS.loc[link]
    assert row["rate_note"] == note
    assert row["official"] == pytest.approx(official, rel=1e-4)
    assert row["official_ratio"] == pytest.approx(official / row["amount"], rel=1e-4)


def test_a_comparison_at_verified_official_rates_carries_no_rate_note():
    # the 1954 loan: 50 million old rubles at 4.00 per USD (R002, verified)
    assert LINKS.loc[("I0002", "L0008"), "rate_note"] == ""


def test_every_link_is_held_to_the_same_tolerance():
    # one rule: the default 2% for a figure given to two or three digits; no row states another
    assert set(LINKS["tolerance"]) == {0.02}
    assert open_data().table("independent")["tolerance"].isna().all()


def test_every_chinese_side_figure_of_the_1970s_is_linked_to_a_thesis_row():
    independent = open_data().table("independent").set_index("id")
    for rid in ("I0035", "I0036", "I0037", "I0038"):
        assert independent.loc[rid, "source_id"] == "takungpao_2013"
        assert independent.loc[rid, "links"].split(), rid
