"""Regenerate every report: run each notebook with papermill per parameter set, render it.

Each run writes ``<notebook>/<parameter-set>/`` with the executed notebook, its HTML rendering,
and the charts (PNG, SVG) and tables (CSV) the notebook saves into its ``output_dir``;
``index.html`` links them all and ``manifest.json`` records the data digest, the parameters
and the date of every run.

The layout of ``reports/`` keeps one complete set of reports visible whatever moment a run is
interrupted or killed::

    reports/
        .runs/<id>/            one complete tree: <notebook>/<set>/, index.html, manifest.json,
                               .data/ (the snapshot of data/ the run read)
        .current -> .runs/<id> the one atomic switch
        index.html -> .current/index.html
        manifest.json -> .current/manifest.json
        <notebook> -> .current/<notebook>
        .lock                  held (flock) by the run in progress

A run builds its whole tree in ``reports/.staging-<id>/`` (the notebooks it runs, plus hard
links to the previous run's folders of the notebooks it does not run), renames it into
``.runs/`` and then replaces ``.current`` with ``os.replace`` of a fresh symlink: before that
call readers see the previous run, after it the new one. Leftovers of an interrupted run
(``.staging-*``, ``.tmp-*``, ``.old-*``, runs that never became current) are removed when the
next run starts.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from aidcalc import paths
from aidcalc.errors import ReportConfigError, ReportError, ReportLockedError, UnknownParameterError

#: The parameters every report notebook declares, with the values each accepts.
PARAMETERS = {
    "currency": ("USD", "RUB", "CNY"),
    "price_basis": ("nominal", "constant"),
    "rate_basis": ("official", "source_implied"),
}
CONFIG = "reports.yaml"
#: What a parameter set may be called: it becomes a folder name and part of a URL.
SET_NAME = re.compile(r"[A-Za-z0-9_-]+")
#: The notebook parameter that receives the digest of the data snapshot, when a notebook declares it.
DIGEST_PARAMETER = "data_digest"
RUNS = ".runs"
CURRENT = ".current"
LOCK = ".lock"
#: The kernel every run uses: the one ipykernel registers wherever it is installed, so the
#: runner works without the project's own ``aidcalc`` kernelspec that the notebooks name.
KERNEL = "python3"


@dataclass(frozen=True)
class Job:
    """One notebook run: which notebook, under which parameter set, with which values."""

    notebook: str
    parameter_set: str
    parameters: dict = field(default_factory=dict)
    declared: tuple = field(default=(), compare=False)

    @property
    def stem(self) -> str:
        """The notebook's name without ``.ipynb``: its folder under ``reports/``."""
        return Path(self.notebook).stem

    @property
    def folder(self) -> str:
        """Where the run's files go under ``reports/``."""
        return f"{self.stem}/{self.parameter_set}"


def validate_parameters(params: dict) -> dict:
    """Check report parameters' values; return them, or raise naming the value and the choices.

    Examples
    --------
    >>> validate_parameters({"currency": "USD", "plan_range": [1, 6]})["plan_range"]
    [1, 6]
    >>> validate_parameters({"currency": "EUR"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    aidcalc.errors.UnknownParameterError: currency='EUR' is not accepted; choose one of USD, RUB, CNY ...

    """
    for name, allowed in PARAMETERS.items():
        if name in params and params[name] not in allowed:
            extra = f" (data/rates.csv has no {params[name]} rates)" if name == "currency" else ""
            raise UnknownParameterError(
                f"{name}={params[name]!r} is not accepted; choose one of {', '.join(allowed)}{extra}"
            )
    if "price_year" in params:
        year = params["price_year"]
        if not isinstance(year, int) or not 1945 <= year <= 1990:
            raise UnknownParameterError(
                f"price_year={year!r} is not accepted; give a year from 1945 to 1990 (data/cpi_u.csv)"
            )
    if params.get("price_basis") == "constant" and params.get("currency", "USD") != "USD":
        raise UnknownParameterError(
            "price_basis='constant' needs currency='USD': constant prices are US CPI-U dollars"
        )
    if "plan_range" in params:
        pr = params["plan_range"]
        if not (isinstance(pr, list | tuple) and len(pr) == 2 and all(isinstance(p, int) for p in pr)
                and 1 <= pr[0] <= pr[1] <= 7):
            raise UnknownParameterError(
                f"plan_range={pr!r} is not accepted; give [first, last] plan numbers from 1 to 7"
            )
    if "include_military" in params and not isinstance(params["include_military"], bool):
        raise UnknownParameterError(
            f"include_military={params['include_military']!r} is not accepted; give true or false"
        )
    return params


