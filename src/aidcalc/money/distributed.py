"""Convert columns of a Dask DataFrame, partition by partition, beyond the memory of one machine.

:func:`convert_dask` runs :func:`aidcalc.convert` on each partition (``map_partitions``), so every
partition is converted by the same code, with the same rules, results and messages, as a pandas
frame; nothing is computed until the caller asks (``.compute()``, ``.sum()``, ``.to_parquet()``).
Dask is an optional dependency: ``pip install "aidcalc[dask]"``.

Each worker process opens the rate tables once (the data context is per process): pass ``data``
as a path (or a :class:`~aidcalc.tables.context.DataContext`, sent as its path) or as a
:class:`~aidcalc.money.rates.RateTable`, which travels with the task graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import dask.dataframe as dd

#: The columns :func:`convert_dask` adds, in this order, when asked for.
COLUMNS = ("value", "low", "high", "rate_ids", "problem")


def convert_dask(ddf: dd.DataFrame, amount: str = "amount", currency: str = "currency", on: str = "date", *,
                 rate_ids: bool = True, data=None, **options) -> dd.DataFrame:
    """Convert the money columns of a Dask DataFrame, partition by partition.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        One row per amount.
    amount, currency, on : str
        The columns holding the amounts, the currency codes (plain or categorical) and the dates,
        as :func:`aidcalc.convert` takes them.
    rate_ids : bool
        Add ``rate_ids``: per row, the ids of the rate and redenomination rows used, joined by
        spaces (as :meth:`aidcalc.money.conversion.ConvertedColumns.rate_id_strings`), gathered by
        Arrow from the ids of each currency and day. Leave it out (``False``) for sums over many
        rows: a text per row still costs about a third of the conversion again.
    data : path, DataContext or RateTable, optional
        The tables to convert with (default: the packaged tables, opened once per worker).
    **options
        ``to``, ``rate_type``, ``basis``, ``via``, ``price_year``, ``errors``, ``bounds`` of
        :func:`aidcalc.convert`.

    Returns
    -------
    dask.dataframe.DataFrame
        ``ddf`` with ``value`` added (the converted amount), ``low`` and ``high`` with
        ``bounds=True``, ``rate_ids`` unless ``rate_ids=False``, and ``problem`` with
        ``errors="coerce"``. Options are checked at once, on the frame's empty ``meta``;
        a row that fails is reported when the partition holding it is computed.

    Examples
    --------
    >>> import dask.dataframe as dd  # doctest: +SKIP
    >>> frame = pd.DataFrame({"amount": [80e6, 151.9e6], "currency": ["RUB_old", "RUB"],
    ...                       "date": ["1956-07", "1965"]})
    >>> ddf = dd.from_pandas(frame, npartitions=2)  # doctest: +SKIP
    >>> convert_dask(ddf, to="USD")["value"].sum().compute() / 1e6  # doctest: +SKIP
    188.77...

    """
    from aidcalc.tables.context import DataContext

    if isinstance(data, DataContext):
        data = str(data.path)  # a context holds locks: send its folder, opened once per worker
    kwargs = {"amount": amount, "currency": currency, "on": on, "rate_ids": rate_ids, "data": data, **options}
    meta = convert_partition(ddf._meta, **kwargs)  # checks the options now, and gives the dtypes
    return ddf.map_partitions(convert_partition, meta=meta, **kwargs)


def convert_partition(frame: pd.DataFrame, amount: str = "amount", currency: str = "currency",
                      on: str = "date", *, rate_ids: bool = True, data=None, **options) -> pd.DataFrame:
    """Convert one pandas partition as :func:`convert_dask` does (its ``map_partitions`` function).

    Examples
    --------
    >>> frame = pd.DataFrame({"amount": [80e6], "currency": ["RUB_old"], "date": ["1956-07"]})
    >>> convert_partition(frame, bounds=True)[["value", "low", "high", "rate_ids"]].to_dict("records")
    [{'value': 20000000.0, 'low': 20000000.0, 'high': 20000000.0, 'rate_ids': 'R002'}]

    """
    from aidcalc.money.conversion import convert

    result = convert(frame[amount], frame[currency], frame[on], data=data, **options)
    added = {name: result.array(name) for name in ("value", "low", "high") if result.array(name) is not None}
    if rate_ids:
        added["rate_ids"] = _text_of(*result.rate_id_codes())
    if options.get("errors") == "coerce":
        added["problem"] = _text(np.asarray(result.problem))
    return _with_columns(frame, added)


def _with_columns(frame: pd.DataFrame, added: dict) -> pd.DataFrame:
    """Return ``frame`` with the columns ``added`` (new arrays, not copied); ``frame`` stays as it was."""
    if not frame.columns.is_unique:
        out = frame.copy(deep=False)
        for name, values in added.items():
            out[name] = values
        return out
    # one frame built at once: cheaper than inserting the columns one by one into a copy
    columns = {name: frame[name] for name in frame.columns} | added
    return pd.DataFrame(columns, index=frame.index, copy=False)


#: The text dtype this pandas gives a column of str objects: the same in meta and in partitions.
_TEXT = pd.Series(np.array([""], dtype=object)).dtype


def _text(values: np.ndarray) -> pd.Series | np.ndarray:
    return pd.array(values, dtype=_TEXT)


def _text_of(codes: np.ndarray, texts: np.ndarray):
    """Return ``texts[codes]`` as a text column, gathered by Arrow where the dtype is Arrow's."""
    if getattr(_TEXT, "storage", None) != "pyarrow":
        return _text(texts[codes])
    import pyarrow as pa

    return pd.array(pa.array(texts, type=pa.large_string()).take(pa.array(codes)), dtype=_TEXT)
