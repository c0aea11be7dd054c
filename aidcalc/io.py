"""Load the project's tables, validated against their Frictionless table schemas."""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from aidcalc import paths
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


def _resource_descriptor(name: str, data_dir: Path) -> dict:
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


def validate_table(name: str, data_dir: Path | str | None = None) -> None:
    """Check one table against its schema, foreign keys included.

    Parameters
    ----------
    name : str
        Resource name in ``data/datapackage.json`` (e.g. ``"loans"``).
    data_dir : path, optional
        Folder holding ``datapackage.json``; defaults to the project's ``data/``.

    Raises
    ------
    DataValidationError
        Naming the file, each bad line and column, and what the schema accepts.

    """
    data_dir = Path(data_dir or paths.DATA_DIR)
    _validate_cached(name, str(data_dir), _stamp(data_dir, name))


def _stamp(data_dir: Path, name: str) -> str:
    """Return a digest of all a table's validity depends on: itself, its schema, its references."""
    files = [data_dir / "datapackage.json", data_dir / f"{name}.csv", data_dir / "sources.csv"]
    files += sorted((data_dir / "schemas").glob("*.json"))
    digest = hashlib.sha256(name.encode())
    for f in files:
        digest.update(f.read_bytes() if f.exists() else b"-")
    return digest.hexdigest()


def _cache_file() -> Path:
    return Path(os.environ.get("AIDCALC_CACHE", paths.PROJ_ROOT / ".aidcalc-cache")) / "validated.txt"


@lru_cache(maxsize=64)
def _validate_cached(name: str, data_dir: str, stamp: str) -> None:
    # A table whose exact bytes (and schema) passed before is not validated again: the digest
    # of its content is recorded once frictionless has passed it. Any edit changes the digest.
    cache = _cache_file()
    if cache.exists() and stamp in cache.read_text().split():
        return
    _validate_with_frictionless(name, Path(data_dir))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with cache.open("a") as f:
            f.write(stamp + "\n")
    except OSError:
        pass  # a read-only checkout validates every time instead


def _validate_with_frictionless(name: str, base: Path) -> None:
    # frictionless is imported here, not at module level, so that `import aidcalc` stays light.
    import frictionless

    resource = _resource_descriptor(name, base)
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


def load_table(name: str, data_dir: Path | str | None = None) -> pd.DataFrame:
    """Load one table from ``data/`` after validating it against its schema.

    Parameters
    ----------
    name : str
        Resource name in ``data/datapackage.json``: an evidence table (``loans``,
        ``arms_shipments``, ``projects``, ``specialists``, ``trade``, ``other_figures``)
        or a reference table (``rates``, ``redenominations``, ``cpi_u``, ``plans``,
        ``population``, ``sources``).
    data_dir : path, optional
        Folder holding ``datapackage.json``; defaults to the project's ``data/``.

    Returns
    -------
    pandas.DataFrame
        One column per schema field, typed from the schema; empty cells stay missing
        (``<NA>`` / ``NaN``), never zero.

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
    data_dir = Path(data_dir or paths.DATA_DIR)
    validate_table(name, data_dir)
    resource = _resource_descriptor(name, data_dir)
    fields = resource["schema"]["fields"]
    dtypes = {f["name"]: _PANDAS_TYPES.get(f["type"], "string") for f in fields}
    frame = pd.read_csv(
        data_dir / resource["path"], dtype=dtypes, keep_default_na=False, na_values=[""]
    )
    return frame


def load_evidence(data_dir: Path | str | None = None) -> pd.DataFrame:
    """Load every evidence table into one frame, with a ``table`` column naming its file.

    Examples
    --------
    >>> evidence = load_evidence()
    >>> sorted(evidence["table"].unique())[:2]
    ['arms_shipments', 'loans']

    """
    frames = [load_table(name, data_dir).assign(table=name) for name in EVIDENCE_TABLES]
    return pd.concat(frames, ignore_index=True)


def validate_all(data_dir: Path | str | None = None) -> dict:
    """Validate every table of the data package; return the row count of each.

    Raises
    ------
    DataValidationError
        At the first table that breaks its schema.

    """
    data_dir = Path(data_dir or paths.DATA_DIR)
    names = [r["name"] for r in _descriptor(data_dir)["resources"]]
    return {name: len(load_table(name, data_dir)) for name in names}


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