# -- the config ------------------------------------------------------------------------------

_SHAPE = ("a mapping with `notebooks:` (a list of notebook files) and, optionally, "
          "`parameter_sets:` (a mapping from set name to parameter values)")


def _read_config(config: Path) -> dict:
    """Read the report config; raise naming the file and what is expected unless it has the right shape."""
    import yaml

    if not config.is_file():
        raise ReportConfigError(f"no report config at {config}; give --config a YAML file holding {_SHAPE}")
    try:
        spec = yaml.safe_load(config.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ReportConfigError(f"{config}{where} is not valid YAML ({problem}); it should hold {_SHAPE}") \
            from None
    if not isinstance(spec, dict):
        raise ReportConfigError(f"{config} holds a {type(spec).__name__}; it should hold {_SHAPE}")
    if not isinstance(spec.get("notebooks"), list) or not spec["notebooks"]:
        raise ReportConfigError(f"{config}: `notebooks:` should be a non-empty list of notebook files "
                                f"(such as 01_aid_by_plan.ipynb), not {spec.get('notebooks')!r}")
    sets = spec.get("parameter_sets", {"default": {}})
    if not isinstance(sets, dict):
        raise ReportConfigError(f"{config}: `parameter_sets:` should be a mapping from set name to its "
                                f"values (default: {{}}), not a {type(sets).__name__}")
    spec["parameter_sets"] = sets
    return spec


def _choices(names) -> str:
    return ", ".join(names) or "(none)"


def _declared(notebook: Path) -> tuple[str, ...]:
    """Return the names the notebook's ``parameters`` cell declares."""
    import nbformat
    from papermill.translators import PythonTranslator

    try:
        nb = nbformat.read(notebook, as_version=4)
        cell = next((c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])), None)
        # read as Python whatever kernel the notebook names: the runner always uses python3
        return tuple(p.name for p in PythonTranslator.inspect(cell)) if cell else ()
    except Exception as err:  # not JSON, not nbformat, or a parameters cell that does not parse
        raise ReportConfigError(f"{notebook} cannot be read as a notebook ({type(err).__name__}: {err}); "
                                "fix or restore it") from None


def _plan(config: Path, only: list[str] | None) -> tuple[list[Job], list[str]]:
    """Return the jobs to run and the stems of every notebook the config lists, checked."""
    spec = _read_config(config)
    notebooks, seen = [], set()
    for entry in spec["notebooks"]:
        if not isinstance(entry, str) or not entry.strip():
            raise ReportConfigError(f"{config}: `notebooks:` lists {entry!r}; give notebook file names")
        name = entry if entry.endswith(".ipynb") else f"{entry}.ipynb"
        if Path(name).stem in seen:
            raise UnknownParameterError(f"{config}: `notebooks:` lists {Path(name).stem} twice; list each "
                                        "notebook once (its parameter sets say how often it runs)")
        seen.add(Path(name).stem)
        notebooks.append(name)
    available = sorted(p.name for p in config.parent.glob("*.ipynb"))
    for name in notebooks:
        if not (config.parent / name).is_file():
            raise UnknownParameterError(
                f"{config}: `notebooks:` lists {name}, which is not in {config.parent}; "
                f"choose from {_choices(available)}")
    stems = [Path(n).stem for n in notebooks]

    def known(name, where: str) -> str:
        stem = Path(str(name)).stem if str(name).endswith(".ipynb") else str(name)
        if stem not in stems:
            raise UnknownParameterError(f"{where} names {name!r}, which {config} does not list; "
                                        f"choose from {_choices(stems)}")
        return stem

    chosen = {known(n, "--only") for n in only} if only else set(stems)

    sets = {}
    for set_name, entry in spec["parameter_sets"].items():
        if not isinstance(set_name, str) or not SET_NAME.fullmatch(set_name):
            raise UnknownParameterError(
                f"{config}: parameter set {set_name!r} is not a plain name; use letters, digits, "
                "'_' and '-' only (it becomes a folder name, reports/<notebook>/<set>/)")
        if entry is not None and not isinstance(entry, dict):
            raise ReportConfigError(
                f"{config}: parameter set {set_name!r} is a {type(entry).__name__}; write it as a mapping "
                "of parameter names to values, e.g. `currency: RUB`, with `notebooks: [...]` to limit it")
        entry = dict(entry or {})
        targets = entry.pop("notebooks", None)
        if targets is not None and not isinstance(targets, list):
            raise ReportConfigError(f"{config}: `notebooks:` of parameter set {set_name!r} should be a list "
                                    f"of notebook names, not {targets!r}")
        where = f"{config}: parameter set {set_name!r}"
        sets[set_name] = (entry, {known(t, where) for t in targets} if targets else set(stems))

    jobs = []
    for name in notebooks:
        stem = Path(name).stem
        if stem not in chosen:
            continue
        declared = _declared(config.parent / name)
        for set_name, (values, targets) in sets.items():
            if stem not in targets:
                continue
            unknown = sorted(set(values) - set(declared))
            if unknown:
                raise UnknownParameterError(
                    f"{config}: parameter set {set_name!r} gives {unknown} to {name}, whose "
                    f"parameters cell declares only {sorted(declared)}"
                )
            try:
                validate_parameters(values)
            except UnknownParameterError as err:
                raise UnknownParameterError(f"{config}: parameter set {set_name!r} for {name}: {err}") \
                    from None
            jobs.append(Job(name, set_name, dict(values), declared))
    return jobs, stems


