import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aidcalc import convert, deflate_usd, load_rate_table, parse_dates
from aidcalc.errors import (
    DateOutOfRangeError,
    InvalidAmountError,
    InvalidDateError,
    MisalignedInputError,
    MissingDateError,
    MissingRateError,
    UnknownCurrencyError,
    UnknownParameterError,
)
from aidcalc.money.rates import RateTable
from aidcalc.units import Q_

_TABLE = load_rate_table()
#: The packaged rates without the 1975 ruble row (R048): a year no row covers.
WITHOUT_1975 = RateTable.from_frames(_TABLE.rates[_TABLE.rates["id"] != "R048"], _TABLE.redenominations,
                                     _TABLE.cpi.rename("cpi_u").rename_axis("year").reset_index())

# Table-driven known conversions, with the arithmetic from the rate tables written out.
KNOWN = [
    # old rubles of 1955 at 4.00 per USD (R002): 80e6 / 4 = 20e6
    (80_000_000, "RUB_old", "1955-06-01", "USD", {}, 80_000_000 / 4.00, ("R002",)),
    # new rubles of 1965 at 0.90 per USD (R005): 151.9e6 / 0.9
    (151_900_000, "RUB", "1965", "USD", {}, 151_900_000 / 0.90, ("R005",)),
    # the 1961 rule: an old-ruble loan restated at the gold ratio 4.444 (D002), not 10
    (500_000_000, "RUB_old", "1961-06", "RUB", {}, 500_000_000 / 4.444, ("D002",)),
    # ... and at 10:1 only when the caller says it is cash (D001)
    (500_000_000, "RUB_old", "1961-06", "RUB", {"basis": "cash"}, 500_000_000 / 10, ("D001",)),
    # old yuan of 1953 at 26,170 per USD (R019)
    (1_000_000_000, "CNY_old", "1953", "USD", {}, 1_000_000_000 / 26_170, ("R019",)),
    # lek either side of the 1965 reform: 50 old lek per USD (R037) ...
    (5_000, "ALL_old", "1965-08-09", "USD", {}, 5_000 / 50, ("R037",)),
    # ... and after 10 Aug 1965 the old lek is restated 10:1 (D006) and converted at 5 (R038)
    (5_000, "ALL_old", "1965-08-10", "USD", {}, 5_000 / 10 / 5.00, ("D006", "R038")),
    (500, "ALL", "1966", "USD", {}, 500 / 5.00, ("R038",)),
    # a new-ruble figure for 1955 (restated statistics) goes back to old rubles at 4.444
    (100, "RUB", "1955", "USD", {}, 100 * 4.444 / 4.00, ("D002", "R002")),
    # restated twice: new yuan of 1953 -> old yuan (x10,000, D004) -> USD (26,170, R019)
    # -> old rubles (4.00, R002) -> new rubles (/4.444, D002)
    (1_000, "CNY", "1953", "RUB", {}, 1_000 * 10_000 / 26_170 * 4.00 / 4.444, ("D004", "D002", "R019", "R002")),
    # yuan to rubles through the dollar in 1968: 1.56e9 / 2.4618 * 0.90
    (1_560_000_000, "CNY", "1968-11-20", "RUB", {}, 1_560_000_000 / 2.4618 * 0.90, ("R021", "R005")),
    # the same at the Sino-Soviet clearing rate of 2.22 yuan per new ruble (R046)
    (1_560_000_000, "CNY", "1968-11-20", "RUB", {"rate_type": "clearing", "via": "direct"},
     1_560_000_000 / 2.22, ("R046",)),
    # dollars of 1956 in dollars of 1990: 20e6 * 130.7 / 27.2
    (20_000_000, "USD", "1956", "USD", {"price_year": 1990}, 20_000_000 * 130.7 / 27.2, ()),
    # convert at the rate of the year, then deflate: 80e6 / 4 * 130.7 / 27.2
    (80_000_000, "RUB_old", "1956-07", "USD", {"price_year": 1990}, 80_000_000 / 4 * 130.7 / 27.2, ("R002",)),
]


@pytest.mark.parametrize(("amount", "currency", "on", "to", "options", "expected", "rows"), KNOWN)
def test_known_conversions_match_the_arithmetic(amount, currency, on, to, options, expected, rows):
    result = convert(amount, currency, on, to=to, **options)
    assert result.value == pytest.approx(expected, rel=1e-12)
    assert result.rate_ids == rows


