import pint
import pytest

from aidcalc.errors import UnknownCurrencyError
from aidcalc.units import Q_, check_currency, code_of, to_quantity, ureg


def test_each_currency_vintage_is_its_own_dimension():
    with pytest.raises(pint.DimensionalityError):
        Q_(1, "RUB_old") + Q_(1, "RUB")
    with pytest.raises(pint.DimensionalityError):
        Q_(1, "CNY") + Q_(1, "USD")


def test_tonnes_are_metric_and_the_short_ton_is_not_ours():
    assert to_quantity(19_000, "t").to("kg").magnitude == 19_000_000
    assert ureg("ton").to("kg").magnitude == pytest.approx(907.18474)  # why the data never says ton


def test_unknown_codes_are_refused_with_the_accepted_list():
    with pytest.raises(UnknownCurrencyError, match="'SUR'; accepted codes are: ALL, ALL_old, CNY"):
        check_currency("SUR")
    with pytest.raises(UnknownCurrencyError):
        code_of(Q_(1, "kg"))
