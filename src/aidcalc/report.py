"""Regenerate every report: run each notebook with papermill per parameter set, render it.

Each run writes ``reports/<notebook>/<parameter-set>/`` with the executed notebook, its HTML
rendering, and the charts (PNG, SVG) and tables (CSV) the notebook saves into its
``output_dir``; ``reports/index.html`` links them all. Runs go to a staging folder first and
replace the old reports only when every run succeeded, so a failure leaves the last good
reports in place.
"""

from __future__ import annotations

import html
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from aidcalc import paths
from aidcalc.errors import ReportError, UnknownParameterError

#: The parameters every report notebook declares, with the values each accepts.
PARAMETERS = {
    "currency": ("USD", "RUB", "CNY"),
    "price_basis": ("nominal", "constant"),
    "rate_basis": ("official", "source_implied"),
}
CONFIG = "reports.yaml"


@dataclass(frozen=True)
class Job:
    """One notebook run: which notebook, under which parameter set, with which values."""

    notebook: str
    parameter_set: str
    parameters: dict = field(default_factory=dict)

    @property
    def folder(self) -> str:
        """Where the run's files go under ``reports/``."""
        return f"{Path(self.notebook).stem}/{self.parameter_set}"


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


def load_jobs(config: Path | str | None = None, only: list[str] | None = None) -> list[Job]:
    """Read the report config (``notebooks/reports.yaml``) into jobs, checking every parameter.

    Every notebook runs with the ``default`` set; a further set runs for the notebooks it lists.
    Unknown parameter names (not in the notebook's ``parameters`` cell) and bad values are
    refused here, before any kernel starts.
    """
    import papermill
    import yaml

    config = Path(config or paths.NOTEBOOKS_DIR / CONFIG)
    spec = yaml.safe_load(config.read_text(encoding="utf-8"))
    jobs = []
    for notebook in spec["notebooks"]:
        if only and Path(notebook).stem not in only and notebook not in only:
            continue
        declared = papermill.inspect_notebook(str(config.parent / notebook))
        for set_name, entry in spec.get("parameter_sets", {"default": {}}).items():
            entry = dict(entry or {})
            targets = entry.pop("notebooks", None)
            if targets and Path(notebook).stem not in targets:
                continue
            unknown = sorted(set(entry) - set(declared))
            if unknown:
                raise UnknownParameterError(
                    f"{config}: parameter set {set_name!r} gives {unknown} to {notebook}, whose "
                    f"parameters cell declares only {sorted(declared)}"
                )
            jobs.append(Job(notebook, set_name, validate_parameters(entry)))
    return jobs


def _run_job(job: Job, notebooks_dir: str, staging: str) -> tuple[Job, float, list[str]]:
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    start = time.perf_counter()
    out_dir = Path(staging) / job.folder
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / Path(job.notebook).name
    params = dict(job.parameters, output_dir=str(out_dir))
    try:
        papermill.execute_notebook(str(Path(notebooks_dir) / job.notebook), str(executed),
                                   parameters=params, cwd=notebooks_dir, progress_bar=False,
                                   kernel_name="python3",
                                   # the kernel's start-up notices (plain-TCP transport) are not
                                   # the reader's concern; its errors still reach the terminal
                                   extra_arguments=["--IPKernelApp.log_level=ERROR"])
    except papermill.PapermillExecutionError as err:
        raise ReportError(
            f"{job.notebook} [{job.parameter_set}] failed in cell {err.exec_count} "
            f"(cell index {err.cell_index}): {err.ename}: {err.evalue}"
        ) from None
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
    executed.with_suffix(".html").write_text(body, encoding="utf-8")
    files = sorted(p.name for p in out_dir.iterdir())
    return job, time.perf_counter() - start, files


def run_reports(config: Path | str | None = None, reports_dir: Path | str | None = None,
                jobs: int = 2, only: list[str] | None = None, progress: bool = True) -> dict:
    """Execute every report notebook, render it, and swap the results into ``reports/``.

    Parameters
    ----------
    config : path, optional
        The report config; defaults to ``notebooks/reports.yaml``.
    reports_dir : path, optional
        Where the reports go; defaults to ``reports/``.
    jobs : int
        Notebooks run in parallel (one kernel each); 2 suits a 2-core machine.
    only : list of str, optional
        Notebook names (stems) to run; the others' reports are left as they are.
    progress : bool
        Show a progress bar (tqdm) over the runs.

    Returns
    -------
    dict
        Seconds taken per run folder (``notebook/parameter-set``).

    Raises
    ------
    ReportError
        Naming the notebook, parameter set and failing cell; old reports stay in place.
    UnknownParameterError
        For a bad parameter, before any kernel starts.

    """
    from tqdm.auto import tqdm

    config = Path(config or paths.NOTEBOOKS_DIR / CONFIG)
    reports_dir = Path(reports_dir or paths.REPORTS_DIR)
    todo = load_jobs(config, only)
    reports_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=reports_dir))
    timings, outputs = {}, {}
    try:
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = [pool.submit(_run_job, job, str(config.parent), str(staging)) for job in todo]
            with tqdm(total=len(futures), desc="reports", unit="notebook", disable=not progress) as bar:
                for future in as_completed(futures):
                    job, seconds, files = future.result()
                    timings[job.folder], outputs[job.folder] = seconds, files
                    bar.set_postfix_str(job.folder)
                    bar.update()
        _swap_in(staging, reports_dir, {Path(j.notebook).stem for j in todo})
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    write_index(reports_dir)
    return timings


def _swap_in(staging: Path, reports_dir: Path, notebooks: set[str]) -> None:
    """Replace each notebook's report folder by the freshly built one."""
    for name in notebooks:
        new, old = staging / name, reports_dir / name
        trash = reports_dir / f".old-{name}"
        if old.exists():
            old.rename(trash)
        new.rename(old)
        shutil.rmtree(trash, ignore_errors=True)


def write_index(reports_dir: Path | str | None = None) -> Path:
    """Write ``reports/index.html`` linking every report folder's files."""
    reports_dir = Path(reports_dir or paths.REPORTS_DIR)
    items = []
    folders = [p for p in reports_dir.glob("*/*") if p.is_dir() and not p.parent.name.startswith(".")]
    for folder in sorted(folders):
        links = " · ".join(
            f'<a href="{html.escape(str(f.relative_to(reports_dir)))}">{html.escape(f.name)}</a>'
            for f in sorted(folder.iterdir())
        )
        name = f"{html.escape(folder.parent.name)}</b> / {html.escape(folder.name)}"
        items.append(f"<li><b>{name}: {links}</li>")
    page = ("<!doctype html><meta charset='utf-8'><title>aidcalc reports</title>"
            "<h1>aidcalc reports</h1><p>Chinese and Soviet-bloc aid to Albania, 1947-1978. "
            "Regenerate with <code>make report</code>.</p><ul>" + "\n".join(items) + "</ul>")
    index = reports_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
