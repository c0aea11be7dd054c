"""`aidcalc report` as a process: stopped by a signal it leaves no workers, kernels or staging; it prints no kernel noise."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_notebook

# the slow tier: `make check` leaves these out, `make test` (and CI) runs them
pytestmark = [pytest.mark.kernel, pytest.mark.signals]


def write_notebook(folder: Path, stem: str, body: str) -> None:
    nb = new_notebook(cells=[new_code_cell('output_dir = ""\n', metadata={"tags": ["parameters"]}),
                             new_code_cell(body)])
    nbformat.write(nb, folder / f"{stem}.ipynb")


@pytest.fixture
def project(tmp_path):
    """Notebooks: quick (writes a file) and slow (sleeps), with one config each."""
    nb = tmp_path / "notebooks"
    nb.mkdir()
    write_notebook(nb, "quick", 'import pathlib\npathlib.Path(output_dir, "out.txt").write_text("ok")')
    write_notebook(nb, "slow", "import time\ntime.sleep(300)")
    for name, notebooks in (("quick", ["quick.ipynb"]), ("slow", ["quick.ipynb", "slow.ipynb"])):
        (nb / f"{name}.yaml").write_text(yaml.safe_dump({"notebooks": notebooks}))
    return tmp_path


def command(project: Path, config: str) -> list[str]:
    return [sys.executable, "-m", "aidcalc.cli", "report", "--config", str(project / "notebooks" / f"{config}.yaml"),
            "--reports-dir", str(project / "reports"), "--no-progress", "--jobs", "2"]


def start_slow_run(project: Path) -> tuple[subprocess.Popen, list[psutil.Process]]:
    """Start a run that sits in a sleeping kernel; return it once its kernels run, with every descendant."""
    proc = subprocess.Popen(command(project, "slow"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        kids = psutil.Process(proc.pid).children(recursive=True)
        kernels = [k for k in kids if _is_kernel(k, proc.pid)]
        if kernels and list((project / "reports").glob(".staging-*/slow/default")):
            time.sleep(1)  # the slow kernel is in its cell by now
            return proc, psutil.Process(proc.pid).children(recursive=True)
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"the slow run did not start its kernel: {proc.communicate()}")


def _is_kernel(p: psutil.Process, runner: int) -> bool:
    """A kernel jupyter_client launched, or one the run's template forked (the template's child)."""
    command = " ".join(_cmdline(p))
    try:
        forked = "aidcalc.report.template" in command and p.ppid() != runner
    except psutil.Error:
        forked = False
    return "ipykernel" in command or forked


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def assert_all_gone(processes: list[psutil.Process], within: float = 15) -> None:
    _, alive = psutil.wait_procs(processes, timeout=within)
    assert not alive, [(p.pid, _cmdline(p)) for p in alive]


@pytest.mark.parametrize(("sig", "to_group"), [(signal.SIGINT, True), (signal.SIGTERM, False)],
                         ids=["Ctrl-C to the process group", "SIGTERM to the runner"])
def test_a_stopped_run_ends_its_workers_and_kernels_and_removes_its_staging(project, sig, to_group):
    proc, descendants = start_slow_run(project)
    assert len(descendants) >= 3  # two workers, at least one kernel
    if to_group:  # what a terminal does on Ctrl-C
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "report stopped; the previous reports are unchanged" in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert_all_gone(descendants)
    reports = project / "reports"
    assert not list(reports.glob(".staging-*")) and not list(reports.glob(".runs/*"))
    assert not (reports / "index.html").exists()


def test_a_killed_run_leaves_no_orphans_and_the_next_run_works(project):
    proc, descendants = start_slow_run(project)
    proc.kill()  # SIGKILL: no handler runs in the runner itself
    proc.wait(timeout=10)
    assert_all_gone(descendants)
    done = subprocess.run(command(project, "quick"), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    reports = project / "reports"
    assert (reports / "quick" / "default" / "out.txt").read_text() == "ok"
    assert not list(reports.glob(".staging-*"))


def test_repeated_runs_print_no_kernel_messages(project):
    for _ in range(4):  # jupyter_client's interrupt before shutdown made about half of the runs noisy
        # --force: an unchanged run is otherwise reused, and starts no kernel that could speak
        done = subprocess.run([*command(project, "quick"), "--force"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stderr == "", done.stderr
        assert done.stdout.startswith("quick/default: ")