def load_jobs(config: Path | str | None = None, only: list[str] | None = None) -> list[Job]:
    """Read the report config (``notebooks/reports.yaml``) into jobs, checking every parameter.

    Every notebook runs with the ``default`` set; a further set runs for the notebooks it lists.
    Everything is checked here, before any kernel starts.

    Parameters
    ----------
    config : path, optional
        The report config; defaults to ``notebooks/reports.yaml``.
    only : list of str, optional
        Notebook names (with or without ``.ipynb``) to keep; the config must list them.

    Returns
    -------
    list of Job
        One per notebook and parameter set, in the config's order.

    Raises
    ------
    ReportConfigError
        The config is missing, not YAML, or not shaped as expected (named in the message).
    UnknownParameterError
        An unknown or duplicate notebook, a set name that is not plain, an unknown parameter
        name (not in the notebook's ``parameters`` cell) or a bad value.

    """
    config = Path(config or paths.NOTEBOOKS_DIR / CONFIG)
    return _plan(config, list(only) if only else None)[0]


# -- data snapshot ---------------------------------------------------------------------------

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
    path = Path(path)
    digest = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(f.relative_to(path)).encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()[:16]


# -- the workers -----------------------------------------------------------------------------

def _die_with_parent(parent: int) -> None:
    # Linux only: without it, a SIGKILLed runner leaves its workers (and their kernels) running
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        _stop_worker(signal.SIGTERM, None)


def _end_children() -> None:
    """Stop every process this one started (the kernels), then remove their connection files."""
    import psutil  # a dependency of ipykernel

    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return
    files = []
    for child in children:
        with contextlib.suppress(psutil.Error):
            cmd = child.cmdline()
            files += [cmd[i + 1] for i, arg in enumerate(cmd[:-1]) if arg == "-f"]
        with contextlib.suppress(psutil.Error):
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=3)
    for child in alive:
        with contextlib.suppress(psutil.Error):
            child.kill()
    psutil.wait_procs(alive, timeout=3)
    for name in files:
        if Path(name).name.startswith("kernel-") and name.endswith(".json"):
            with contextlib.suppress(OSError):
                os.unlink(name)


def _stop_worker(signum, frame) -> None:
    _end_children()
    os._exit(128 + signum)


def _init_worker(data: str, lock_fd: int, parent: int) -> None:
    # the run lock is the parent's: a worker must not hold it after the parent is gone
    with contextlib.suppress(OSError):
        os.close(lock_fd)
    # Ctrl-C reaches the whole process group; the parent answers it by stopping the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop_worker)
    signal.signal(signal.SIGHUP, _stop_worker)
    _die_with_parent(parent)
    # papermill's kernel inherits this environment: every run reads the same snapshot
    os.environ["AIDCALC_DATA"] = data