def test_a_converted_figure_shows_its_basis_and_rate_type():
    result = convert(500_000_000, "RUB_old", "1962", to="USD")
    assert "gold basis" in result.label and "official" in result.label
    assert result.quantity == Q_(result.value, "USD")


def test_a_quantity_goes_in_and_its_currency_is_read_from_the_unit():
    assert convert(Q_(80_000_000, "RUB_old"), on="1956").value == pytest.approx(20_000_000)


def test_missing_amounts_stay_missing():
    result = convert(np.array([1.0, np.nan]), np.array(["USD", "RUB"]), ["1960", "1965"])
    assert result.value[0] == 1.0 and np.isnan(result.value[1])
    assert np.isnan(convert(float("nan"), "RUB", "1965").value)


def test_vectorised_call_reports_rows_per_amount():
    result = convert(pd.Series([4.0, 0.9]), pd.Series(["RUB_old", "RUB"]), pd.Series(["1955", "1965"]))
    assert result.value.tolist() == pytest.approx([1.0, 1.0])
    assert result.rate_ids.tolist() == [("R002",), ("R005",)]


@pytest.mark.parametrize(
    ("call", "error", "fragment"),
    [
        (lambda: convert(1, "EUR", "1960"), UnknownCurrencyError, "'EUR'; accepted codes are: ALL"),
        (lambda: convert(1, "RUB", "1936"), DateOutOfRangeError, "RUB_old before 1961"),
        (lambda: convert(1, "RUB_old", None), MissingDateError, "has no date"),
        (lambda: convert(1, "RUB", "1975", data=WITHOUT_1975), MissingRateError,
         "no 'official' rate for RUB per USD on 1975-07-01"),
        (lambda: convert(-5, "RUB", "1965"), InvalidAmountError, "negative"),
        (lambda: convert("lots", "RUB", "1965"), InvalidAmountError, "'lots' is not a number"),
        (lambda: convert(1, "RUB", "1965", basis="paper"), UnknownParameterError, "basis='paper'"),
        (lambda: convert(1, "RUB", "1965", rate_type="black"), UnknownParameterError, "['black']"),
        (lambda: convert(1, "RUB", "1965", to="RUB", price_year=1990), UnknownParameterError, "USD results only"),
        (lambda: convert(1, "USD", "1940", price_year=1990), DateOutOfRangeError, "no CPI-U for 1940"),
        (lambda: convert(1, "RUB", "1965-13"), InvalidDateError, "'1965-13'"),
        (lambda: convert(1, "RUB", "1961-02-30"), InvalidDateError, "not a day of the calendar"),
        (lambda: convert(float("inf"), "RUB", "1965"), InvalidAmountError, "not finite"),
        (lambda: convert(1, "RUB", "1965", price_year="1990x"), UnknownParameterError, "whole number"),
        (lambda: convert(1, "USD", "1965", price_year=2020), UnknownParameterError, "from 1945 to 1990"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_value(call, error, fragment):
    with pytest.raises(error) as err:
        call()
    assert fragment in str(err.value)


def test_errors_in_a_column_name_the_callers_row_and_amount():
    # rows 0 and 1 share a currency and date, so they are converted as one group; the error
    # must still name row 3 and its own amount, not the group's
    amounts = np.array([4.0, 8.0, 2.0, 7.5])
    with pytest.raises(MissingDateError, match=r"amount 7.5 RUB_old at row 3 has no date"):
        convert(amounts, np.array(["RUB_old"] * 4), ["1955", "1955", "1956", None])
    with pytest.raises(MissingRateError, match=r"1975-07-01 at row 2"):
        convert(amounts[:3], np.array(["RUB"] * 3), ["1965", "1965", "1975"], data=WITHOUT_1975)


def test_amounts_sharing_a_currency_and_date_keep_their_own_values():
    # 4, 8 and 0 old rubles of 1955 at 4.00 per USD: 1, 2 and 0 USD; a missing amount stays missing
    result = convert(np.array([4.0, 8.0, 0.0, np.nan]), np.array(["RUB_old"] * 4), ["1955"] * 4)
    assert result.value[:3].tolist() == [1.0, 2.0, 0.0] and np.isnan(result.value[3])
    assert result.rate_id_strings().tolist() == ["R002", "R002", "R002", ""]


def test_categorical_and_nullable_columns_convert_like_plain_ones():
    # 4 old rubles of 1955 at 4.00 per USD = 1 USD; a pd.NA amount is missing, so NaN
    currency = pd.Series(["RUB_old", "RUB_old", "USD"], dtype="category")
    amounts = pd.Series([4, pd.NA, 3], dtype="Int64")
    result = convert(amounts, currency, ["1955", "1955", "1955"])
    assert result.value[[0, 2]].tolist() == [1.0, 3.0] and np.isnan(result.value[1])
    plain = convert(np.array([4.0, np.nan, 3.0]), np.array(["RUB_old", "RUB_old", "USD"]), ["1955"] * 3)
    assert result.rate_id_strings().tolist() == plain.rate_id_strings().tolist() == ["R002", "", ""]


def test_coerce_returns_nan_with_the_reason_instead_of_raising():
    result = convert(np.array([1.0, 1.0]), np.array(["RUB", "RUB"]), ["1965", "1975"], errors="coerce",
                     data=WITHOUT_1975)
    assert result.value[0] == pytest.approx(1 / 0.9) and np.isnan(result.value[1])
    assert "no 'official' rate for RUB per USD on 1975-07-01" in result.problem[1]


def test_partial_dates_are_read_mid_period():
    assert parse_dates(["1961", "1961-01"]).astype(str).tolist() == ["1961-07-01", "1961-01-15"]


def test_rate_intervals_do_not_overlap_within_a_pair_and_type():
    rates = load_rate_table().rates.sort_values("valid_from")
    for _, group in rates.groupby(["currency", "base", "rate_type"]):
        starts, ends = group["valid_from"].to_numpy(), group["valid_to"].to_numpy()
        assert (starts[1:] > ends[:-1]).all(), group["id"].tolist()
        assert (group["valid_from"] <= group["valid_to"]).all()


def test_deflate_usd_uses_the_cpi_ratio():
    assert deflate_usd(168_800_000, 1962, 1990) == pytest.approx(168_800_000 * 130.7 / 30.2)


# Property tests: round trips and the scalar call agreeing with the vectorised one.
SPANS = {"RUB_old": ("1950-03-01", "1960-12-31"), "RUB": ("1961-01-01", "1971-12-17"),
         "CNY": ("1955-03-01", "1971-12-17"), "CNY_old": ("1952-12-01", "1955-02-28"),
         "ALL_old": ("1950-03-01", "1965-08-09"), "ALL": ("1965-08-10", "1971-12-17")}


@st.composite
def dated_amounts(draw):
    currency = draw(st.sampled_from(sorted(SPANS)))
    lo, hi = (np.datetime64(d) for d in SPANS[currency])
    day = lo + np.timedelta64(draw(st.integers(0, int((hi - lo).astype(int)))), "D")
    amount = draw(st.floats(0, 1e12, allow_nan=False, allow_infinity=False))
    return amount, currency, str(day)


@settings(max_examples=200, deadline=None)
@given(dated_amounts(), st.sampled_from(["USD", "RUB_old", "CNY", "ALL_old"]))
def test_a_to_b_to_a_returns_the_amount(item, via_currency):
    amount, currency, day = item
    try:
        there = convert(amount, currency, day, to=via_currency)
    except (DateOutOfRangeError, MissingRateError):
        return  # the other currency has no rate that day (e.g. RUB_old after 1960)
    back = convert(there.value, via_currency, day, to=currency)
    assert back.value == pytest.approx(amount, rel=1e-9, abs=1e-6)


@settings(max_examples=50, deadline=None)
@given(st.lists(dated_amounts(), min_size=1, max_size=20))
def test_the_vectorised_call_agrees_with_the_scalar_call(items):
    amounts, currencies, days = (np.array(x, dtype=object) for x in zip(*items, strict=True))
    many = convert(amounts.astype(float), currencies, days, to="USD")
    for i, (amount, currency, day) in enumerate(items):
        one = convert(amount, currency, day, to="USD")
        assert many.value[i] == pytest.approx(one.value, rel=1e-12)
        assert many.rate_ids[i] == one.rate_ids


def test_a_series_in_gives_values_indexed_like_the_input():
    # 4 old rubles of 1955 at 4.00 per USD = 1 USD; 0.9 new rubles of 1965 at 0.90 = 1 USD
    amounts = pd.Series([4.0, 0.9], index=["L0002", "L0040"])
    result = convert(amounts, pd.Series(["RUB_old", "RUB"], index=amounts.index), ["1955", "1965"])
    assert result.value.index.tolist() == ["L0002", "L0040"]
    assert result.value.tolist() == pytest.approx([1.0, 1.0])
    assert result.rate_ids["L0040"] == ("R005",)


@pytest.mark.parametrize(
    ("amount", "currency", "on", "fragment"),
    [
        (pd.Series([1.0, 2.0], index=[0, 1]), pd.Series(["RUB", "RUB"], index=[1, 2]), "1965",
         "the index of currency differs from that of amount"),
        ([1.0, 2.0], ["RUB", "RUB", "RUB"], "1965", "amount has 2, currency has 3"),
        ([1.0, 2.0], "RUB", ["1965", "1966", "1967"], r"amount has 2, date \(on\) has 3"),
        (pd.Series([1.0, 2.0], index=[0, 1]), "RUB", pd.Series(["1965", "1966"], index=[1, 2]),
         r"the index of date \(on\) differs from that of amount"),
    ],
)
def test_misaligned_arguments_are_refused_naming_them(amount, currency, on, fragment):
    with pytest.raises(MisalignedInputError, match=fragment):
        convert(amount, currency, on)


def test_coerce_coerces_every_row_level_failure_and_names_it():
    result = convert(np.array([-5.0, 1.0, 1.0, 1.0, 0.9], dtype=float), np.array(["RUB", "RUB", "EUR", "RUB", "RUB"]),
                     ["1965", "1965-13", "1965", "1965", "1965"], errors="coerce")
    assert np.isnan(result.value[:3]).all()
    assert result.value[3:].tolist() == pytest.approx([1 / 0.9, 1.0])  # 1 and 0.9 rubles at 0.90 per USD
    assert "negative" in result.problem[0]
    assert "'1965-13'" in result.problem[1]
    assert "'EUR'" in result.problem[2]
    assert result.problem[3] == ""


def test_pd_na_and_none_are_missing_alike():
    result = convert(np.array([pd.NA, None, 4.0], dtype=object), "RUB_old", "1955")
    assert np.isnan(result.value[0]) and np.isnan(result.value[1]) and result.value[2] == 1.0


def test_mixed_date_types_are_read_one_by_one():
    import datetime as dt

    result = convert([np.nan, 4.0, 4.0], "RUB_old", [None, "1955", dt.datetime(1955, 7, 1)])
    assert np.isnan(result.value[0]) and result.value[1:].tolist() == [1.0, 1.0]


def test_a_time_zone_aware_date_counts_in_its_own_zone():
    from zoneinfo import ZoneInfo

    # 00:30 on 1 January 1961 in Moscow is still 31 December 1960 in UTC; the new ruble is in force
    moscow = pd.Timestamp("1961-01-01 00:30", tz=ZoneInfo("Europe/Moscow"))
    assert convert(0.9, "RUB", moscow.to_pydatetime()).value == pytest.approx(1.0)


def test_bounds_follow_the_rate_interval_of_the_1975_ruble():
    # R048: 0.735 rubles per USD, interval 0.72-0.75. 225e6 rubles / 0.75 = 300e6 USD (low),
    # / 0.735 = 306.1e6 (central), / 0.72 = 312.5e6 (high)
    one = convert(225e6, "RUB", "1975-06", bounds=True)
    assert (one.low, one.value, one.high) == pytest.approx((225e6 / 0.75, 225e6 / 0.735, 225e6 / 0.72))
    many = convert(np.array([225e6, 1.0]), np.array(["RUB", "RUB_old"]), ["1975-06", "1955"], bounds=True)
    assert many.low.tolist() == pytest.approx([225e6 / 0.75, 0.25])  # an exact rate: low = central = high
    assert many.high.tolist() == pytest.approx([225e6 / 0.72, 0.25])


def test_a_price_year_in_the_cpi_table_deflates_by_its_index():
    # 1 USD of 1956 in 1990 dollars: CPI-U 1990 130.7 / CPI-U 1956 27.2
    assert convert(1.0, "USD", "1956", price_year=1990).value == pytest.approx(130.7 / 27.2)


# The one-amount path (plain Python) and the column path (groups of arrays) are two codings of
# the same rules: they must give the same values, bounds, rate ids, problems and errors.
CODES = ["RUB_old", "RUB", "CNY_old", "CNY", "ALL_old", "ALL", "USD"]
RATE_TYPES = [("official",), ("clearing",), ("clearing", "official"), ("tourist", "official"),
              ("diplomatic",), ("world_bank_dec", "official")]


@st.composite
def one_conversion(draw):
    amount = draw(st.one_of(st.floats(0, 1e12, allow_nan=False), st.just(float("nan")), st.just(-5.0),
                            st.just(float("inf")), st.integers(0, 10**9)))
    currency = draw(st.sampled_from([*CODES, "EUR"]))
    day = np.datetime64("1940-01-01") + np.timedelta64(draw(st.integers(0, 365 * 40)), "D")
    on = draw(st.one_of(st.just(str(day)), st.just(str(day)[:7]), st.just(str(day)[:4]), st.none(),
                        st.just("1965-13")))
    to = draw(st.sampled_from(CODES))
    options = {"basis": draw(st.sampled_from(["gold", "cash"])), "via": draw(st.sampled_from(["USD", "direct"])),
               "rate_type": draw(st.sampled_from(RATE_TYPES)), "errors": draw(st.sampled_from(["raise", "coerce"])),
               "bounds": draw(st.booleans())}
    if to == "USD" and draw(st.booleans()):
        options["price_year"] = draw(st.sampled_from([1950, 1990]))
    return amount, currency, on, to, options


def _outcome(call):
    try:
        return call(), None
    except Exception as err:  # noqa: BLE001 - the error itself is what is compared
        return None, err


def _same(a, b):
    return (a is None and b is None) or (np.isnan(a) and np.isnan(b)) or a == b


@settings(max_examples=400, deadline=None)
@given(one_conversion())
def test_one_amount_and_a_column_of_one_give_the_same_results_and_errors(case):
    amount, currency, on, to, options = case
    one, one_err = _outcome(lambda: convert(amount, currency, on, to=to, **options))
    many, many_err = _outcome(lambda: convert(np.array([amount], dtype=float), np.array([currency], dtype=object),
                                              [on], to=to, **options))
    if one_err is not None or many_err is not None:
        assert type(one_err) is type(many_err), (one_err, many_err)
        assert str(one_err) == str(many_err).replace(" at row 0", "")
        return
    assert _same(one.value, many.value[0])
    bounds = (one.low, one.high), (None if many.low is None else many.low[0],
                                   None if many.high is None else many.high[0])
    assert all(_same(a, b) for a, b in zip(*bounds, strict=True))
    assert one.rate_ids == many.rate_ids[0]
    assert one.problem == many.problem[0].replace(" at row 0", "")


def test_a_scalar_set_aside_under_coerce_says_why_as_a_column_does():
    result = convert(-5, "RUB", "1965", errors="coerce")
    assert np.isnan(result.value) and "negative" in result.problem


def test_the_error_names_the_first_failing_row_whichever_group_it_falls_in():
    # rows 1 and 2 have no 1975 rate; row 2's day sorts first, but row 1 comes first
    with pytest.raises(MissingRateError, match=r"1975-09-01 at row 1"):
        convert(np.ones(3), np.array(["RUB"] * 3), ["1965", "1975-09-01", "1975-03-01"], data=WITHOUT_1975)


def test_a_column_of_one_currency_and_a_categorical_column_group_alike():
    days = np.array(["1955-06-01", "1965-01-01", "1955-06-01", "NaT"], dtype="datetime64[D]")
    amounts = np.array([4.0, 0.9, np.nan, 2.0])
    plain = convert(amounts, "RUB_old", days, errors="coerce", to="RUB")
    cat = convert(amounts, pd.Categorical(["RUB_old"] * 4), days, errors="coerce", to="RUB")
    np.testing.assert_array_equal(plain.value, cat.value)
    assert plain.rate_id_strings().tolist() == cat.rate_id_strings().tolist() == ["D002", "D002", "", ""]
    assert "has no date" in plain.problem[3] and plain.problem[3] == cat.problem[3]


def test_a_float_column_is_read_in_place_and_left_as_it_was():
    amounts = np.array([4.0, -1.0, 8.0])
    result = convert(amounts, "RUB_old", "1955", errors="coerce")
    assert amounts.tolist() == [4.0, -1.0, 8.0]
    assert result.value[[0, 2]].tolist() == [1.0, 2.0] and np.isnan(result.value[1])


def test_missing_currencies_are_refused_naming_what_was_given():
    with pytest.raises(UnknownCurrencyError, match="unknown currency or unit None at row 1"):
        convert([1.0, 1.0], ["RUB", None], "1965")
    result = convert([1.0, 1.0, 1.0], pd.Series(["RUB", np.nan, None], dtype=object), "1965", errors="coerce")
    assert np.isnan(result.value[1:]).all() and "unknown currency or unit nan" in result.problem[1]


@pytest.mark.parametrize("kind", ["arrow_currency", "arrow_dates", "both"])
def test_arrow_text_columns_convert_as_python_strings_do_without_becoming_python_strings(kind, monkeypatch):
    # R002: 4.00 old rubles per USD (1950-60), so 80 million old rubles in July 1956 are 20 million
    # USD; the other rows (old rubles after the 1961 reform, yuan) must give what the same texts
    # give as Python strings
    currency = ["RUB_old", "USD", "RUB_old", "CNY"] * 1000
    dates = ["1956-07", "1960", "1962-03-01", "1970-01-01"] * 1000
    amounts = [80e6, 1e6, 80e6, 5e6] * 1000
    want = convert(np.array(amounts), np.array(currency, dtype=object), np.array(dates, dtype=object)).value
    arrow_cur = pd.Series(currency, dtype="string[pyarrow]") if kind != "arrow_dates" else \
        np.array(currency, dtype=object)
    arrow_on = pd.Series(dates, dtype="string[pyarrow]") if kind != "arrow_currency" else \
        np.array(dates, dtype=object)

    originals = {name: getattr(pd.arrays.ArrowStringArray, name) for name in ("to_numpy", "__array__")}

    def refusing(name):
        def refused(self, *args, **kwargs):  # the few distinct values may be; the column may not
            assert len(self) < 100, "an Arrow text column was turned into Python objects"
            return originals[name](self, *args, **kwargs)
        return refused

    for name in originals:
        monkeypatch.setattr(pd.arrays.ArrowStringArray, name, refusing(name))
    got = convert(np.array(amounts), arrow_cur, arrow_on).value
    assert got[0] == 20_000_000.0  # 80e6 / 4.00 (R002)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


# Rows either side of each reform, with the arithmetic from the tables: (amount, currency, day,
# USD, row ids). A long column of them is converted through the daily factor table.
REFORM_ROWS = [
    # old rubles the day before the 1961 reform, at 4.00 per USD (R002)
    (80e6, "RUB_old", "1960-12-31", 80e6 / 4.00, "R002"),
    # ... and on the day of it: restated at the gold ratio 4.444 (D002), then 0.90 per USD (R005)
    (80e6, "RUB_old", "1961-01-01", 80e6 / 4.444 / 0.90, "D002 R005"),
    # old yuan the day before the 1955 reform, at 26,170 per USD (R019)
    (1e9, "CNY_old", "1955-02-28", 1e9 / 26_170, "R019"),
    # ... and on the day of it: 10,000 old yuan = 1 new yuan (D004), then 2.4618 per USD (R021)
    (1e9, "CNY_old", "1955-03-01", 1e9 / 10_000 / 2.4618, "D004 R021"),
    # old lek the day before the 1965 reform, at 50 per USD (R037)
    (5_000, "ALL_old", "1965-08-09", 5_000 / 50, "R037"),
    # ... and on the day of it: 10 old lek = 1 new lek (D006), then 5.00 per USD (R038)
    (5_000, "ALL_old", "1965-08-10", 5_000 / 10 / 5.00, "D006 R038"),
    # a new-ruble figure for 1955 goes back to old rubles at 4.444 (D002), then 4.00 per USD (R002)
    (100, "RUB", "1955-06-01", 100 * 4.444 / 4.00, "D002 R002"),
    (1e6, "USD", "1970-01-01", 1e6, ""),
]
#: Enough copies of REFORM_ROWS for the daily factor table (daily.DAILY_ROWS rows and more).
COPIES = 2_100


def _long(kind: str):
    """REFORM_ROWS repeated COPIES times, the currencies and days given as ``kind`` says."""
    amounts, currency, days, _, _ = (np.array(c, dtype=object) for c in zip(*REFORM_ROWS, strict=True))
    amounts, currency, days = np.tile(amounts.astype(float), COPIES), np.tile(currency, COPIES), np.tile(days, COPIES)
    cur = {"arrow": lambda: pd.Series(currency, dtype="string[pyarrow]"),
           # unused categories (a currency no row has, a name that is none) cost nothing
           "categorical": lambda: pd.Categorical(currency, categories=["EUR", "CNY", *dict.fromkeys(currency)])
           }.get(kind, lambda: currency)()
    on = {"datetime": lambda: pd.Series(days.astype("datetime64[ns]")), "text": lambda: days,
          "arrow_text": lambda: pd.Series(days.astype(str), dtype="string[pyarrow]")
          }.get(kind, lambda: days.astype("datetime64[D]"))()
    return amounts, cur, on


@pytest.mark.parametrize("kind", ["object", "arrow", "categorical", "datetime", "text", "arrow_text"])
def test_a_long_column_crossing_the_reforms_converts_by_the_arithmetic_for_every_input_kind(kind):
    from aidcalc.money.daily import DAILY_ROWS

    amounts, cur, on = _long(kind)
    assert len(amounts) >= DAILY_ROWS
    result = convert(amounts, cur, on)
    k = len(REFORM_ROWS)
    expected = np.tile([row[3] for row in REFORM_ROWS], COPIES)
    np.testing.assert_allclose(np.asarray(result.value), expected, rtol=1e-12)
    assert np.asarray(result.rate_id_strings()).tolist() == [row[4] for row in REFORM_ROWS] * COPIES
    # the same bits as a short column of the same rows, which is converted group by group
    short = convert(amounts[:k], np.asarray(cur, dtype=object)[:k], pd.Series(on)[:k].to_numpy())
    np.testing.assert_array_equal(np.asarray(result.value)[:k], short.value)
    codes, texts = result.rate_id_codes()
    assert texts[codes].tolist() == np.asarray(result.rate_id_strings()).tolist()
    assert list(result.categorical().categories) == [row[4] for row in REFORM_ROWS]


def test_a_long_column_with_bounds_and_a_price_year_gives_what_its_rows_give_one_by_one():
    amounts, cur, on = _long("object")
    result = convert(amounts, cur, on, bounds=True, price_year=1990)
    for i, (amount, currency, day, _, _) in enumerate(REFORM_ROWS):
        one = convert(amount, currency, day, bounds=True, price_year=1990)
        assert (result.value[i], result.low[i], result.high[i]) == pytest.approx((one.value, one.low, one.high),
                                                                                 rel=1e-12)
    # dollars of 1970 in dollars of 1990: 1e6 * CPI 1990 / CPI 1970 (130.7 / 38.8)
    assert result.value[7] == pytest.approx(1e6 * 130.7 / 38.8, rel=1e-12)


@pytest.mark.parametrize("kind", ["object", "categorical", "arrow"])
def test_a_missing_currency_deep_in_a_long_column_is_named_by_its_row(kind):
    amounts, cur, on = _long("object")
    cur = cur.copy()
    cur[16_001] = None
    cur = {"categorical": lambda: pd.Categorical(cur), "arrow": lambda: pd.Series(cur, dtype="string[pyarrow]")
           }.get(kind, lambda: cur)()
    with pytest.raises(UnknownCurrencyError, match="at row 16001"):
        convert(amounts, cur, on)
    result = convert(amounts, cur, on, errors="coerce")
    assert np.isnan(result.value[16_001]) and "unknown currency" in result.problem[16_001]
    # every other row converts as it would alone: row 16000 is REFORM_ROWS[0], 80e6 / 4.00
    assert result.value[16_000] == 80e6 / 4.00 and result.problem[16_000] == ""
    assert np.isnan(result.value).sum() == 1


def test_missing_amounts_and_dates_in_a_long_column_stay_missing_and_are_named():
    amounts, cur, on = _long("arrow_text")
    amounts[3] = np.nan  # CNY_old of 1955-03-01: missing, not zero
    texts = on.tolist()
    texts[9] = None  # REFORM_ROWS[1]: old rubles with no date
    on = pd.Series(texts, dtype="string[pyarrow]")
    with pytest.raises(MissingDateError, match="RUB_old at row 9 has no date"):
        convert(amounts, cur, on)
    result = convert(amounts, cur, on, errors="coerce")
    assert np.isnan(result.value[[3, 9]]).all() and "has no date" in result.problem[9]
    assert result.problem[3] == ""  # a missing amount is no problem, only missing
    assert result.value[1] == pytest.approx(80e6 / 4.444 / 0.90, rel=1e-12)
    assert np.isnan(result.value).sum() == 2


def test_one_amount_converted_again_under_another_basis_gets_that_basis_value():
    # the scalar path remembers each (currency, day, basis): a second basis is a second entry
    nominal = convert(80e6, "RUB_old", "1956-07", to="USD")
    constant = convert(80e6, "RUB_old", "1956-07", to="USD", price_year=1990)
    again = convert(80e6, "RUB_old", "1956-07", to="USD")
    assert nominal.value == pytest.approx(80e6 / 4.00)  # R002: 4.00 old rubles per dollar
    assert constant.value == pytest.approx(80e6 / 4.00 * 130.7 / 27.2)  # CPI-U 1990 / 1956
    assert again.value == nominal.value and again.rate_ids == nominal.rate_ids == ("R002",)


def test_an_amount_set_aside_under_coerce_is_not_remembered_for_the_next_call():
    bad = convert(-1.0, "RUB_old", "1956-07", errors="coerce")
    good = convert(80e6, "RUB_old", "1956-07")
    assert np.isnan(bad.value) and "negative" in bad.problem
    assert good.value == pytest.approx(20e6) and good.problem == ""
    no_rate = convert(1.0, "RUB_old", "1930", errors="coerce")  # before any rate row
    assert np.isnan(no_rate.value) and no_rate.problem
    assert convert(1.0, "RUB_old", "1956-07").value == pytest.approx(0.25)


@pytest.mark.parametrize("unit", ["D", "s", "ns"])
def test_the_years_of_a_long_column_are_those_of_each_day_by_the_calendar(unit):
    from aidcalc.money.dates import calendar_years

    # 31 December and 1 January on both sides of each reform year, a leap day, and missing days,
    # repeated past the length at which the years come from a table of the days spanned
    days = np.array(["1954-12-31", "1955-01-01", "1960-12-31", "1961-01-01", "1964-02-29",
                     "1965-12-31", "1966-01-01", "NaT"], dtype="datetime64[D]")
    column = np.tile(days, 1000).astype(f"datetime64[{unit}]")
    want = [1954.0, 1955.0, 1960.0, 1961.0, 1964.0, 1965.0, 1966.0, np.nan] * 1000
    np.testing.assert_array_equal(calendar_years(column), np.array(want))


@pytest.mark.parametrize("on", [
    dt.date(1956, 7, 1),
    dt.datetime(1956, 7, 1, 23, 0),
    pd.Timestamp("1956-07-01 23:30", tz="Asia/Tokyo"),  # an aware time: the day in its own zone
    np.datetime64("1956-07-01T12:00"),
    np.datetime64("1956-07-01"),
])
def test_one_amount_dated_by_a_date_object_converts_as_its_day_written_out(on):
    # 80 million rubles before the 1961 reform at 4.00 per USD (R002): 20 million USD, whichever
    # way the day is given, and alike for one amount and for a column of one
    one = convert(80e6, "RUB_old", on, to="USD")
    column = convert([80e6], ["RUB_old"], [on], to="USD")
    assert (one.value, one.rate_ids) == (80e6 / 4.00, ("R002",))
    assert column.value[0] == one.value


def test_one_amount_dated_not_a_time_is_missing_its_date_not_zero():
    got = convert(80e6, "RUB_old", pd.NaT, to="USD", errors="coerce")
    assert np.isnan(got.value) and "has no date" in got.problem
