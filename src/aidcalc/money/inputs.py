"""The inputs of :func:`aidcalc.convert` checked and aligned: amounts, currencies and days per row.

Messages name the caller's own row: its index label for a Series, its position otherwise. One
plain amount takes a short path (:func:`read_scalar`) that builds no arrays.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aidcalc.errors import (
    InvalidAmountError,
    InvalidDateError,
    MisalignedInputError,
)
from aidcalc.money.dates import iso_days, parse_dates
from aidcalc.units import CURRENCIES, code_of


@dataclass
class Inputs:
    """Amounts, currencies and days of equal length, with the caller's row labels.

    ``amounts`` may be the caller's own array (never written to).
    """

    amounts: np.ndarray
    currencies: object
    days: np.ndarray
    index: pd.Index | None
    scalar: bool
    row_problem: np.ndarray | None  # per row, why an amount was set aside under coerce ('' if not)

    def where(self, position: int) -> str:
        """Name the caller's row at ``position`` for a message ('' for a scalar call)."""
        if self.scalar:
            return ""
        label = position if self.index is None else self.index[position]
        return f" at row {label!r}" if isinstance(label, str) else f" at row {label}"


def _length(value):
    if isinstance(value, str | bytes) or np.ndim(value) == 0:
        return None
    return len(value)


_NUMBERS = (int, float, np.integer, np.floating)
#: Amounts at or above this are refused: a billion billion, beyond any sum of aid in any unit
#: (the tables' own figures stay below 1e13), so every result of every rate stays finite.
AMOUNT_LIMIT = 1e18
#: Why each kind of amount is refused, in the order checked (the same words on every path).
_NOT_A_NUMBER = "is not a number; give amounts in full units, e.g. 50000000 for '50 million'"
_BOOLEAN = "is a boolean, not an amount; give the amount in full units (True is not 1)"
_NOT_FINITE = "is not finite; give a finite amount in full units"
_TOO_LARGE = ("is 1e18 or more, beyond any sum of aid in any unit, and its results would not all be "
              "finite; give the amount in full units, e.g. 50000000 for '50 million'")
_NEGATIVE = "is negative; amounts are sizes of loans or deliveries and must be >= 0"
_NAT = None  # a missing day, in the one-amount path


@dataclass
class Scalar:
    """One plain amount, checked: its value (NaN if missing or set aside), currency and day."""

    value: float
    currency: str
    day: int | None  # days since 1970-01-01
    row_problem: str  # why the amount was set aside under coerce ('' if not)


def read_scalar(amount, currency, on, errors: str) -> Scalar | None:
    """Check one plain amount (a number, a currency code, a date text, date object or None) without pandas.

    Returns None for anything else (Series, arrays, Quantities), which :func:`prepare_inputs`
    handles; the checks and their messages are the same.
    """
    plain = isinstance(amount, _NUMBERS) and isinstance(currency, str)
    if not plain:
        return None
    given_day = None if on is None or isinstance(on, str) else _object_day(on)
    if given_day is False:
        return None
    if isinstance(amount, int) and not -(2**53) <= amount <= 2**53:
        return None  # beyond float precision: the general path reports it
    value = float(amount)
    why = None  # the amount is checked before the date, as in the column path
    if isinstance(amount, bool | np.bool_):
        why = _BOOLEAN
    elif value in (np.inf, -np.inf):
        why = _NOT_FINITE
    elif value >= AMOUNT_LIMIT:
        why = _TOO_LARGE
    elif value < 0:
        why = _NEGATIVE
    if why is not None:
        message = f"amount {amount!r} {why}" if why is _BOOLEAN else f"amount {np.float64(value)!r} {why}"
        if errors == "raise":
            raise InvalidAmountError(message)
        value = np.nan
    problem = "" if why is None else message
    if given_day is not None:
        return Scalar(value, currency, given_day, problem)
    day = _NAT if on is None else _parse_day(on, errors)
    if day is _NAT and on is not None:  # under coerce, a text that is not a date: set aside with its reason
        problem = f"date {on!r} is not YYYY, YYYY-MM or YYYY-MM-DD, or not a day of the calendar"
    return Scalar(value, currency, day, problem)


_EPOCH = dt.date(1970, 1, 1).toordinal()


def _object_day(on) -> int | bool:
    """One date object (date, datetime, Timestamp, datetime64 of a day or finer) as days since 1970-01-01.

    The day it falls in, as :func:`aidcalc.money.dates.parse_dates` reads it (an aware time in
    its own zone); False for anything else, which the column path reads and words.
    """
    if isinstance(on, np.datetime64):
        if np.isnat(on) or np.datetime_data(on.dtype)[0] in ("Y", "M"):  # years, months: read as text
            return False
        return int(on.astype("datetime64[D]").astype(np.int64))
    if isinstance(on, dt.datetime):  # a pandas Timestamp too; NaT is the one unequal to itself
        return False if on != on else on.date().toordinal() - _EPOCH  # noqa: PLR0124
    if isinstance(on, dt.date):
        return on.toordinal() - _EPOCH
    return False


