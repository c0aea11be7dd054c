"""Checks and conversions of the frames a caller passes in: columns present, numbers as floats."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aidcalc.errors import MissingColumnError


def require_columns(frame: pd.DataFrame, columns, function: str, table: str) -> None:
    """Raise if ``frame`` lacks any of ``columns``, naming them and the table that has them.

    Raises
    ------
    MissingColumnError
        Naming the function, the missing columns and how to load a frame that has them.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"id": []}), ["id", "unit"], "aggregate_items", "arms_shipments")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    aidcalc.errors.MissingColumnError: aggregate_items reads the column unit, which the frame ...

    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise MissingColumnError(
            f"{function} reads the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}, which "
            f"the frame given lacks; pass the rows of data/{table}.csv as "
            f"aidcalc.load_table({table!r}) returns them"
        )


def float_column(column: pd.Series) -> np.ndarray:
    """Return a numeric column as a fresh float64 array, NaN where a value is missing or not a number.

    Examples
    --------
    >>> float_column(pd.Series([1961, pd.NA], dtype="Int64")).tolist()
    [1961.0, nan]

    """
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)



def present(column: pd.Series) -> np.ndarray:
    """Return per row whether ``column`` holds a value (``notna`` as a numpy array).

    An Arrow-backed column knows how many of its values are missing: where none or all are, the
    answer needs no pass over the rows (a reference column such as ``same_as`` is mostly empty).

    Examples
    --------
    >>> present(pd.Series(["L0002", None], dtype="string")).tolist()
    [True, False]

    """
    dtype = column.dtype
    if isinstance(dtype, pd.ArrowDtype) or getattr(dtype, "storage", None) == "pyarrow":
        data = column.array.__arrow_array__()  # the Arrow data itself, not a copy
        if data.null_count == 0:
            return np.ones(len(column), dtype=bool)
        if data.null_count == len(column):
            return np.zeros(len(column), dtype=bool)
    return column.notna().to_numpy(dtype=bool)