@contextlib.contextmanager
def _output_to(log: Path):
    """Send this process's stdout and stderr (and so the kernel's) to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    saved = [os.dup(1), os.dup(2)]
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for f in (fd, *saved):
            os.close(f)


def _tail(log: Path, lines: int = 12) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return ("\nThe kernel's last messages:\n  " + "\n  ".join(text[-lines:])) if text else ""


def _render_notebook_html(executed: Path, job: Job, digest: str) -> Path:
    """Write the HTML page of an executed notebook beside it, as an article (:mod:`aidcalc.pages`).

    Parameters
    ----------
    executed : Path
        The executed notebook; the page gets its name with ``.html``.
    job : Job
        The run: notebook, parameter set and the values it gave.
    digest : str
        The digest of the data snapshot the run read.

    Returns
    -------
    Path
        The page written.

    """
    from aidcalc import pages

    return pages.write_page(executed, parameter_set=job.parameter_set, params=job.parameters,
                            data_digest=digest, run_date=date.today().isoformat())


def _run_job(job: Job, notebooks_dir: str, staging: str, digest: str) -> tuple[Job, float, list[str]]:
    """Execute one notebook into its folder under ``staging``; return the job, seconds and files."""
    import papermill
    from nbclient.exceptions import DeadKernelError

    start = time.perf_counter()
    out_dir = Path(staging) / job.folder
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / Path(job.notebook).name
    params = dict(job.parameters, output_dir=str(out_dir))
    if DIGEST_PARAMETER in job.declared:
        params[DIGEST_PARAMETER] = digest
    # the kernel's own messages (start-up notices, the "KeyboardInterrupt caught in kernel" that
    # jupyter_client's interrupt-before-shutdown provokes) go to a log, not the user's terminal
    log = Path(staging) / ".logs" / f"{job.stem}--{job.parameter_set}.log"
    where = f"{job.notebook} [{job.parameter_set}]"
    try:
        with _output_to(log):
            papermill.execute_notebook(str(Path(notebooks_dir) / job.notebook), str(executed),
                                       parameters=params, cwd=notebooks_dir, progress_bar=False,
                                       kernel_name=KERNEL, language="python", log_output=False)
    except papermill.PapermillExecutionError as err:
        raise ReportError(
            f"{where} failed in cell {err.exec_count} "
            f"(cell index {err.cell_index}): {err.ename}: {err.evalue}"
        ) from None
    except DeadKernelError as err:
        raise ReportError(f"{where}: the kernel died ({err}); a cell may have exhausted memory or "
                          f"crashed the interpreter{_tail(log)}") from None
    except Exception as err:  # kernel start-up and transport failures, named for the user
        raise ReportError(f"{where} could not run: {type(err).__name__}: {err}{_tail(log)}") from None
    _render_notebook_html(executed, job, digest)
    files = sorted(p.name for p in out_dir.iterdir())
    return job, time.perf_counter() - start, files


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """End every worker now (each stops its kernel first), then the pool."""
    # ProcessPoolExecutor has no public way to stop running workers before Python 3.14
    procs = [p for p in getattr(pool, "_processes", {}).values() if p.is_alive()]
    for p in procs:
        with contextlib.suppress(OSError):
            p.terminate()
    deadline = time.monotonic() + 8
    for p in procs:
        p.join(max(0.1, deadline - time.monotonic()))
    for p in procs:
        if p.is_alive():
            p.kill()
            p.join(2)
    pool.shutdown(wait=True, cancel_futures=True)


def _execute(todo: list[Job], notebooks_dir: Path, staging: Path, snapshot: Path, digest: str,
             jobs: int, progress: bool, lock_fd: int) -> dict[str, float]:
    from tqdm.auto import tqdm

    timings: dict[str, float] = {}
    if not todo:
        return timings
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(todo)), initializer=_init_worker,
                               initargs=(str(snapshot), lock_fd, os.getpid()))
    try:
        futures = {pool.submit(_run_job, job, str(notebooks_dir), str(staging), digest): job
                   for job in todo}
        with tqdm(total=len(futures), desc="reports", unit="run", disable=not progress) as bar:
            for future in as_completed(futures):
                try:
                    job, seconds, _ = future.result()
                except BrokenProcessPool:
                    unfinished = [f"{j.notebook} [{j.parameter_set}]" for f, j in futures.items()
                                  if not f.done() or f.cancelled() or f.exception() is not None]
                    raise ReportError("a worker process died (killed, or out of memory) while running "
                                      f"{', '.join(unfinished)}; run `aidcalc report` again") from None
                timings[job.folder] = seconds
                bar.set_postfix_str(job.folder)
                bar.update()
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown(wait=True)
    return timings


# -- the reports folder ----------------------------------------------------------------------

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


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@contextlib.contextmanager
def _signals_interrupt():
    """Turn SIGTERM and SIGHUP into KeyboardInterrupt, so a stopped run cleans up as after Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _raise_interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


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


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("aidcalc")
    except Exception:  # running from a checkout that is not installed
        return "unknown"


