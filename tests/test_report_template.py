"""Report kernels forked from the run's template behave as launched ones, and end with it."""

import os
import signal
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from aidcalc.report import kernel, template
from aidcalc.report.config import KERNEL

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def warm(tmp_path_factory):
    """One template for the module, its imports made."""
    folder = tmp_path_factory.mktemp("template")
    data = folder / "data"
    data.mkdir()
    started = template.start({**os.environ, "AIDCALC_DATA": str(data)}, folder, folder / "template.log")
    yield started, folder
    started.stop()


def forked(warm, cwd: Path, env: dict | None = None):
    """A kernel manager and client whose kernel the template forks (as a report worker's is)."""
    started, folder = warm
    km = AsyncKernelManager(kernel_name=KERNEL)
    km.kernel_id = str(uuid.uuid4())
    km.provisioner = kernel._forked(km, started.address, folder / "kernel.log")
    run_sync(km.start_kernel)(cwd=str(cwd), extra_arguments=kernel.KERNEL_ARGUMENTS, env=env or dict(os.environ))
    client = km.client()
    client.start_channels()
    run_sync(kernel._ready)(km, client)
    return km, client


def run(client, code: str) -> dict:
    """Execute ``code``; return the reply's content and what was printed."""
    printed = []
    reply = run_sync(client.execute_interactive)(
        code, timeout=60, output_hook=lambda m: printed.append(m["content"].get("text", "")))
    return {**reply["content"], "printed": "".join(printed)}


def end(km, client) -> None:
    client.stop_channels()
    kernel._end(km)


def test_a_forked_kernel_has_the_folder_environment_and_matplotlib_of_a_launched_one(warm, tmp_path):
    km, client = forked(warm, tmp_path, env={**os.environ, "AIDCALC_DATA": "/the/snapshot"})
    try:
        assert isinstance(km.provisioner.process, template.ForkedProcess)
        assert km.provisioner.process.pid != os.getpid() and psutil.Process(km.provisioner.process.pid).ppid() \
            == warm[0].process.pid  # the template's child, not this process's
        out = run(client, "import os, sys, matplotlib\n"
                          "print(os.getcwd(), sys.path[0], os.environ['AIDCALC_DATA'], sep='|')\n"
                          "print(matplotlib.get_backend(), os.environ['JPY_PARENT_PID'], sep='|')\n"
                          "print('pandas' in sys.modules, get_ipython().__class__.__name__, sep='|')")
        cwd, path0, data, backend, parent, pandas, shell = out["printed"].replace("\n", "|").split("|")[:7]
        assert cwd == path0 == str(tmp_path)  # the folder it runs in, first on sys.path (as with -m)
        assert data == "/the/snapshot"  # the environment jupyter_client gave, not the template's
        assert backend == template.INLINE and parent == str(os.getpid())
        assert pandas == "True" and shell == "ZMQInteractiveShell"  # imported before the fork
        assert template.ADDRESS not in run(client, "import os; print(sorted(os.environ))")["printed"]
    finally:
        end(km, client)


def test_a_forked_kernel_is_interrupted_and_killed_as_a_launched_one(warm, tmp_path):
    km, client = forked(warm, tmp_path)
    pid = km.provisioner.process.pid
    msg_id = client.execute("import time\ntime.sleep(60)")
    time.sleep(0.5)
    run_sync(km.interrupt_kernel)()
    reply = run_sync(client._async_recv_reply)(msg_id, timeout=30)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    assert run_sync(km.is_alive)()
    connection = Path(km.connection_file)
    end(km, client)
    assert not psutil.pid_exists(pid) and not connection.exists()
    assert km.provisioner is None or km.provisioner.process is None


def test_a_kernel_that_dies_is_seen_dead(warm, tmp_path):
    km, client = forked(warm, tmp_path)
    try:
        client.execute("import os; os._exit(3)")
        deadline = time.monotonic() + 10
        while run_sync(km.is_alive)() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not run_sync(km.is_alive)()
        assert km.provisioner.process.poll() == -1  # ended; how, only the template could tell
    finally:
        end(km, client)


def test_every_kernel_ends_with_its_template(tmp_path):
    started = template.start(dict(os.environ), tmp_path, tmp_path / "template.log")
    km, client = forked((started, tmp_path), tmp_path)
    watched = km.provisioner.process
    try:
        started.stop()
        watched.wait(timeout=10)  # TimeoutExpired if the kernel outlives its template
        assert watched.poll() == -1 and not psutil.pid_exists(watched.pid)
    finally:
        client.stop_channels()
        run_sync(km.cleanup_resources)()


def test_without_a_template_the_kernel_is_launched_as_jupyter_client_launches_it(tmp_path):
    km = AsyncKernelManager(kernel_name=KERNEL)
    km.kernel_id = str(uuid.uuid4())
    # no process listens at this address: the launch falls back to jupyter_client's own
    km.provisioner = kernel._forked(km, f"aidcalc-kernels-nobody-{uuid.uuid4().hex}", tmp_path / "kernel.log")
    run_sync(km.start_kernel)(cwd=str(tmp_path), extra_arguments=kernel.KERNEL_ARGUMENTS)
    client = km.client()
    client.start_channels()
    try:
        run_sync(kernel._ready)(km, client)
        assert not isinstance(km.provisioner.process, template.ForkedProcess)
        assert psutil.Process(km.provisioner.process.pid).ppid() == os.getpid()
    finally:
        end(km, client)


def test_a_template_whose_runner_has_gone_ends(tmp_path):
    import subprocess

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    # the template is told a runner that is not its parent, as it would see a runner that has died
    serving = subprocess.Popen([sys.executable, "-m", "aidcalc.report.template", "aidcalc-test", str(gone.pid)])
    assert serving.wait(timeout=30) == 0


def test_the_forked_process_reports_a_pid_that_has_ended(tmp_path):
    import subprocess

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    watched = template.ForkedProcess(child.pid)
    assert watched.poll() is None
    watched.send_signal(signal.SIGTERM)
    child.wait(timeout=10)  # reaped by its parent, as the template reaps its kernels
    assert watched.poll() == -1 and watched.wait(timeout=1) == -1
    watched.kill()  # ended already: nothing is sent, nothing raised


def test_a_process_that_is_not_the_runner_or_its_worker_gets_no_kernel(warm, tmp_path):
    import subprocess

    started, _ = warm
    # anyone on the machine can read an abstract socket's name; a grandchild stands for them here
    ask = (f"from aidcalc.report import template\n"
           f"try:\n    template.fork_kernel({started.address!r}, ['-f', 'x.json'], {{}}, {str(tmp_path)!r}, "
           f"{str(tmp_path / 'k.log')!r})\n"
           f"except OSError as err:\n    print(err)\n")
    middle = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {ask!r}])"
    out = subprocess.run([sys.executable, "-c", middle], capture_output=True, text=True, timeout=60).stdout
    assert "could not start a kernel: not the runner or a worker of this run" in out
    assert not (tmp_path / "k.log").exists()


def test_waiting_for_a_forked_kernel_that_runs_on_times_out_as_popen_does():
    import subprocess

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            template.ForkedProcess(child.pid).wait(timeout=0.2)
    finally:
        child.kill()
        child.wait()
