"""Regenerate every report: run each notebook with papermill per parameter set, render it.

Each run writes ``<notebook>/<parameter-set>/`` with the executed notebook, its HTML rendering,
and the charts (PNG, SVG) and tables (CSV) the notebook saves into its ``output_dir``;
``index.html`` links them all and ``manifest.json`` records the data digest, the parameters
and the date of every run.

A run whose inputs are those of its last good run (the data digest, the notebook's bytes, its
parameters, the package's version and source, the versions of the libraries it runs on) is not
executed again: its folder is carried into the new tree and the manifest marks it ``reused``.
``force=True`` (``aidcalc report --force``) runs everything.

The runs are switched into ``reports/`` as one tree (:mod:`aidcalc.report.tree`), so that
whatever moment a run is interrupted or killed, the reports of the last good run stay whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, date, datetime
from pathlib import Path

from aidcalc import paths
from aidcalc.errors import ReportError, UnknownParameterError
from aidcalc.report import kernel, template
from aidcalc.report.config import CONFIG, DIGEST_PARAMETER, KERNEL, Job, _plan
from aidcalc.report.tree import (
    RUNS,
    _carry_over,
    _clean_leftovers,
    _current_run,
    _read_manifest,
    _relink,
    _remove,
    _run_lock,
    _swap,
    check_tree,
    data_digest,
    new_run_id,
)


def _die_with_parent(parent: int) -> None:
    # Linux only: without it, a SIGKILLed runner leaves its workers (and their kernels) running
    if not template.die_with_parent(signal.SIGTERM):
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
    kernel.end_now()
    _end_children()
    os._exit(128 + signum)


def _init_worker(data: str, lock_fd: int, parent: int, kernels: str | None = None) -> None:
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
    if kernels:  # the run's template forks this worker's kernel (aidcalc.report.template)
        os.environ[template.ADDRESS] = kernels
    # nbformat imports jsonschema, which compiles the 38 grammars of rfc3987_syntax as it is imported
    # (~1 s a process) for IRI format checks that nothing in a worker makes: nbformat validates
    # without format checks. Without the module, jsonschema leaves those two formats unchecked.
    sys.modules.setdefault("rfc3987_syntax", None)


def _render_notebook_html(executed: Path, job: Job, digest: str) -> Path:
    """Write the HTML page of an executed notebook beside it, as an article (:mod:`aidcalc.publish.pages`).

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
    from aidcalc.publish import pages

    return pages.write_page(executed, parameter_set=job.parameter_set, params=job.parameters,
                            data_digest=digest, run_date=date.today().isoformat())


def _warm_pages() -> None:
    """Load what running and rendering a notebook needs (papermill, nbconvert's templates) once per worker."""
    import papermill  # noqa: F401

    from aidcalc.publish import pages

    pages.warm(run_date=date.today().isoformat())  # the date _render_notebook_html stamps pages with


def _run_job(job: Job, notebooks_dir: str, staging: str, digest: str) -> tuple[Job, float, list[str]]:
    """Execute one notebook into its folder under ``staging``; return the job, seconds and files."""
    start = time.perf_counter()
    out_dir = Path(staging) / job.folder
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / Path(job.notebook).name
    params = dict(job.parameters, output_dir=str(out_dir))
    if DIGEST_PARAMETER in job.declared:
        params[DIGEST_PARAMETER] = digest
    # the kernel's own messages (start-up notices, the "KeyboardInterrupt caught in kernel" that
    # jupyter_client's interrupt-before-shutdown provokes) go to a log, not the user's terminal
    log = kernel.current_log() or Path(staging) / ".logs" / f"kernel-{os.getpid()}.log"
    where = f"{job.notebook} [{job.parameter_set}]"
    try:
        # one kernel per worker for the whole run: imports and data loaded once, not per notebook;
        # while a new one starts, the worker imports papermill and loads the page templates
        km = kernel.kernel_for(notebooks_dir, log, meanwhile=_warm_pages)
    except Exception as err:
        raise ReportError(f"{where} could not run: {type(err).__name__}: {err}"
                          f"{kernel.log_tail(log)}") from None
    import papermill
    from nbclient.exceptions import DeadKernelError

    from aidcalc.report import engine
    try:
        kernel.reset(notebooks_dir)
        with kernel.output_to(Path(staging) / ".logs" / f"{job.stem}--{job.parameter_set}.log"):
            # written once, when it ends (or fails): the staging tree is seen by nobody before the switch
            papermill.execute_notebook(str(Path(notebooks_dir) / job.notebook), str(executed),
                                       parameters=params, cwd=notebooks_dir, progress_bar=False,
                                       kernel_name=KERNEL, language="python", log_output=False, km=km,
                                       request_save_on_cell_execute=False, engine_name=engine.NAME,
                                       kc=kernel.kept_client())
    except papermill.PapermillExecutionError as err:
        raise ReportError(
            f"{where} failed in cell {err.exec_count} "
            f"(cell index {err.cell_index}): {err.ename}: {err.evalue}"
        ) from None
    except DeadKernelError as err:
        raise ReportError(f"{where}: the kernel died ({err}); a cell may have exhausted memory or "
                          f"crashed the interpreter{kernel.log_tail(log)}") from None
    except Exception as err:  # kernel start-up and transport failures, named for the user
        raise ReportError(f"{where} could not run: {type(err).__name__}: {err}"
                          f"{kernel.log_tail(log)}") from None
    _render_notebook_html(executed, job, digest)
    files = sorted(p.name for p in out_dir.iterdir())
    return job, time.perf_counter() - start, files


