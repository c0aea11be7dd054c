"""convert_dask: the pandas path run partition by partition gives the pandas results."""

import numpy as np
import pandas as pd
import pytest

from aidcalc import convert
from aidcalc.errors import MissingDateError, UnknownParameterError

dd = pytest.importorskip("dask.dataframe", reason="dask is not installed: pip install 'aidcalc[dask]'")
dask = pytest.importorskip("dask")

from aidcalc.money.distributed import convert_dask  # noqa: E402


def _frame(n=2_000, seed=7):
    rng = np.random.default_rng(seed)
    spans = {"RUB_old": ("1950-01-01", "1960-12-31"), "RUB": ("1961-01-01", "1975-12-31"),
             "CNY": ("1955-03-01", "1971-12-17"), "ALL_old": ("1950-03-01", "1965-08-09"), "USD": ("1950", "1980")}
    codes = np.array(list(spans), dtype=object)
    pick = rng.integers(0, len(codes), n)
    days = np.empty(n, dtype="datetime64[D]")
    for i, (lo, hi) in enumerate(spans.values()):
        lo, hi = np.datetime64(lo, "D"), np.datetime64(hi, "D")
        sel = pick == i
        days[sel] = lo + rng.integers(0, int((hi - lo).astype(int)) + 1, sel.sum()).astype("timedelta64[D]")
    amounts = rng.uniform(0, 1e9, n)
    amounts[::97] = np.nan
    return pd.DataFrame({"amount": amounts, "currency": codes[pick], "date": days},
                        index=pd.RangeIndex(1000, 1000 + n))


@pytest.mark.parametrize("options", [{}, {"bounds": True}, {"to": "RUB", "basis": "cash"},
                                     {"price_year": 1990, "bounds": True},
                                     {"rate_type": ("clearing", "official"), "to": "RUB"}])
def test_a_multi_partition_frame_converts_as_the_pandas_path(options):
    frame = _frame()
    ddf = dd.from_pandas(frame, npartitions=7)
    with dask.config.set(scheduler="threads"):
        got = convert_dask(ddf, **options).compute()
    want = convert(frame["amount"], frame["currency"], frame["date"], **options)
    assert ddf.npartitions == 7
    pd.testing.assert_index_equal(got.index, frame.index)
    np.testing.assert_array_equal(got["value"].to_numpy(), want.value.to_numpy())
    assert got["rate_ids"].tolist() == want.rate_id_strings().tolist()
    if options.get("bounds"):
        np.testing.assert_array_equal(got["low"].to_numpy(), want.low.to_numpy())
        np.testing.assert_array_equal(got["high"].to_numpy(), want.high.to_numpy())
    else:
        assert "low" not in got


def test_categorical_currencies_and_text_dates_convert_alike():
    frame = _frame(500)
    text = frame.assign(currency=frame["currency"].astype("category"), date=frame["date"].astype(str))
    got = convert_dask(dd.from_pandas(text, npartitions=3), rate_ids=False).compute(scheduler="sync")
    np.testing.assert_array_equal(got["value"].to_numpy(), convert(frame["amount"], frame["currency"],
                                                                   frame["date"]).value.to_numpy())
    assert "rate_ids" not in got


def test_the_meta_has_the_dtypes_of_the_computed_frame():
    ddf = convert_dask(dd.from_pandas(_frame(300), npartitions=2), bounds=True, errors="coerce")
    computed = ddf.compute(scheduler="sync")
    assert list(ddf.columns) == [*_frame(1).columns, "value", "low", "high", "rate_ids", "problem"]
    assert ddf.dtypes.to_dict() == computed.dtypes.to_dict()


def test_coerce_adds_the_problem_of_each_row():
    frame = pd.DataFrame({"amount": [1.0, 1.0, 0.9], "currency": ["RUB", "EUR", "RUB"],
                          "date": ["1965", "1965", "1965"]})
    got = convert_dask(dd.from_pandas(frame, npartitions=2), errors="coerce").compute(scheduler="sync")
    assert got["value"].tolist()[::2] == pytest.approx([1 / 0.9, 1.0])
    assert np.isnan(got["value"].iloc[1]) and "'EUR'" in got["problem"].iloc[1]
    assert got["problem"].iloc[0] == ""


def test_bad_options_are_refused_at_once_and_bad_rows_when_computed():
    ddf = dd.from_pandas(pd.DataFrame({"amount": [1.0, 2.0], "currency": ["RUB_old", "RUB_old"],
                                       "date": ["1955", None]}), npartitions=1)
    with pytest.raises(UnknownParameterError, match="basis='paper'"):
        convert_dask(ddf, basis="paper")
    lazy = convert_dask(ddf)
    with pytest.raises(MissingDateError, match="amount 2.0 RUB_old at row 1 has no date"):
        lazy.compute(scheduler="sync")


@pytest.mark.parametrize("npartitions", [2, 400])
def test_arrow_text_partitions_keep_the_rate_ids_and_values_of_the_pandas_path(npartitions):
    # 40,000 rows: two partitions long enough to make the daily factor table, or 400 of 100 rows
    # that read it once made; every 97th amount is missing and stays missing, with no row ids
    frame = _frame(40_000)
    text = frame.assign(currency=frame["currency"].astype("string[pyarrow]"),
                        date=frame["date"].astype(str).astype("string[pyarrow]"))
    want = convert(frame["amount"], frame["currency"], frame["date"], bounds=True)
    with dask.config.set(scheduler="threads"):
        got = convert_dask(dd.from_pandas(text, npartitions=npartitions), bounds=True).compute()
    for name in ("value", "low", "high"):
        np.testing.assert_array_equal(got[name].to_numpy(), getattr(want, name).to_numpy())
    assert got["rate_ids"].tolist() == want.rate_id_strings().tolist()
    assert got["rate_ids"].iloc[0] == "" and np.isnan(got["value"].iloc[0])  # row 0 is a missing amount
    assert got["rate_ids"].dtype == convert_dask(dd.from_pandas(text, npartitions=2))._meta["rate_ids"].dtype


def test_a_partition_with_repeated_column_names_gets_the_new_columns_after_them():
    from aidcalc.money.distributed import convert_partition

    frame = pd.DataFrame([[80e6, "RUB_old", "1956-07", "a", "b"]],
                         columns=["amount", "currency", "date", "note", "note"])
    out = convert_partition(frame)
    # 80 million old rubles of 1956 at 4.00 per USD (R002): 20 million
    assert list(out.columns) == [*frame.columns, "value", "rate_ids"]
    assert out["value"].tolist() == [80e6 / 4.00] and out["rate_ids"].tolist() == ["R002"]
    assert list(frame.columns) == ["amount", "currency", "date", "note", "note"]
