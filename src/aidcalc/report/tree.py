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
from aidcalc.errors import ReportLockedError, ReportTreeError
from aidcalc.report.config import SET_NAME

RUNS = ".runs"
CURRENT = ".current"
LOCK = ".lock"
IGNORE = ".gitignore"
#: The first line of the ``.gitignore`` a run writes: the mark of a reports tree.
IGNORE_MARK = "# written by aidcalc report: everything here is generated"
#: The top-level entries that may hold what a run wrote (besides the notebooks' folders).
PAGES = ("index.html", "manifest.json")
#: The names of what an interrupted run leaves behind, removed by the next run.
LEFTOVERS = (".staging-", ".tmp-", ".old-")


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


# -- what may be touched ---------------------------------------------------------------------

def _refuse(entry: Path, what: str, way_out: str) -> None:
    raise ReportTreeError(f"{entry} {what}; aidcalc report touches only what it wrote itself. {way_out}")


def _looks_like_report(folder: Path, stem: str) -> bool:
    """Whether a real folder named like a notebook holds only set folders (``<stem>/<set>/``).

    The layout of a run, and of the runner before the tree; a run carries such a folder over
    into its own tree before it replaces it by a link, so nothing in it is lost.
    """
    return all(p.is_dir() and not p.is_symlink() and SET_NAME.fullmatch(p.name) for p in folder.iterdir())


def _is_tree(reports_dir: Path) -> bool:
    """Whether a folder is marked as a reports tree: runs, the switch, the lock or our .gitignore."""
    if any(os.path.lexists(reports_dir / n) for n in (RUNS, CURRENT, LOCK)):
        return True
    ignore = reports_dir / IGNORE
    with contextlib.suppress(OSError, UnicodeDecodeError):
        if ignore.is_file() and not ignore.is_symlink():
            return ignore.read_text(encoding="utf-8").startswith(IGNORE_MARK)
    return False


def _check_links(reports_dir: Path) -> None:
    """Refuse links where the tree has none of its own and a ``.current`` that is not its link."""
    way_out = (f"Move {reports_dir} aside (or remove it) and run again: the next run builds it anew.")
    for name in (RUNS, LOCK):
        entry = reports_dir / name
        if entry.is_symlink():
            _refuse(entry, f"is a link (to {os.readlink(entry)}), not the run's own {name}", way_out)
    if (reports_dir / RUNS).exists() and not (reports_dir / RUNS).is_dir():
        _refuse(reports_dir / RUNS, "is a file, not the folder of the runs", way_out)
    current = reports_dir / CURRENT
    if current.is_symlink():
        target = os.readlink(current)
        if Path(target).parent != Path(RUNS) or Path(target).name in ("", ".", ".."):
            _refuse(current, f"links to {target}, outside {RUNS}/", way_out)
    elif current.is_dir():
        _refuse(current, "is a folder, not a link: the reports were copied without their links "
                         "(cp -rL, an archive or a sync that follows links)", way_out)
    elif os.path.lexists(current):
        _refuse(current, "is a plain file, not the link to the current run", way_out)
    run = _current_run(reports_dir)
    if run is not None:  # a run holds no links: one planted in it would be followed when carried over
        for folder, dirs, files in os.walk(run):
            for name in dirs + files:
                if os.path.islink(os.path.join(folder, name)):
                    entry = Path(folder, name)
                    _refuse(entry, f"is a link (to {os.readlink(entry)}) inside a run, which no run made",
                            "Remove the link and run again.")
    for entry in sorted(reports_dir.iterdir()):
        if entry.is_symlink() and not entry.name.startswith("."):
            target = os.readlink(entry)
            if target != f"{CURRENT}/{entry.name}":
                _refuse(entry, f"is a link to {target}, which no run made (a run links "
                               f"{entry.name} -> {CURRENT}/{entry.name})", "Remove the link and run again.")


def check_tree(reports_dir: Path, stems: list[str]) -> None:
    """Refuse, before any work, a reports folder a run would harm or could not finish.

    A run touches only what it wrote itself: the folder must be missing, empty, or a reports
    tree (its ``.runs``, ``.current``, ``.lock`` or the ``.gitignore`` a run writes; or the
    folders of the runner before the tree: ``<notebook>/<set>/<notebook>.ipynb``, ``index.html``
    and ``manifest.json``). Links are refused wherever the tree has none of its own.

    Parameters
    ----------
    reports_dir : Path
        The reports folder.
    stems : list of str
        The notebooks of the config (their folders are the run's).

    Raises
    ------
    ReportTreeError
        Naming the entry, why it is refused and what to do.

    """
    if reports_dir.is_symlink() and not reports_dir.exists():
        _refuse(reports_dir, f"is a link to {os.readlink(reports_dir)}, which does not exist",
                "Create the folder it names, or give --reports-dir a folder.")
    if not os.path.lexists(reports_dir):
        return
    if not reports_dir.is_dir():
        _refuse(reports_dir, "is a file, not a folder", "Give --reports-dir a folder (new or empty).")
    if not os.access(reports_dir, os.W_OK | os.X_OK):
        _refuse(reports_dir, "cannot be written to (read-only)", "Give --reports-dir a folder you can write.")
    _check_links(reports_dir)
    tree = _is_tree(reports_dir)
    reports = [s for s in stems if (reports_dir / s).is_dir() and _looks_like_report(reports_dir / s, s)]
    foreign = []
    for entry in sorted(reports_dir.iterdir()):
        name = entry.name
        if entry.is_symlink() or name.startswith(".") and (tree or name.startswith(LEFTOVERS)):
            continue
        if name in reports:
            continue
        if name in PAGES and entry.is_file() and (tree or reports):
            continue
        foreign.append(name)
    if foreign:
        shown = ", ".join(foreign[:8]) + (f" and {len(foreign) - 8} more" if len(foreign) > 8 else "")
        _refuse(reports_dir, f"holds {shown}, which no run wrote",
                "Give --reports-dir a new or empty folder, or move those entries out of it.")


# -- the workers -----------------------------------------------------------------------------

@contextlib.contextmanager
def _run_lock(reports_dir: Path):
    """Hold ``reports/.lock`` for the run; refuse, naming the holder, when another run has it."""
    try:  # never through a link: a planted .lock -> someone's file would be truncated
        fd = os.open(reports_dir / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as err:
        raise ReportTreeError(f"{reports_dir / LOCK} cannot be opened as the run's lock ({err.strerror}); "
                              "remove it (rm, never through a link) and run again") from None
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
        try:
            yield fd
        finally:  # a run that failed holds the lock no more either: no stale pid in it
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
    ignore = reports_dir / IGNORE
    if not os.path.lexists(ignore):  # the links, lock and runs are outputs, never to be committed
        fd = os.open(ignore, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(f"{IGNORE_MARK}\n*\n")


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
