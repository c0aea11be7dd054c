"""Readings and rate bases: alternatives applied row by row, the implied rates worked out once."""

import pytest

from aidcalc import open_data
from aidcalc.evidence.readings import implied_table, rates_for
from aidcalc.money.basis import Basis


def test_the_implied_rate_table_is_worked_out_once_per_version_of_the_data():
    assert implied_table() is implied_table()


def test_the_source_implied_basis_converts_at_the_rate_the_source_gives():
    basis = Basis.for_report("USD", rate_basis="source_implied")
    rates = rates_for(basis).rates.set_index("id")
    # claim C006 (line 1106): 80 million old rubles = 20 million USD, so 4.00 rubles per USD
    assert rates.loc["S006", "currency_per_base"] == pytest.approx(80e6 / 20e6)
    assert basis.rate_type == ("source_implied", "official")


def test_the_official_basis_converts_at_the_rate_table_as_it_is():
    assert "source_implied" not in rates_for(Basis("USD")).rate_types


def test_a_changed_claim_row_gives_a_new_implied_table(data_copy):
    first = implied_table(data_copy)
    path = data_copy / "claims.csv"
    path.write_text(path.read_text() + "\n")  # any edit of the claims changes their digest
    assert implied_table(open_data(data_copy)) is not first
