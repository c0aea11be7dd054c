"""One data context: the tables of one data folder, validated once, cached, handed out as copies.

Every function that reads reference data (rates, plans, population, claims, evidence) takes a
:class:`DataContext`, defaulting to the tables shipped with the package. Open another folder
(a copy of ``data/`` with a changed rate, a colleague's edition) with :func:`open_data`.
"""

from __future__ import annotations

import hashlib
import os
import threading
import warnings
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from aidcalc import paths
from aidcalc.errors import DataNotFoundError

if TYPE_CHECKING:  # pandas only once a table is read: import aidcalc stays light
    import pandas as pd

#: Contexts already opened, by resolved folder: one per folder per process.
_OPEN: dict[Path, DataContext] = {}
_LOCK = threading.Lock()


class DataContext:
    """The tables of one data folder: loading, validation and caches in one place.

    Frames come out as copies, so a caller that changes one changes nothing for the next.

    Examples
    --------
    >>> data = open_data()
    >>> int(data.table("loans").set_index("id").loc["L0002", "plan"])
    1

    """

    def __init__(self, path: Path):
        self.path = path
        if not (path / "datapackage.json").exists():
            raise DataNotFoundError(
                f"no datapackage.json in {path}; point AIDCALC_DATA (or open_data(path)) at a folder "
                "holding the aidcalc tables, such as the data/ folder of a checkout"
            )
        self._frames: dict[str, tuple[str, object]] = {}
        self._stamps: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"DataContext({str(self.path)!r})"

    def stamp(self, *names: str) -> str:
        """Return a digest of all the tables' validity depends on: themselves, schemas, references.

        The bytes are digested again only when a file's modification time, size or inode (or the
        schema folder's) has changed since the last call, so asking costs a few ``stat`` calls.
        """
        from aidcalc.tables.reader import table_files

        hit = self._stamps.get(names)
        if hit is not None and _signature(hit[0]) == hit[1]:
            return hit[2]
        files = tuple(dict.fromkeys(f for name in names for f in table_files(self.path, name)))
        digest = hashlib.sha256(" ".join(names).encode())
        for f in files:
            digest.update(f.read_bytes() if f.exists() else b"-")
        files += (self.path / "schemas",)  # a schema added to the folder changes the signature
        signature = _signature(files)
        if signature is not None:
            self._stamps[names] = (files, signature, digest.hexdigest())
        return digest.hexdigest()

    @property
    def digest(self) -> str:
        """A digest of every file of the data folder, to record which data a result used."""
        return paths.folder_digest(self.path)

    def cached(self, key: str, stamp: str, build):
        """Return what ``build()`` makes, made once per ``stamp`` (a digest of what it depends on)."""
        with self._lock:
            hit = self._frames.get(key)
            if hit is not None and hit[0] == stamp:
                return hit[1]
        value = build()
        with self._lock:
            self._frames[key] = (stamp, value)
        return value

    def table(self, name: str) -> pd.DataFrame:
        """Return one table, validated against its schema and typed from it (a fresh copy).

        Raises
        ------
        DataValidationError
            Naming the file, each bad line and column, and what the schema accepts.
        UnknownParameterError
            If ``name`` is not a table of the data package.

        """
        from aidcalc.tables.reader import read_table

        stamp = self.stamp(name)
        frame = self.cached(f"table:{name}", stamp, lambda: self._validated(name, stamp, read_table))
        return frame.copy()

    def _validated(self, name, stamp, read_table):
        from aidcalc.tables.reader import CHECKS_VERSION

        mark = f"{stamp}:{CHECKS_VERSION}"  # checked again when the checks change, not only the data
        frame = read_table(self.path, name, known_valid=_remembered(mark))
        _remember(mark)
        return frame

    def evidence(self) -> pd.DataFrame:
        """Return every evidence table in one frame, with a ``table`` column naming its file."""
        import pandas as pd

        from aidcalc.tables.reader import EVIDENCE_TABLES

        frames = [self.table(name).assign(table=name) for name in EVIDENCE_TABLES]
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def names(self) -> list[str]:
        """The tables of the data package."""
        from aidcalc.tables.reader import table_names

        return table_names(self.path)


def _signature(files) -> tuple | None:
    """Return the modification time, size and inode of each file (None if one is missing)."""
    try:
        return tuple((st.st_mtime_ns, st.st_size, st.st_ino) for st in map(os.stat, files))
    except OSError:
        return None


#: What a ``data`` argument accepts: a folder (path) of tables, an open :class:`DataContext`, or
#: None for the default (``$AIDCALC_DATA``, else the tables shipped with aidcalc).
DataLike = str | os.PathLike | DataContext | None


def open_data(path: str | Path | None = None) -> DataContext:
    """Open a data folder (default: ``$AIDCALC_DATA``, else the tables shipped with aidcalc).

    Parameters
    ----------
    path : path, optional
        A folder holding ``datapackage.json`` and the tables it lists.

    Returns
    -------
    DataContext
        One per folder per process: opening a folder twice gives the same context.

    Raises
    ------
    DataNotFoundError
        If the folder holds no ``datapackage.json``.

    Examples
    --------
    >>> open_data() is open_data()
    True

    """
    if isinstance(path, DataContext):
        return path
    folder = paths.data_dir(path)
    with _LOCK:
        if folder not in _OPEN:
            _OPEN[folder] = DataContext(folder)
        return _OPEN[folder]


def _cache_file() -> Path:
    return paths.cache_dir() / "validated.txt"


def _remembered(stamp: str) -> bool:
    # A table whose exact bytes (and schema) passed before is not validated again: any edit
    # changes the digest.
    cache = _cache_file()
    try:
        return cache.exists() and stamp in cache.read_text().split()
    except OSError:
        return False


_WARNED = []


def _remember(stamp: str) -> None:
    cache = _cache_file()
    try:
        if _remembered(stamp):
            return
        cache.parent.mkdir(parents=True, exist_ok=True)
        with cache.open("a") as f:
            f.write(stamp + "\n")
    except OSError as err:
        if not _WARNED:  # say it once: every later load validates again, which is slower, not wrong
            _WARNED.append(True)
            warnings.warn(f"aidcalc cannot write its validation cache {cache} ({err.strerror}); tables "
                          "will be validated on every load. Set AIDCALC_CACHE to a writable folder.",
                          stacklevel=3)


def load_table(name: str, data: DataLike = None) -> pd.DataFrame:
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
    return open_data(data).table(name)


def load_evidence(data: DataLike = None) -> pd.DataFrame:
    """Load every evidence table into one frame, with a ``table`` column naming its file.

    Examples
    --------
    >>> evidence = load_evidence()
    >>> sorted(evidence["table"].unique())[:2]
    ['arms_shipments', 'loans']

    """
    return open_data(data).evidence()
