"""The reports folder as one switchable tree: runs built aside, switched in by one rename, a lock.

The layout keeps one complete set of reports visible whatever moment a run is interrupted or
killed::

    reports/
        .runs/<id>/            one complete tree: <notebook>/<set>/, index.html, manifest.json,
                               .data/ (the snapshot of data/ the run read)
        .current -> .runs/<id> the one atomic switch
        index.html -> .current/index.html
        manifest.json -> .current/manifest.json
        <notebook> -> .current/<notebook>
        .lock                  held (flock) by the run in progress

A run builds its whole tree in ``reports/.staging-<id>/``, renames it into ``.runs/`` and then
replaces ``.current`` with ``os.replace`` of a fresh symlink: before that call readers see the
previous run, after it the new one. Leftovers of an interrupted run are removed when the next
run starts.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path

from aidcalc import paths
from aidcalc.errors import ReportLockedError

RUNS = ".runs"
CURRENT = ".current"
LOCK = ".lock"


def data_digest(path: Path | str) -> str:
    """Return the digest of a data folder: sha256 over its files' sorted relative names and bytes.

    The same 16 hex digits ``DataContext.digest`` gives, so a notebook's printed digest and the
    run manifest agree.

    Parameters
    ----------
    path : path
        The data folder.

    Returns
    -------
    str
        The first 16 hex digits of the sha256.

    """
    return paths.folder_digest(path)


# -- the workers -----------------------------------------------------------------------------

@contextlib.contextmanager
def _run_lock(reports_dir: Path):
    """Hold ``reports/.lock`` for the run; refuse, naming the holder, when another run has it."""
    fd = os.open(reports_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            raise ReportLockedError(
                f"another aidcalc report is running (pid {holder}) on {reports_dir}; wait for it to "
                f"finish, or stop it (kill {holder}) and run again") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield fd
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def _current_run(reports_dir: Path) -> Path | None:
    """Return the run folder ``.current`` points at, if it points at one."""
    link = reports_dir / CURRENT
    if link.is_symlink() and link.resolve().is_dir():
        return reports_dir / os.readlink(link)
    return None


def _visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def _clean_leftovers(reports_dir: Path) -> None:
    """Remove what interrupted runs left: staging and temporary entries, runs never made current."""
    for pattern in (".staging-*", ".tmp-*", ".old-*"):
        for leftover in reports_dir.glob(pattern):
            _remove(leftover)
    current = _current_run(reports_dir)
    for run in (reports_dir / RUNS).glob("*"):
        if current is None or run.name != current.name:
            _remove(run)
    ignore = reports_dir / ".gitignore"
    if not ignore.exists():  # the links, lock and runs are outputs, never to be committed
        ignore.write_text("# written by aidcalc report: everything here is generated\n*\n")


def _promote(reports_dir: Path, staging: Path, run_id: str) -> Path:
    """Swap step 1: move the finished staging tree to ``.runs/<id>`` (not yet visible)."""
    run = reports_dir / RUNS / run_id
    run.parent.mkdir(exist_ok=True)
    staging.rename(run)
    return run


def _link_new_entries(reports_dir: Path, run: Path) -> None:
    """Swap step 2: link the run's notebooks that have no entry yet (they resolve after the switch)."""
    for name in _visible(run):
        entry = reports_dir / name
        if not entry.exists() and not entry.is_symlink():
            os.symlink(f"{CURRENT}/{name}", entry)


def _switch(reports_dir: Path, run_id: str) -> None:
    """Swap step 3, the atomic one: point ``.current`` at the new run."""
    tmp = reports_dir / f".tmp-{run_id}-current"
    tmp.unlink(missing_ok=True)
    os.symlink(f"{RUNS}/{run_id}", tmp)
    os.replace(tmp, reports_dir / CURRENT)


def _relink(reports_dir: Path) -> None:
    """Swap step 4: make every top-level entry a link into ``.current`` and drop links to nothing.

    Also repairs the folder when a run was stopped between its steps, and turns the folders of
    the runner before this design (real directories) into links.
    """
    current = _current_run(reports_dir)
    if current is None:
        return
    names = set(_visible(current))
    for name in sorted(names):
        entry, target = reports_dir / name, f"{CURRENT}/{name}"
        if entry.is_symlink() and os.readlink(entry) == target:
            continue
        tmp = reports_dir / f".tmp-link-{name}"
        tmp.unlink(missing_ok=True)
        os.symlink(target, tmp)
        if entry.is_dir() and not entry.is_symlink():
            # a directory cannot be replaced atomically: set it aside, link, then remove it
            old = reports_dir / f".old-{name}"
            _remove(old)
            entry.rename(old)
            os.replace(tmp, entry)
            _remove(old)
        else:
            os.replace(tmp, entry)
    for entry in reports_dir.iterdir():
        if (entry.is_symlink() and entry.name not in names
                and os.readlink(entry).startswith(f"{CURRENT}/")):
            entry.unlink()


def _prune(reports_dir: Path) -> None:
    """Swap step 5: remove the runs that are no longer current."""
    current = _current_run(reports_dir)
    for run in (reports_dir / RUNS).glob("*"):
        if current is not None and run.name != current.name:
            _remove(run)


#: The swap, in order; a run stopped after any of them leaves a complete, consistent reports/.
SWAP_STEPS = ("_promote", "_link_new_entries", "_switch", "_relink", "_prune")


def _swap(reports_dir: Path, staging: Path, run_id: str) -> None:
    run = _promote(reports_dir, staging, run_id)
    _link_new_entries(reports_dir, run)
    _switch(reports_dir, run_id)
    _relink(reports_dir)
    _prune(reports_dir)


def _carry_over(reports_dir: Path, staging: Path, stems: list[str], previous: dict) -> dict:
    """Hard-link the previous reports of notebooks not run into ``staging``; return their manifest entries."""
    carried = {}
    for stem in stems:
        source = reports_dir / stem
        # a folder without a set folder in it (emptied by hand, say) is no report to keep
        if (staging / stem).exists() or not source.is_dir() or not any(p.is_dir() for p in source.iterdir()):
            continue

        def link(src, dst):
            try:
                os.link(src, dst)
            except OSError:  # a file system without hard links: copy
                shutil.copy2(src, dst)

        shutil.copytree(source.resolve(), staging / stem, copy_function=link)
        for folder in sorted(p for p in (staging / stem).iterdir() if p.is_dir()):
            key = f"{stem}/{folder.name}"
            # reports of the runner before manifests: what they were run with is not known
            entry = previous.get(key) or {"notebook": f"{stem}.ipynb", "parameter_set": folder.name,
                                          "parameters": None, "data_digest": None, "run_date": None}
            carried[key] = dict(entry, carried_over=True)
    return carried


def new_run_id() -> str:
    """Return a fresh, sortable name for a run folder (``.runs/<id>``)."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}-{secrets.token_hex(3)}"


def _read_manifest(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
