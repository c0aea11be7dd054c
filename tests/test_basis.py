"""The conversion basis: made and checked once, carried whole, never parsed back from a label."""

import dataclasses

import pytest

from aidcalc import convert
from aidcalc.errors import UnknownCurrencyError, UnknownParameterError
from aidcalc.money.basis import Basis, as_basis, check_year

DESCRIBED = [
    # basis, label, unit, CSV tag
    (Basis("USD"), "USD (official rates via USD, gold basis)", "USD", "USD"),
    (Basis("USD", 1990), "constant 1990 USD (official rates via USD, gold basis)", "constant 1990 USD",
     "USD_constant_1990"),
    (Basis("RUB", rate_type=("source_implied", "official")),
     "RUB (source_implied/official rates via USD, gold basis)", "RUB", "RUB"),
    (Basis("CNY", via="direct", redenomination="cash"), "CNY (official rates via direct, cash basis)", "CNY",
     "CNY"),
]


@pytest.mark.parametrize(("basis", "label", "unit", "tag"), DESCRIBED)
def test_a_basis_gives_its_own_label_unit_and_csv_tag(basis, label, unit, tag):
    assert (basis.label, basis.unit, basis.tag) == (label, unit, tag)


REFUSED = [
    (lambda: Basis("EUR"), UnknownCurrencyError, "EUR"),
    (lambda: Basis("RUB", 1990), UnknownParameterError, "USD results only"),
    (lambda: Basis("USD", "1990"), UnknownParameterError, "whole number"),
    (lambda: Basis("USD", True), UnknownParameterError, "whole number"),
    (lambda: Basis("USD", 1990.0), UnknownParameterError, "whole number"),
    (lambda: Basis("USD", via="EUR"), UnknownParameterError, "'USD', 'direct'"),
    (lambda: Basis("USD", redenomination="silver"), UnknownParameterError, "'gold', 'cash'"),
    (lambda: Basis("USD", rate_type=()), UnknownParameterError, "rate_type"),
    (lambda: Basis.for_report("RUB", "constant", 1990), UnknownParameterError, "needs currency='USD'"),
    (lambda: Basis.for_report("USD", "constant", None), UnknownParameterError, "needs a price_year"),
    (lambda: Basis.for_report("USD", "real"), UnknownParameterError, "'nominal', 'constant'"),
    (lambda: Basis.for_report("USD", rate_basis="market"), UnknownParameterError, "'official'"),
    (lambda: as_basis(Basis("USD"), price_year=1990), UnknownParameterError, "holds them already"),
    (lambda: as_basis("USD", rate="x"), UnknownParameterError, "unknown conversion option"),
]


@pytest.mark.parametrize(("make", "error", "fragment"), REFUSED)
def test_a_bad_basis_is_refused_when_made_naming_the_value(make, error, fragment):
    with pytest.raises(error, match=fragment):
        make()


def test_a_basis_cannot_be_changed_once_made():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Basis("USD").price_year = 1990


def test_the_report_parameters_give_the_price_year_only_at_constant_prices():
    assert Basis.for_report("USD", "nominal", 1990).price_year is None
    assert Basis.for_report("USD", "constant", 1970).price_year == 1970


def test_one_year_rule_for_the_library_and_the_report_config():
    # the text "1990" was taken by convert and refused by the report config: now refused by both
    with pytest.raises(UnknownParameterError, match="whole number"):
        convert(1.0, "USD", "1956", price_year="1990")
    assert check_year("price_year", 1990) == 1990


def test_a_basis_passed_as_to_converts_as_its_parts_do():
    # 20 million USD of 1956 in 1990 dollars: 20e6 * CPI 1990 130.7 / CPI 1956 27.2
    whole = convert(20e6, "USD", "1956", to=Basis("USD", 1990))
    parts = convert(20e6, "USD", "1956", to="USD", price_year=1990)
    assert whole.value == parts.value == pytest.approx(20e6 * 130.7 / 27.2)
    assert whole.basis == Basis("USD", 1990)
