import numpy as np
import pandas as pd
import pytest

from aidcalc.evidence.population import add_per_capita, interpolate_population
from aidcalc.tables.context import load_table


def test_population_is_interpolated_between_censuses_and_not_extrapolated():
    pop = load_table("population")
    # at a census day the census figure: 1969-04-01 is 1969 + 90/365.2425
    assert interpolate_population([1969 + 90 / 365.2425], pop)[0] == pytest.approx(2_068_155, rel=1e-4)
    assert np.isnan(interpolate_population([1940], pop)[0])


def test_per_capita_divides_each_plan_total_and_its_bounds_by_the_mid_plan_population():
    table = pd.DataFrame({"plan": [3], "committed": [125e6], "committed_low": [100e6], "committed_high": [150e6]})
    out = add_per_capita(table, ["committed"])
    # 3rd plan 1961-65: from 1 Jan 1961 to 31 Dec 1965, its middle is 1 July 1963 = (1961 + 1965 + 1) / 2
    people = interpolate_population([1963.5])[0]
    assert out["committed_per_capita"].iloc[0] == pytest.approx(125e6 / people)
    assert out["committed_per_capita_low"].iloc[0] == pytest.approx(100e6 / people)
    assert out["committed_per_capita_high"].iloc[0] == pytest.approx(150e6 / people)
