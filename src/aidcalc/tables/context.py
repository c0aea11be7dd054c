"""One data context: the tables of one data folder, validated once, cached, handed out as copies.

Every function that reads reference data (rates, plans, population, claims, evidence) takes a
:class:`DataContext`, defaulting to the tables shipped with the package. Open another folder
(a copy of ``data/`` with a changed rate, a colleague's edition) with :func:`open_data`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import threading
import time
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

        The files are those ``datapackage.json`` names (a table's path need not be ``<name>.csv``).
        When nothing happened in their folders since the last call (the kernel's change
        notifications, :class:`_Watcher`: one ``poll`` costing a fraction of a microsecond), the
        last digest stands. Otherwise, or where notifications are not available, the bytes are
        digested again whenever a file's change time, modification time, size or inode differs:
        an edit that restores size and modification time still moves the change time, which no
        user call can set. A file changed within the last second is digested on every call,
        since two writes within one tick of the file system's clock can leave the same times.
        """
        hit = self._stamps.get(names)
        if hit is not None:
            files, signature, digest, generation = hit
            if generation is not None and generation == _WATCHER.generation():
                return digest
            if _signature(files) == signature:  # something changed, not these files
                self._stamps[names] = (files, signature, digest, _WATCHER.watch(files))
                return digest
        return self._digest(names)

    def _digest(self, names: tuple) -> str:
        from aidcalc.tables.reader import table_files

        files = tuple(dict.fromkeys(f for name in names for f in table_files(self.path, name)))
        files += (self.path / "schemas",)  # a schema added to the folder changes the signature
        generation = _WATCHER.watch(files)  # watched before the files are read: no edit slips between
        signature = _signature(files)
        digest = hashlib.sha256(" ".join(names).encode())
        for f in files[:-1]:
            digest.update(f.read_bytes() if f.exists() else b"-")
        if signature is not None and not _racy(signature):
            self._stamps[names] = (files, signature, digest.hexdigest(), generation)
        else:
            self._stamps.pop(names, None)
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


class _Watcher:
    """The kernel's change notifications (Linux inotify) on the folders of the data files.

    :meth:`generation` is a number that moves whenever anything in a watched folder was created,
    written, moved, deleted or had its times or permissions changed; it costs one ``poll`` with
    no wait. An event is queued by the kernel during the write itself, so an edit finished before
    a call is always seen by that call. Where inotify is missing (not Linux, its limits reached)
    or a path goes through a symlink, :meth:`watch` returns None and callers compare the files'
    times instead. A forked child starts its own watcher (one inotify queue read by two processes
    would hide events from one of them).
    """

    MASK = 0x2 | 0x4 | 0x8 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800  # modify, attrib, close-write,
    # moved from/to, create, delete, delete-self, move-self

    def __init__(self):
        self._count = 0
        self._fd = -1
        self._active = None
        self._folders: set = set()
        self._lock = threading.Lock()
        self._libc = None
        self._local = threading.local()

    def _open(self) -> bool:
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        except (OSError, AttributeError):
            return False
        if fd < 0:
            return False
        self._libc, self._fd, self._active = libc, fd, True
        return True

    def generation(self) -> int:
        """Return the current generation: it differs from an earlier one after any event since."""
        if self._active is None:
            return self._count
        try:  # a poll object per thread: one object cannot be polled by two threads at once
            poll = self._local.poll
        except AttributeError:
            poll = self._local.poll = select.poll()
            poll.register(self._fd, select.POLLIN)
        if poll.poll(0):
            with self._lock:
                self._count += 1
                with contextlib.suppress(BlockingIOError, OSError):
                    while os.read(self._fd, 65536):
                        pass
        return self._count

    def watch(self, files) -> int | None:
        """Watch the folders of ``files``; return the generation, or None if they cannot all be watched."""
        folders = {f if f.is_dir() else f.parent for f in map(Path, files)}
        with self._lock:
            if self._active is None and (self._libc is False or not self._open()):
                self._libc = False
                return None
            for folder in folders - self._folders:
                # a link on the way could be pointed elsewhere without an event in the folder
                if os.path.realpath(folder) != str(folder) or \
                        self._libc.inotify_add_watch(self._fd, os.fsencode(folder), self.MASK) < 0:
                    return None
                self._folders.add(folder)
        return self.generation()

    def forget(self) -> None:
        """In a forked child: drop the parent's queue and start anew (every memo compares times once)."""
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._count += 1
        self._fd, self._active, self._folders, self._libc = -1, None, set(), None
        self._lock, self._local = threading.Lock(), threading.local()


_WATCHER = _Watcher()
os.register_at_fork(after_in_child=_WATCHER.forget)


def _signature(files) -> tuple | None:
    """Return the change and modification times, size and inode of each file (None if one is missing)."""
    try:
        return tuple((st.st_ctime_ns, st.st_mtime_ns, st.st_size, st.st_ino) for st in map(os.stat, files))
    except OSError:
        return None


#: How recent a change must be for its times not to be trusted (a coarse file-system clock ticks
#: every few milliseconds; a second leaves room for clocks of network file systems).
_RACY_NS = 1_000_000_000


def _racy(signature: tuple) -> bool:
    """Return whether a file changed so recently that another write could leave the same times."""
    newest = max(max(ctime, mtime) for ctime, mtime, _, _ in signature)
    return newest >= time.time_ns() - _RACY_NS


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
    # changes the digest. Read as bytes: a cache file damaged into another encoding is only
    # a cache that remembers nothing, never a reason for a load to fail.
    try:
        return stamp.encode() in _cache_file().read_bytes().split()
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
