"""The checks and conversions of a caller's frames (aidcalc.frames)."""

import numpy as np
import pandas as pd
import pytest

from aidcalc.frames import float_column, present

COLUMNS = {
    "default text, one missing": (pd.Series(["L0002", None]), [True, False]),
    "Arrow text, all missing": (pd.Series([None, None], dtype="string[pyarrow]"), [False, False]),
    "Arrow text, none missing": (pd.Series(["L0002", "L0040"], dtype="string[pyarrow]"), [True, True]),
    "Python-backed text": (pd.Series([pd.NA, "L0002"], dtype="string[python]"), [False, True]),
    "objects": (pd.Series([None, "L0002", np.nan], dtype=object), [False, True, False]),
    "floats": (pd.Series([1961.0, np.nan]), [True, False]),
}


@pytest.mark.parametrize(("column", "want"), COLUMNS.values(), ids=COLUMNS.keys())
def test_present_says_per_row_whether_a_value_is_given_as_notna_does(column, want):
    got = present(column)
    assert got.dtype == bool and got.tolist() == want == column.notna().tolist()


def test_a_column_of_years_with_a_missing_one_reads_as_floats_with_nan():
    assert np.array_equal(float_column(pd.Series([1961, pd.NA], dtype="Int64")), [1961.0, np.nan],
                          equal_nan=True)
