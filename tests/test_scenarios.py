import pytest

from aidcalc.io import load_table
from aidcalc.scenarios import sensitivity


def test_sensitivity_moves_the_third_plan_when_the_1961_loan_is_read_in_old_rubles():
    table = sensitivity(load_table("loans")).set_index(["plan", "lender"])
    as_new = table.loc[(3, "China"), "official rates, gold basis"]
    as_old = table.loc[(3, "China"), "judged ruble vintages read the other way"]
    # the 500e6 rubles of Jan 1961: as new rubles 500e6 / 0.90; as old, 500e6 / 4.444 / 0.90
    assert as_new - as_old == pytest.approx(500e6 / 0.90 - 500e6 / 4.444 / 0.90)
    # the cash basis changes nothing here: every ruble row is converted in its own vintage
    assert table.loc[(3, "China"), "official rates, cash basis (10:1)"] == pytest.approx(as_new)


def test_sensitivity_under_the_source_implied_rates_of_the_fourth_plan():
    table = sensitivity(load_table("loans")).set_index(["plan", "lender"])
    official = table.loc[(4, "China"), "official rates, gold basis"]
    implied = table.loc[(4, "China"), "source-implied rates"]
    # implied rates hold over the plan of their claim's date:
    # the 1.56e9 yuan of 1968 at the 3.52 yuan per USD of line 5881 (1966-70), not 2.4618;
    # the 170e6 rubles dated 1965 at the 1.11 USD per ruble of line 3826 (1961-65), not 1/0.90;
    # the 14.3e6 rubles of 1966 at the 534/445 USD per ruble of line 5881 (1966-70)
    diff = 1.56e9 / 2.4618 - 1.56e9 / (1.88e9 / 534e6)
    diff += 170e6 / 0.90 - 170e6 / (151.9e6 / 168.609e6)
    diff += 14.3e6 / 0.90 - 14.3e6 / (445 / 534)
    assert official - implied == pytest.approx(diff)