# -- what a run depends on -------------------------------------------------------------------

#: The libraries a notebook's output depends on besides aidcalc; a new version of one reruns all.
LIBRARIES = ("numpy", "pandas", "matplotlib", "pint", "nbconvert", "papermill", "ipykernel")


def _source_digest() -> str:
    """Return a sha256 over the installed package's own files (code, templates, units), names and bytes."""
    import aidcalc

    root = Path(aidcalc.__file__).parent
    digest = hashlib.sha256()
    # os.walk follows no links: the package's data/ link is the data, digested on its own
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if not name.endswith((".pyc", ".pyo")):
                path = Path(folder, name)
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _environment() -> dict:
    """Return what every run shares: the versions of aidcalc, Python and the libraries, aidcalc's source."""
    from importlib.metadata import PackageNotFoundError, version

    def known(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {"aidcalc": _version(), "source": _source_digest(), "python": sys.version.split()[0],
            **{name: known(name) for name in LIBRARIES}}


def inputs_key(job: Job, notebooks_dir: Path, digest: str, environment: dict) -> str:
    """Return a digest of everything one run's output depends on.

    Parameters
    ----------
    job : Job
        The run: notebook and parameter set, with the values it gives.
    notebooks_dir : Path
        The folder holding the notebook.
    digest : str
        The digest of the data snapshot the run reads.
    environment : dict
        What every run shares (:func:`_environment`): versions and the package's source digest.

    Returns
    -------
    str
        16 hex digits; equal keys mean the run would read the same inputs.

    Examples
    --------
    >>> from aidcalc.report.config import Job
    >>> nb = paths.NOTEBOOKS_DIR
    >>> a = inputs_key(Job("01_aid_by_plan.ipynb", "default"), nb, "d1", {"aidcalc": "1"})
    >>> a == inputs_key(Job("01_aid_by_plan.ipynb", "default"), nb, "d2", {"aidcalc": "1"})
    False

    """
    notebook = hashlib.sha256((Path(notebooks_dir) / job.notebook).read_bytes()).hexdigest()
    record = {"data": digest, "notebook": job.notebook, "notebook_sha256": notebook,
              "parameter_set": job.parameter_set, "parameters": job.parameters, "environment": environment}
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _reusable(todo: list[Job], keys: dict, previous: dict, current: Path | None) -> list[Job]:
    """Return the jobs whose last good run, still in the current tree, had the same inputs."""
    if current is None:
        return []
    return [job for job in todo
            if (previous.get(job.folder) or {}).get("inputs") == keys[job.folder]
            and (current / job.folder).is_dir() and not (current / job.folder).is_symlink()]


def _link(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:  # a file system without hard links
        shutil.copy2(src, dst)


def _link_tree(source: Path, target: Path) -> None:
    """Copy a finished run's folder (or file) into the new tree as hard links (a copy where links fail)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, symlinks=True, copy_function=_link)
    else:
        _link(source, target)


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


@contextlib.contextmanager
def _workers(count: int, snapshot: Path, lock_fd: int, notebooks_dir: Path | None = None):
    """Yield a pool of ``count`` workers reading ``snapshot`` (None for none), stopped at once on errors.

    The workers' kernels are forked from one template process (:mod:`aidcalc.report.template`),
    started first so that its imports are made while the workers load their own; it is ended
    with the pool, and every kernel with it.
    """
    if count < 1:
        yield None
        return
    kernels = template.start({**os.environ, "AIDCALC_DATA": str(snapshot)}, notebooks_dir or Path.cwd(),
                             snapshot.parent / ".logs" / "kernel-template.log")
    pool = ProcessPoolExecutor(max_workers=count, initializer=_init_worker,
                               initargs=(str(snapshot), lock_fd, os.getpid(), kernels and kernels.address))
    try:
        try:
            yield pool
        except BaseException:
            _stop_pool(pool)
            raise
        pool.shutdown(wait=True)
    finally:
        if kernels is not None:
            kernels.stop()


def _execute(pool, todo: list[Job], notebooks_dir: Path, staging: Path, digest: str,
             progress: bool) -> dict[str, float]:
    """Run ``todo`` on ``pool``; return the seconds of each run by folder."""
    from tqdm.auto import tqdm

    timings: dict[str, float] = {}
    if not todo:
        return timings
    futures = {pool.submit(_run_job, job, str(notebooks_dir), str(staging), digest): job for job in todo}
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
    return timings


# -- the reports folder ----------------------------------------------------------------------

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


def _version() -> str:
    import aidcalc

    return aidcalc.__version__


def _render_index(run: Path, manifest: dict) -> None:
    """Write the run's ``index.html``, the landing page (:func:`aidcalc.publish.landing.write_index`).

    Parameters
    ----------
    run : Path
        The run's folder, ``<notebook>/<set>/`` under it.
    manifest : dict
        The run manifest; ``manifest["runs"]`` holds, per ``notebook/set``, the parameters,
        data digest and run date.

    """
    from aidcalc.publish import landing

    landing.write_index(run, manifest.get("runs", {}), generated=manifest.get("created"))


def _digests(runs: dict) -> dict:
    """Return each data digest with the reports that read it (carried reports keep their own)."""
    by_digest: dict = {}
    for folder, entry in sorted(runs.items()):
        by_digest.setdefault(entry.get("data_digest") or "unknown", []).append(folder)
    return by_digest


def _entry(job: Job, digest: str, started: datetime, key: str, seconds: float) -> dict:
    """Return the manifest entry of a run executed now."""
    return {"notebook": job.notebook, "parameter_set": job.parameter_set, "parameters": job.parameters,
            "data_digest": digest, "run_date": started.date().isoformat(), "inputs": key,
            "seconds": round(seconds, 2)}


def _longest_first(jobs: list[Job], previous: dict) -> list[Job]:
    """Order ``jobs`` by the seconds their last run took, longest first (those never run before first).

    The workers take the next job as they come free: started longest first, they end close together.

    Examples
    --------
    >>> jobs = [Job("a.ipynb", "default"), Job("b.ipynb", "default"), Job("c.ipynb", "default")]
    >>> [j.stem for j in _longest_first(jobs, {"a/default": {"seconds": 1.0}, "b/default": {"seconds": 2.5}})]
    ['c', 'b', 'a']

    """
    def seconds(job):
        return float((previous.get(job.folder) or {}).get("seconds") or "inf")

    return sorted(jobs, key=seconds, reverse=True)


def _build_run(reports_dir: Path, staging: Path, config: Path, plan: tuple, options: dict) -> dict:
    """Fill ``staging`` with a whole run: the data snapshot, reused and executed runs, manifest, index.

    ``plan`` is the jobs and the stems of every notebook; ``options`` holds ``jobs``, ``progress``,
    ``force`` and the run lock's ``lock_fd``. Returns the seconds of each executed run.
    """
    todo, stems = plan
    snapshot = staging / ".data"
    try:
        shutil.copytree(paths.data_dir(), snapshot)
    except (OSError, shutil.Error) as err:  # a disk filling up, a file unreadable
        raise ReportError(f"cannot copy the data into {snapshot} ({err}); free space on the disk or fix "
                          "the file named, and run again; the previous reports are unchanged") from None
    digest, started, environment = data_digest(snapshot), datetime.now(UTC), _environment()
    keys = {job.folder: inputs_key(job, config.parent, digest, environment) for job in todo}
    previous = _read_manifest(reports_dir / "manifest.json").get("runs", {})
    current = _current_run(reports_dir)
    reused = [] if options["force"] else _reusable(todo, keys, previous, current)
    for job in reused:
        _link_tree(current / job.folder, staging / job.folder)
    executed = _longest_first([job for job in todo if job not in reused], previous)
    # the workers outlive the runs by the landing page: it is written with what they have imported
    with _workers(min(options["jobs"], len(executed)), snapshot, options["lock_fd"], config.parent) as pool:
        timings = _execute(pool, executed, config.parent, staging, digest, options["progress"])
        _finish_run(reports_dir, staging, (todo, stems, reused, executed),
                    {"digest": digest, "started": started, "environment": environment, "keys": keys,
                     "config": config, "timings": timings}, pool)
    return timings


def _finish_run(reports_dir: Path, staging: Path, plan: tuple, facts: dict, pool) -> None:
    """Write the run's manifest and landing page into ``staging`` (the page by a worker of ``pool``)."""
    todo, stems, reused, executed = plan
    digest, started, keys, timings = facts["digest"], facts["started"], facts["keys"], facts["timings"]
    previous = _read_manifest(reports_dir / "manifest.json").get("runs", {})
    current = _current_run(reports_dir)
    runs = _carry_over(reports_dir, staging, stems, previous)
    runs.update({job.folder: {**{k: v for k, v in previous[job.folder].items() if k != "carried_over"},
                              "reused": True} for job in reused})
    runs.update({job.folder: _entry(job, digest, started, keys[job.folder], timings[job.folder])
                 for job in executed})
    manifest = {"aidcalc_version": _version(), "created": started.isoformat(timespec="seconds"),
                "data_digest": digest, "data_digests": _digests(runs),
                "config": str(facts["config"].resolve()), "environment": facts["environment"],
                "reused": sorted(job.folder for job in reused), "runs": dict(sorted(runs.items()))}
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    same_runs = not executed and current is not None and runs.keys() == previous.keys()
    if not same_runs or not (current / "index.html").is_file():
        if pool is not None:  # a worker has nbformat and papermill imported (~1.5 s in a new process)
            pool.submit(_render_index, staging, manifest).result()
        else:
            _render_index(staging, manifest)
    else:  # the same runs, the same outputs: the same landing page (rendering imports nbformat, ~1 s)
        _link_tree(current / "index.html", staging / "index.html")


def run_reports(config: Path | str | None = None, reports_dir: Path | str | None = None,
                jobs: int = 2, only: list[str] | None = None, progress: bool = True,
                force: bool = False) -> dict:
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
    force : bool
        Run every notebook even when its inputs are those of its last good run; by default
        such a run is reused (its folder carried into the new tree, ``reused`` in the manifest).

    Returns
    -------
    dict
        Seconds taken per run folder (``notebook/parameter-set``) executed; reused runs are not in it.

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
    config = Path(config or paths.NOTEBOOKS_DIR / CONFIG).absolute()
    # absolute: the kernels run in the notebooks' folder, where a relative path would point elsewhere
    reports_dir = Path(reports_dir or paths.REPORTS_DIR).absolute()
    todo, stems = _plan(config, list(only) if only else None)
    check_tree(reports_dir, stems)
    try:
        reports_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ReportError(f"cannot create the reports folder {reports_dir} ({err.strerror}); give "
                          "--reports-dir a folder you can write") from None
    with _signals_interrupt(), _run_lock(reports_dir) as lock_fd:
        _clean_leftovers(reports_dir)
        _relink(reports_dir)  # repairs a run stopped between the switch and the end of its swap
        run_id = new_run_id()
        staging = reports_dir / f".staging-{run_id}"
        staging.mkdir()
        try:
            timings = _build_run(reports_dir, staging, config, (todo, stems),
                                 {"jobs": jobs, "progress": progress, "force": force, "lock_fd": lock_fd})
            _swap(reports_dir, staging, run_id)
        finally:
            _remove(staging)
            run, current = reports_dir / RUNS / run_id, _current_run(reports_dir)
            if run.exists() and (current is None or current.name != run_id):
                _remove(run)
    return timings


