import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aidcalc.distinct import factorize_rows, map_distinct


@pytest.mark.parametrize(
    ("columns", "codes", "first"),
    [
        # one column: numbers in order of first appearance
        ((["CNY", "RUB", "CNY"],), [0, 1, 0], [0, 1]),
        # two columns: a pair is new when either value differs
        ((["RUB", "RUB", "RUB"], ["old", "new", "old"]), [0, 1, 0], [0, 1]),
        # missing values are a value of their own, in any kind of column
        ((pd.Series(["RUB", None, None], dtype="string"),), [0, 1, 1], [0, 1]),
        ((np.array(["1956-07-01", "NaT", "1956-07-01"], dtype="datetime64[D]"),), [0, 1, 0], [0, 1]),
        # bool and categorical columns use their own numbering
        ((np.array([True, False, True]), pd.Categorical(["a", "b", "b"])), [0, 1, 2], [0, 1, 2]),
    ],
)
def test_rows_with_the_same_values_share_a_number(columns, codes, first):
    got_codes, got_first = factorize_rows(*columns)
    assert got_codes.tolist() == codes
    assert got_first.tolist() == first


def test_a_call_without_columns_is_refused():
    with pytest.raises(TypeError, match="at least one column"):
        factorize_rows()


@given(st.lists(st.tuples(st.sampled_from(["RUB", "CNY", None]), st.integers(1950, 1953),
                          st.booleans()), min_size=1, max_size=60))
def test_two_rows_share_a_number_exactly_when_all_their_values_agree(rows):
    units, years, live = (list(c) for c in zip(*rows, strict=True))
    codes, first = factorize_rows(np.array(units, dtype=object), np.array(years), np.array(live))
    for i, row_i in enumerate(rows):
        assert rows[first[codes[i]]] == row_i  # the first row of its group has its values
        for j, row_j in enumerate(rows):
            assert (codes[i] == codes[j]) == (row_i == row_j)


def test_a_function_is_applied_once_per_distinct_value():
    calls = []

    def label(value):
        calls.append(value)
        return f"unit {value}"

    out = map_distinct(label, ["t", "t", "count", None, "t"])
    assert out.tolist() == ["unit t", "unit t", "unit count", "unit None", "unit t"]
    assert calls == ["t", "count", None]


def test_labels_shared_by_several_values_make_one_category():
    # Poland and the GDR both belong to the Soviet bloc: one category, not two
    bloc = {"Poland": "Soviet bloc", "GDR": "Soviet bloc"}
    out = map_distinct(lambda g: bloc.get(g, g), ["Poland", "China", "GDR"], categorical=True)
    assert list(out.categories) == ["Soviet bloc", "China"]
    assert out.tolist() == ["Soviet bloc", "China", "Soviet bloc"]


def test_a_categorical_column_is_read_through_its_categories():
    events = pd.Categorical(["granted", None, "cut", "granted"])
    assert map_distinct(lambda e: f"event {e}", events).tolist() == [
        "event granted", "event None", "event cut", "event granted"]


def test_text_columns_of_any_storage_are_numbered_alike():
    values = ["RUB", None, "CNY", "RUB", None]
    plain = factorize_rows(np.array(values, dtype=object))
    for dtype in ("string", "str"):
        codes, first = factorize_rows(pd.Series(values, dtype=dtype))
        assert codes.tolist() == plain[0].tolist() == [0, 1, 2, 0, 1]
        assert first.tolist() == plain[1].tolist() == [0, 1, 2]
    assert map_distinct(lambda v: f"unit {v}", pd.Series(values, dtype="string")).tolist() == [
        "unit RUB", "unit None", "unit CNY", "unit RUB", "unit None"]


def test_an_empty_column_has_no_combinations():
    codes, first = factorize_rows(np.array([], dtype=object), np.array([], dtype=bool))
    assert codes.tolist() == [] and first.tolist() == []