def _render_index(run: Path, manifest: dict) -> None:
    """Write the run's ``index.html``, the landing page (:func:`aidcalc.pages.write_index`).

    Parameters
    ----------
    run : Path
        The run's folder, ``<notebook>/<set>/`` under it.
    manifest : dict
        The run manifest; ``manifest["runs"]`` holds, per ``notebook/set``, the parameters,
        data digest and run date.

    """
    from aidcalc import pages

    pages.write_index(run, manifest.get("runs", {}), generated=manifest.get("created"))


def new_run_id() -> str:
    """Return a fresh, sortable name for a run folder (``.runs/<id>``)."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}-{secrets.token_hex(3)}"


def run_reports(config: Path | str | None = None, reports_dir: Path | str | None = None,
                jobs: int = 2, only: list[str] | None = None, progress: bool = True) -> dict:
    """Execute every report notebook, render it, and switch ``reports/`` to the new run at once.

    Parameters
    ----------
    config : path, optional
        The report config; defaults to ``notebooks/reports.yaml``.
    reports_dir : path, optional
        Where the reports go; defaults to ``reports/``.
    jobs : int
        Notebooks run in parallel (one kernel each), 1 or more; 2 suits a 2-core machine.
    only : list of str, optional
        Notebook names (stems) to run; the others' previous reports are carried into the new run.
    progress : bool
        Show a progress bar (tqdm) over the runs.

    Returns
    -------
    dict
        Seconds taken per run folder (``notebook/parameter-set``).

    Raises
    ------
    ReportError
        Naming the notebook, parameter set and failing cell, or the dead kernel; the previous
        reports stay in place.
    ReportLockedError
        Another run holds ``reports/.lock``.
    UnknownParameterError
        For a bad parameter, set name, notebook or ``jobs``, before any kernel starts.

    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise UnknownParameterError(f"jobs={jobs!r} is not accepted; give how many notebooks run at once, "
                                    "1 or more (default 2)")
    config = Path(config or paths.NOTEBOOKS_DIR / CONFIG)
    reports_dir = Path(reports_dir or paths.REPORTS_DIR)
    todo, stems = _plan(config, list(only) if only else None)
    reports_dir.mkdir(parents=True, exist_ok=True)
    with _signals_interrupt(), _run_lock(reports_dir) as lock_fd:
        _clean_leftovers(reports_dir)
        _relink(reports_dir)  # repairs a run stopped between the switch and the end of its swap
        run_id = new_run_id()
        staging = reports_dir / f".staging-{run_id}"
        staging.mkdir()
        try:
            snapshot = staging / ".data"
            shutil.copytree(paths.data_dir(), snapshot)
            digest = data_digest(snapshot)
            started = datetime.now(UTC)
            timings = _execute(todo, config.parent, staging, snapshot, digest, jobs, progress, lock_fd)
            previous = _read_manifest(reports_dir / "manifest.json").get("runs", {})
            runs = _carry_over(reports_dir, staging, stems, previous)
            runs.update({job.folder: {"notebook": job.notebook, "parameter_set": job.parameter_set,
                                      "parameters": job.parameters, "data_digest": digest,
                                      "run_date": started.date().isoformat(),
                                      "seconds": round(timings[job.folder], 2)} for job in todo})
            manifest = {"aidcalc_version": _version(), "created": started.isoformat(timespec="seconds"),
                        "data_digest": digest, "config": str(config.resolve()),
                        "runs": dict(sorted(runs.items()))}
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            _render_index(staging, manifest)
            _swap(reports_dir, staging, run_id)
        finally:
            _remove(staging)
            run, current = reports_dir / RUNS / run_id, _current_run(reports_dir)
            if run.exists() and (current is None or current.name != run_id):
                _remove(run)
    return timings


def _read_manifest(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