@functools.lru_cache(maxsize=4096)
def _parse_day(text: str, errors: str) -> int | None:
    """One date text as days since 1970-01-01, parsed by :func:`aidcalc.money.dates.parse_dates` once."""
    try:
        day = parse_dates(text, errors=errors)[0]
    except InvalidDateError as err:  # as the column path words it for a single text
        raise InvalidDateError(str(err)) from None
    return None if np.isnat(day) else int(day.astype(np.int64))


def prepare_inputs(amount, currency, on, errors: str) -> Inputs:
    """Check and align the three arguments of :func:`aidcalc.convert`.

    Raises
    ------
    MisalignedInputError
        If two Series have different indexes, or two arguments different lengths.

    """
    if hasattr(amount, "units"):
        currency, amount = code_of(amount), amount.magnitude
    # named as the README and the docstring speak of them: the dates are the argument `on`
    args = {"amount": amount, "currency": currency, "date (on)": on}
    index = None
    for name, value in args.items():
        if isinstance(value, pd.Series):
            if index is None:
                index, first = value.index, name
            elif not value.index.equals(index):
                raise MisalignedInputError(
                    f"the index of {name} differs from that of {first}; pass Series with one index "
                    f"(e.g. columns of one DataFrame), or .to_numpy() to pair them by position"
                )
    for name, value in args.items():
        if not isinstance(value, str | bytes) and np.ndim(value) > 1:
            raise MisalignedInputError(
                f"{name} has {np.ndim(value)} dimensions (shape {np.shape(value)}); convert takes one value "
                "or one column per argument: pass a column (frame['amount']) or .ravel() the array")
    lengths = {name: _length(v) for name, v in args.items() if _length(v) is not None}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{n} has {k}" for n, k in lengths.items())
        raise MisalignedInputError(f"convert needs one amount, currency and date per row, but {shown}; "
                                   "give arguments of one length, or a single value to apply to all")
    scalar = not lengths
    n = next(iter(lengths.values()), 1)
    inputs = Inputs(np.empty(n), None, np.empty(0), index, scalar, None)
    inputs.amounts = _as_amounts(amount, n, errors, inputs)
    inputs.currencies = _as_currencies(currency, n)
    inputs.days = _as_days(on, n, errors, inputs)
    return inputs


def _set_aside(inputs: Inputs, rows: np.ndarray, message) -> None:
    if inputs.row_problem is None:
        inputs.row_problem = np.full(len(inputs.amounts), "", dtype=object)
    for i in rows:
        inputs.row_problem[i] = message(i)


