import csv

import pytest

from aidcalc.errors import AidcalcError, ClaimExpressionError, UnknownReferenceError
from aidcalc.evidence.audit import evaluate, implied_rates, load_claims, run_audit
from aidcalc.tables.context import load_table

AUDIT = run_audit().table.set_index("id")

# Each verdict with the arithmetic from the source.
VERDICTS = [
    ("C001", "consistent"),  # 83 + 46 + 55 + 50 + 20 = 254 million rubles (lines 924-927)
    ("C003", "consistent"),  # 50 + 30 = 80 million rubles for the second plan (lines 1029, 1074)
    ("C005", "inconsistent"),  # '0.25USD=4 rubles' is 16 rubles per USD; official 4.00
    ("C006", "consistent"),  # 80e6 / 4.00 = 20e6 USD, 'around 20 million USD'
    ("C009", "consistent"),  # 100 / 500 = 0.2, indeed 'less than one third'
    ("C010", "consistent"),  # 30e6 / 0.90 = 33.3e6, '33 million USD' (rounding 1.5%)
    ("C011", "consistent"),  # 151.9 x 1.11 = 168.609 vs 151.9 / 0.9 = 168.778 (0.1%, the rate's rounding)
    ("C015", "consistent"),  # 82 + 11.5 + 12.8 + 9.65 + 54 = 169.95 vs 170 million
    ("C021", "inconsistent"),  # 1.56e9 yuan / 252.4e6 rubles = 6.18 yuan per ruble vs 2.4618 / 0.90 = 2.735
    ("C022", "inconsistent"),  # 1.56 + 1.88 = 3.44 billion yuan, not 'almost 3 billion'
    ("C023", "consistent"),  # 252.4 + 445 = 697.4 vs 697.8 million rubles (445 rounds to +/-0.5)
    ("C027", "inconsistent"),  # 534 / 445 = 1.20 USD per ruble vs official 1/0.90 = 1.111
    ("C029", "inconsistent"),  # 1.8 times vs 1 + 33/100 = 1.33 times
    ("C036", "consistent"),  # 800,000 / 220,000 = 3.64, 'fourfold' within half a step
    ("C037", "inconsistent"),  # 40,000 / 400,000 = 1/10, not 1/1000
    ("C039", "inconsistent"),  # 740 + 765 + 530 = 2,035, not 2,169
    ("C007", "not checkable"),  # 'two thirds' for industry: no amount given
]


@pytest.mark.parametrize(("claim", "verdict"), VERDICTS)
def test_each_claim_gets_the_verdict_its_arithmetic_gives(claim, verdict):
    assert AUDIT.loc[claim, "verdict"] == verdict


def test_the_implied_rate_is_set_beside_the_official_one():
    c021 = AUDIT.loc["C021"]
    assert c021["implied_rate"] == pytest.approx(1_560_000_000 / 252_400_000)
    assert c021["official_rate"] == pytest.approx(2.4618 / 0.90)
    assert c021["implied_over_official"] == pytest.approx((1.56e9 / 252.4e6) / (2.4618 / 0.90))


def test_every_claim_is_classified():
    assert set(AUDIT["verdict"]) <= {"consistent", "inconsistent", "not checkable"}
    assert len(AUDIT) == len(load_table("claims"))


def test_a_claim_naming_an_unknown_row_is_refused(data_copy):
    path = data_copy / "claims.csv"
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    rows[0]["recompute"] = "L0003 + L9999"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(UnknownReferenceError, match="claim C001 .* refers to row 'L9999'"):
        load_claims(data_copy)


def test_expressions_allow_only_arithmetic_and_the_named_functions():
    assert evaluate("2 / 4") == 0.5
    assert evaluate("-(2 - 4) * 3") == 6
    with pytest.raises(ValueError, match="not allowed"):
        evaluate("__import__('os')")


REFUSED = [
    ("__import__('os').system('true')", "not allowed"),
    ("O0035 / 0", "divides by zero"),
    ("O0035 / (L0002 - L0002)", "cannot divide by zero"),
    ("O0035 +", "does not parse"),
    ("'a' * 50000000", "stands in arithmetic"),
    (" + ".join(["O0035"] * 200_000), "longer than 500 characters"),
    ("-" * 300 + "1", "more than 200"),
    ("(" * 240 + "1" + ")" * 240, "does not parse"),
    ("O0035 ** 2", "not allowed"),
    ("[O0035][0]", "not allowed"),
    ("(lambda: 1)()", "not allowed"),
    ("max()", "at least one argument"),
    ("convert(L0002, 'USD')", "takes 3 arguments"),
    ("convert(2, 'USD', '1961-01-01')", "must be a row id"),
    ("rate('GBP', 'USD', '1961-01-01')", "not a currency"),
    ("population('1961-02-30')", "not a day of the calendar"),
    ("population(L0002)", "quoted date"),
    (" * ".join(["L0002"] * 45), "not a finite number"),
    ("L0002.real", "not allowed"),
    ("x", "not a row id"),
]


@pytest.mark.parametrize(("expression", "why"), REFUSED, ids=[e[:40] for e, _ in REFUSED])
def test_an_expression_outside_the_claim_language_is_refused_quickly_with_a_short_message(expression, why):
    with pytest.raises(ClaimExpressionError) as err:
        evaluate(expression)
    assert isinstance(err.value, AidcalcError)
    assert why in str(err.value)
    assert len(str(err.value)) < 1000


def test_a_row_that_does_not_exist_is_named():
    with pytest.raises(UnknownReferenceError, match="'L9999'"):
        evaluate("L9999 + 1")


def test_implied_rates_cover_each_plan_without_overlap():
    rates = implied_rates()
    row = rates.set_index("id").loc["S006"]  # 80 million old rubles = 20 million USD in 1956
    assert row["currency_per_base"] == pytest.approx(80e6 / 20e6)
    assert str(row["valid_from"])[:10] == "1956-01-01" and str(row["valid_to"])[:10] == "1960-12-31"
    for _, group in rates.groupby(["currency", "base"]):
        group = group.sort_values("valid_from")
        assert (group["valid_from"].to_numpy()[1:] > group["valid_to"].to_numpy()[:-1]).all()
