"""Compute on the distinct values of long columns, then spread the results back to the rows.

Evidence columns repeat a few values many times (a handful of currencies, one date per
agreement), so work done once per distinct value, or per distinct combination of values,
and then indexed back to the rows costs little however long the table grows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def factorize_rows(*columns) -> tuple[np.ndarray, np.ndarray]:
    """Give each row the number of its distinct combination of values across ``columns``.

    Missing values (``None``, ``NaN``, ``NaT``, ``pd.NA``) count as a value of their own.

    Parameters
    ----------
    *columns : arrays or Series of equal length
        The columns whose values, taken together, define a combination.

    Returns
    -------
    codes : ndarray of int64
        Per row, the number of its combination (0, 1, ... in order of first appearance).
    first : ndarray of int64
        Per combination, the position of the first row that has it.

    Examples
    --------
    >>> codes, first = factorize_rows(["RUB", "CNY", "RUB", "RUB"], ["1956", "1956", "1956", None])
    >>> codes.tolist(), first.tolist()
    ([0, 1, 0, 2], [0, 1, 3])

    """
    key, size = None, 1
    for column in columns:
        codes, n_values = _codes(column)
        if key is None:
            key, size = codes, n_values
            continue
        if size * n_values >= 2**62:  # renumber before the mixed-radix key overflows
            key = pd.factorize(key)[0].astype(np.int64)
            size = int(key.max()) + 1
        key, size = key * n_values + codes, size * n_values
    if key is None:
        raise TypeError("factorize_rows needs at least one column")
    codes, _ = pd.factorize(key)
    codes = codes.astype(np.int64, copy=False)
    # numbered by first appearance, a row opens a new combination exactly when its number
    # exceeds every number before it: no second hash pass to find the first rows
    if len(codes):
        opens = np.empty(len(codes), dtype=bool)
        opens[0] = True
        np.greater(codes[1:], np.maximum.accumulate(codes)[:-1], out=opens[1:])
        first = np.flatnonzero(opens)
    else:
        first = np.zeros(0, dtype=np.int64)
    return codes, first.astype(np.int64, copy=False)


def _codes(column) -> tuple[np.ndarray, int]:
    """Give a column's values numbers from 1 (0 is missing); return them and how many there can be."""
    if isinstance(column, pd.Series) and isinstance(column.dtype, pd.CategoricalDtype):
        column = column.array
    if isinstance(column, pd.Categorical):  # already numbered
        return column.codes.astype(np.int64) + 1, len(column.categories) + 1
    if isinstance(column, pd.Series | pd.Index):
        column = column.array
    own_numbering = not isinstance(column, pd.arrays.NumpyExtensionArray)
    if isinstance(column, pd.api.extensions.ExtensionArray) and own_numbering:
        # numbered by the array itself (Arrow strings are dictionary-encoded), not via Python objects
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        return codes.astype(np.int64) + 1, len(uniques) + 1
    column = np.asarray(column)
    if column.dtype == bool:
        return column.astype(np.int64) + 1, 3
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return codes.astype(np.int64) + 1, len(uniques) + 1


def map_distinct(func, column, categorical: bool = False):
    """Apply ``func`` (a function of one value) once per distinct value of ``column``.

    Returns ``func(value)`` for every row, as an object array, or as a ``pd.Categorical``
    with ``categorical=True`` (cheap to group by); missing values are passed to ``func`` as
    ``None``.

    Examples
    --------
    >>> map_distinct(lambda v: f"event {v!r}", ["cut", "cut", None]).tolist()
    ["event 'cut'", "event 'cut'", 'event None']
    >>> map_distinct(len, ["ab", "c", "ab"], categorical=True).codes.tolist()
    [0, 1, 0]

    """
    if isinstance(column, pd.Series) and isinstance(column.dtype, pd.CategoricalDtype):
        column = column.array
    if isinstance(column, pd.Categorical):  # numbered already
        codes, uniques = column.codes, np.asarray(column.categories, dtype=object)
    elif isinstance(getattr(column, "dtype", None), pd.StringDtype):  # text: numbered by the array itself
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        uniques = np.asarray(uniques, dtype=object)
    else:
        codes, uniques = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=True)
    labels = np.empty(len(uniques) + 1, dtype=object)
    labels[:-1] = [func(value) for value in uniques]
    labels[-1] = func(None) if (codes < 0).any() else None
    if categorical:  # several values may share a label: number the labels, then the rows
        label_codes, categories = pd.factorize(labels, use_na_sentinel=True)
        return pd.Categorical.from_codes(label_codes[codes], categories=categories)
    return labels[codes]  # the missing-value code -1 picks the trailing label