def _as_amounts(amount, n: int, errors: str, inputs: Inputs) -> np.ndarray:
    if isinstance(amount, pd.Series | pd.Index) and amount.dtype == np.float64:
        raw = amount.to_numpy()  # read in place (NaN is missing already); the checks below only read it
    elif isinstance(amount, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        # pd.NA in a nullable column is missing; booleans are read one by one, to be refused
        numeric = pd.api.types.is_numeric_dtype(amount.dtype) and not pd.api.types.is_bool_dtype(amount.dtype)
        raw = amount.to_numpy(dtype=float, na_value=np.nan) if numeric else amount.to_numpy(dtype=object)
    else:
        raw = np.asarray(amount)
    raw = np.broadcast_to(np.atleast_1d(raw), (n,))
    boolean = None
    if raw.dtype.kind in "fiu":
        values = raw.astype(float, copy=False)  # a float64 column is read in place, not copied
        bad = None
    else:  # text, booleans or objects: each must read as a number; None and pd.NA are missing
        raw = np.array(raw.tolist(), dtype=object)  # numpy strings as plain ones, for messages
        values = np.full(n, np.nan)
        bad, boolean = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
        for i, v in enumerate(raw):
            if v is None or v is pd.NA or v is pd.NaT:
                continue
            if isinstance(v, bool | np.bool_):
                boolean[i] = True
                continue
            try:
                values[i] = float(v)
            except (TypeError, ValueError):
                bad[i] = True
            if isinstance(v, str | bytes) and np.isnan(values[i]):  # the text 'nan' is no missing value
                bad[i] = True
    if bad is None and n and np.fmin.reduce(values) >= 0 and np.fmax.reduce(values) < AMOUNT_LIMIT:
        return values  # numbers from 0 to the limit (NaN aside): nothing to refuse, no mask built
    shown = raw if raw.dtype.kind not in "fiu" else values
    checks = (
        (lambda: bad, _NOT_A_NUMBER),
        (lambda: boolean, _BOOLEAN),
        (lambda: np.isinf(values), _NOT_FINITE),
        (lambda: values >= AMOUNT_LIMIT, _TOO_LARGE),
        (lambda: values < 0, _NEGATIVE),
    )
    for mask_of, why in checks:
        mask = mask_of()
        if mask is None or not mask.any():
            continue
        rows = np.flatnonzero(mask)
        if errors == "raise":
            i = int(rows[0])
            raise InvalidAmountError(f"amount {shown[i]!r}{inputs.where(i)} {why}")
        _set_aside(inputs, rows, lambda i, why=why, shown=shown: f"amount {shown[i]!r} {why}")
        if not values.flags.writeable or np.shares_memory(values, raw):
            values = values.copy()  # the caller's column stays as it was
            shown = values if shown is not raw else shown
        values[rows] = np.nan
    return values


def _arrow_text(value):
    """Return the values of an Arrow-backed text column as one Arrow array, else None."""
    dtype = getattr(value, "dtype", None)
    arrow = getattr(dtype, "storage", None) == "pyarrow" or \
        (isinstance(dtype, pd.ArrowDtype) and str(dtype.pyarrow_dtype) in ("string", "large_string"))
    if not arrow or not isinstance(value, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        return None
    import pyarrow as pa  # installed wherever a column is Arrow-backed

    values = pa.array(value.array if isinstance(value, pd.Series | pd.Index) else value)
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _encoded(values) -> tuple[np.ndarray, list]:
    """Return per row a number (-1 if missing) and the distinct texts, numbered by Arrow itself."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(values)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return codes, encoded.dictionary.to_pylist()


def _known(values) -> pd.Categorical | None:
    """Return Arrow text naming only known currencies as a categorical of them all, else None.

    A lookup in the set of currency codes costs less than numbering the texts from nothing; a
    column with any other text or a missing value is numbered as it is (its names go in messages).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        positions = pc.index_in(values, value_set=pa.array(CURRENCIES, type=values.type))
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):  # a text type it cannot look up
        return None
    if positions.null_count:
        return None
    return pd.Categorical.from_codes(positions.to_numpy(), categories=pd.Index(CURRENCIES, dtype=object),
                                     validate=False)


def _as_currencies(currency, n: int):
    if isinstance(getattr(currency, "dtype", None), pd.CategoricalDtype) and len(currency) == n:
        return pd.Categorical(currency)  # numbered already: cheap to group long columns by
    arrow = _arrow_text(currency)
    if arrow is not None and len(arrow) == n:  # numbered by Arrow, never turned into Python strings
        known = _known(arrow)
        if known is not None:
            return known
        codes, names = _encoded(arrow)
        return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object), validate=False)
    return np.broadcast_to(np.asarray(currency, dtype=object), (n,))


def _as_days(on, n: int, errors: str, inputs: Inputs) -> np.ndarray:
    if isinstance(on, np.ndarray) and on.dtype == "datetime64[D]" and on.ndim == 1:
        return on  # days already: read in place
    arrow = _arrow_text(on)
    days = iso_days(arrow) if arrow is not None and len(arrow) == n else None
    if days is not None:  # full dates: read by Arrow in native code, row by row
        return days
    if arrow is not None and len(arrow) == n and (errors == "raise" or arrow.null_count == 0):
        # each distinct text parsed once, never the whole column as Python strings
        codes, texts = _encoded(arrow)
        try:
            parsed = parse_dates(np.array(texts + [None], dtype=object), errors=errors)
        except InvalidDateError as err:
            raise InvalidDateError(f"{err}{_date_row(on, err.value, inputs)}") from None
        if errors == "raise" or not np.isnat(parsed[:-1]).any():
            return np.take(parsed, codes)  # -1 (missing) takes the trailing NaT
    values = on.to_numpy(dtype=object) if isinstance(on, pd.Series) and on.dtype == object else on
    try:
        days = parse_dates(values if values is not None else [None], errors=errors)
    except InvalidDateError as err:
        raise InvalidDateError(f"{err}{_date_row(values, err.value, inputs)}") from None
    days = np.broadcast_to(days, (n,))
    if errors == "coerce" and values is not None and not isinstance(values, str | dt.date):
        raw = np.broadcast_to(np.atleast_1d(np.asarray(values, dtype=object)), (n,))
        given = ~pd.isna(pd.Series(raw, dtype=object)).to_numpy()
        bad = np.flatnonzero(np.isnat(days) & given)
        if bad.size:
            _set_aside(inputs, bad, lambda i: f"date {raw[i]!r} is not YYYY, YYYY-MM or YYYY-MM-DD, "
                                              "or not a day of the calendar")
    return days


def _date_row(values, bad, inputs: Inputs) -> str:
    if values is None or isinstance(values, str) or np.ndim(values) == 0:
        return ""
    raw = np.atleast_1d(np.asarray(values, dtype=object))
    hits = [i for i, v in enumerate(raw) if v is bad or (isinstance(v, str) and v == bad)]
    return inputs.where(hits[0]) if hits else ""


