"""Load the project's tables, validated against their Frictionless table schemas."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from aidcalc.errors import DataValidationError, MissingColumnError, UnknownParameterError

#: The tables that hold figures from the sources, each with the one-letter id prefix of its rows.
EVIDENCE_TABLES = {
    "loans": "L",
    "arms_shipments": "A",
    "projects": "P",
    "specialists": "S",
    "trade": "T",
    "other_figures": "O",
}

_PANDAS_TYPES = {"integer": "Int64", "number": "float64", "string": "string", "boolean": "boolean"}


def _descriptor(data_dir: Path) -> dict:
    return json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))


def table_names(data_dir: Path) -> list[str]:
    """Return the names of the tables of the data package in ``data_dir``."""
    return [r["name"] for r in _descriptor(data_dir)["resources"]]


def resource_descriptor(name: str, data_dir: Path) -> dict:
    """Return a table's descriptor in ``datapackage.json``, its schema read in."""
    resources = {r["name"]: r for r in _descriptor(data_dir)["resources"]}
    if name not in resources:
        raise UnknownParameterError(
            f"no table {name!r} in {data_dir / 'datapackage.json'}; "
            f"known tables: {', '.join(sorted(resources))}"
        )
    resource = dict(resources[name])
    if isinstance(resource["schema"], str):
        resource["schema"] = json.loads((data_dir / resource["schema"]).read_text(encoding="utf-8"))
    return resource


def table_files(data_dir: Path, name: str) -> list[Path]:
    """Return the files a table's validity depends on: itself, the descriptor, schemas, sources."""
    files = [data_dir / "datapackage.json", data_dir / f"{name}.csv", data_dir / "sources.csv"]
    return files + sorted((data_dir / "schemas").glob("*.json"))


def validate_with_frictionless(name: str, base: Path) -> None:
    """Check one table against its schema with frictionless, foreign keys included.

    Raises
    ------
    DataValidationError
        Naming the file, each bad line and column, and what the schema accepts.

    """
    # frictionless is imported here, not at module level, so that `import aidcalc` stays light.
    import frictionless

    resource = resource_descriptor(name, base)
    path = base / resource["path"]
    package = frictionless.Package(str(base / "datapackage.json"))
    report = package.get_resource(name).validate()
    problems = []
    for task in report.tasks:
        for err in task.errors:
            row = getattr(err, "row_number", None) or "-"
            col = getattr(err, "field_name", None)
            cell = getattr(err, "cell", None)
            value = f" (value {cell!r})" if cell not in (None, "") else ""
            problems.append((row, col, f"{err.title}: {err.note}{value}"))
    if problems:
        raise DataValidationError(path, problems)


def read_table(data_dir: Path, name: str, known_valid: bool = False) -> pd.DataFrame:
    """Validate one table (unless ``known_valid``) and read it, typed from its schema.

    Callers go through :class:`aidcalc.context.DataContext`, which caches the result.
    """
    if not known_valid:
        validate_with_frictionless(name, data_dir)
    resource = resource_descriptor(name, data_dir)
    fields = resource["schema"]["fields"]
    dtypes = {f["name"]: _PANDAS_TYPES.get(f["type"], "string") for f in fields}
    return pd.read_csv(data_dir / resource["path"], dtype=dtypes, keep_default_na=False, na_values=[""])


def validate_table(name: str, data=None) -> None:
    """Check one table against its schema, foreign keys included.

    Parameters
    ----------
    name : str
        Resource name in ``data/datapackage.json`` (e.g. ``"loans"``).
    data : DataContext or path, optional
        The data to read (:func:`aidcalc.open_data`); defaults to the packaged tables.

    Raises
    ------
    DataValidationError
        Naming the file, each bad line and column, and what the schema accepts.

    """
    load_table(name, data)


def load_table(name: str, data=None) -> pd.DataFrame:
    """Load one table after validating it against its schema.

    Parameters
    ----------
    name : str
        Resource name in ``data/datapackage.json``: an evidence table (``loans``,
        ``arms_shipments``, ``projects``, ``specialists``, ``trade``, ``other_figures``)
        or a reference table (``rates``, ``redenominations``, ``cpi_u``, ``plans``,
        ``population``, ``sources``, ``claims``).
    data : DataContext or path, optional
        The data to read (:func:`aidcalc.open_data`); defaults to the packaged tables.

    Returns
    -------
    pandas.DataFrame
        One column per schema field, typed from the schema; empty cells stay missing
        (``<NA>`` / ``NaN``), never zero. A fresh copy: changing it changes nothing else.

    Raises
    ------
    DataValidationError
        If any row breaks the schema; nothing is dropped silently.
    UnknownParameterError
        If ``name`` is not a table of the data package.

    Examples
    --------
    >>> loans = load_table("loans")
    >>> row = loans.set_index("id").loc["L0002"]
    >>> float(row["amount"]), row["unit"], int(row["plan"])
    (254000000.0, 'RUB', 1)

    """
    from aidcalc.context import open_data

    return open_data(data).table(name)


def load_evidence(data=None) -> pd.DataFrame:
    """Load every evidence table into one frame, with a ``table`` column naming its file.

    Examples
    --------
    >>> evidence = load_evidence()
    >>> sorted(evidence["table"].unique())[:2]
    ['arms_shipments', 'loans']

    """
    from aidcalc.context import open_data

    return open_data(data).evidence()


def validate_all(data=None) -> dict:
    """Validate every table of the data package; return the row count of each.

    Raises
    ------
    DataValidationError
        At the first table that breaks its schema.

    """
    from aidcalc.context import open_data

    data = open_data(data)
    return {name: len(data.table(name)) for name in data.names}


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

