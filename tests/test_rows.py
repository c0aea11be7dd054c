import pandas as pd

from aidcalc.evidence.rows import lender_group


def test_lenders_are_grouped_into_the_bloc_and_china():
    assert lender_group(pd.Series(["GDR", "USSR", "China"])).tolist() == ["Soviet bloc", "Soviet bloc", "China"]
