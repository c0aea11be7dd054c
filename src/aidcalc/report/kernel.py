"""A report worker's kernel: one for the whole run, started, warmed, reset between notebooks.

A worker of :mod:`aidcalc.report.runner` runs several notebooks. Starting a kernel and importing
pandas, matplotlib and aidcalc into it costs more than most notebooks; so each worker starts one
kernel on first use, keeps it and one client to it (handed to papermill by
:mod:`aidcalc.report.engine`), and resets it to a fresh namespace before every notebook. In a
report run the kernel is forked from the run's template, those imports made already
(:mod:`aidcalc.report.template`); elsewhere it is launched as jupyter_client launches kernels.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

from aidcalc.errors import ReportError
from aidcalc.report import template
from aidcalc.report.config import KERNEL

#: Run in the worker's kernel before each notebook: the namespace, the working folder, the open
#: figures, matplotlib's settings and the cell counter as a fresh kernel has them (the backend and
#: interactive mode as the inline backend set them: restoring those stops figures showing). What stays is
#: what was imported (aidcalc, pandas, matplotlib) and the data context's caches, which notice
#: any change of the data themselves. The reset opens a new history session with the counter at 1
#: (setting the counter alone made IPython print "Session/line number was not unique" into a notebook).
#: What survives the reset (modules, caches) is then frozen out of the garbage collector's passes: a
#: full pass over it costs ~0.1 s, paid at every reset and by every pass a notebook triggers.
RESET = """\
import os as _os, sys as _sys, types as _types, matplotlib as _mpl, matplotlib.pyplot as _plt
_kept = _sys.modules.setdefault("_aidcalc_fresh_kernel", _types.ModuleType("_aidcalc_fresh_kernel"))
if not hasattr(_kept, "rc"):
    _kept.rc = _mpl.rcParams.copy()
_plt.close("all")
_mpl.rcParams.update({{_k: _v for _k, _v in _kept.rc.items() if _k not in ("backend", "interactive")}})
_os.chdir({cwd!r})
get_ipython().reset(new_session=True)
import gc as _gc
_gc.freeze()
del _gc
"""

#: Sent to a worker's kernel as it starts, not waited for: the kernel imports what every notebook
#: imports while the worker imports papermill and the page templates (both are paid once per worker).
WARM = "import " + ", ".join(template.NOTEBOOK_IMPORTS) + "\n"

#: Given to every kernel a worker starts. Without a history, a report writes nothing into the
#: user's IPython profile (its history.sqlite), and no cell waits on that database.
KERNEL_ARGUMENTS = ["--HistoryManager.enabled=False"]

_KEPT: dict = {}
#: Starts of a new kernel before its failure is reported (see the port race in :func:`_start`).
KERNEL_STARTS = 3


def _launch(notebooks_dir: str, log: Path):
    """Start a kernel in ``notebooks_dir`` (its messages to ``log``) and a client; send it :data:`WARM`.

    Returns the manager and the client, without waiting for the kernel to answer.
    """
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    # asynchronous, as nbclient's own: a blocking client would keep nbclient from seeing a dead kernel
    km = AsyncKernelManager(kernel_name=KERNEL)
    address = os.environ.get(template.ADDRESS)
    if address:  # forked from the run's template (see _forked), not launched
        km.kernel_id = str(uuid.uuid4())
        km.provisioner = _forked(km, address, log)
    with output_to(log):  # the kernel keeps these as its stdout and stderr
        run_sync(km.start_kernel)(cwd=notebooks_dir, extra_arguments=KERNEL_ARGUMENTS)
    client = km.client()
    client.start_channels()
    client.execute(WARM, silent=True, store_history=False)
    return km, client


def _forked(km, address: str, log: Path):
    """Return a provisioner for ``km`` whose kernel is forked by the run's template (:mod:`.template`).

    It is jupyter_client's own local provisioner but for the launch: the template forks the
    kernel, with the arguments, environment and folder jupyter_client gave, and the kernel's
    process is watched through :class:`~aidcalc.report.template.ForkedProcess`. Should the
    template fail, the kernel is launched as jupyter_client launches it.
    """
    from jupyter_client.provisioning import LocalProvisioner

    class Forked(LocalProvisioner):
        async def launch_kernel(self, cmd, **kwargs):
            kwargs.get("env", {}).pop(template.ADDRESS, None)  # the kernel's own runs start their own
            try:
                # the parent jupyter_client's launcher names: the template read its variable, not the
                # kernel, so it is also given as an argument (without, the kernel prints how to connect)
                parent = str(os.getpid())
                argv = [*cmd[cmd.index("ipykernel_launcher") + 1:], f"--IPKernelApp.parent_handle={parent}"]
                env = {**kwargs["env"], "JPY_PARENT_PID": parent}
                cwd = str(kwargs.get("cwd") or os.getcwd())
                pid = template.fork_kernel(address, argv, env, cwd, str(log))
            except (ValueError, KeyError, OSError):
                return await super().launch_kernel(cmd, **kwargs)
            self.process = template.ForkedProcess(pid)
            self.pid = self.pgid = pid  # the kernel leads its own session, as a launched one does
            self.cwd = cwd
            return self.connection_info

    return Forked(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)


def _start(notebooks_dir: str, log: Path, meanwhile=None):
    """Start this worker's kernel and its client, and return the kernel once it answers.

    The client serves every notebook of the worker (:mod:`aidcalc.report.engine`) and the resets.
    ``meanwhile`` (the worker's own loading) runs while the kernel starts and imports.

    The ports of a kernel are chosen free, then bound by the kernel itself: a kernel another
    worker starts in between may bind one first, and this one dies ("Address already in use").
    A new manager chooses new ports, so the start is tried again, up to ``KERNEL_STARTS`` times.
    """
    from jupyter_core.utils import run_sync

    old = _KEPT.pop("client", None)
    if old is not None:
        with contextlib.suppress(Exception):
            old.stop_channels()
    for attempt in range(KERNEL_STARTS):
        if meanwhile is not None and os.environ.get(template.ADDRESS):
            meanwhile()  # while the template imports: a fork is ready as soon as they are made
            meanwhile = None
        km, client = _launch(notebooks_dir, log)
        if meanwhile is not None:
            meanwhile()
            meanwhile = None
        try:
            run_sync(_ready)(km, client)  # RuntimeError if it died while starting
        except RuntimeError:
            client.stop_channels()
            with contextlib.suppress(Exception):
                run_sync(km.shutdown_kernel)(now=True)
            if attempt == KERNEL_STARTS - 1:
                raise
            continue
        _KEPT.update(km=km, log=log, client=client)
        import multiprocessing.util

        multiprocessing.util.Finalize(None, shutdown, exitpriority=10)
        return km


async def _ready(km, client, within: float = 60) -> None:
    """Return once the kernel answers and the client hears its broadcasts (IOPub).

    jupyter_client's ``wait_for_ready`` asks for the kernel's info, then wants a broadcast within
    0.2 s, else asks again. What a kernel broadcasts before the client's subscription reaches it
    is lost, and a kernel announces the subscription (``iopub_welcome``) once: a kernel that
    answers at once (a forked one does) cost those 0.2 s, twice. Here the kernel is asked every
    20 ms until it has answered, and any broadcast heard, the welcome too, ends the wait.

    Raises
    ------
    RuntimeError
        The kernel died before it answered, or did not answer within ``within`` seconds (as
        ``wait_for_ready`` raises: the caller starts a kernel again).

    """
    import asyncio
    import queue

    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    answered = heard = False
    while not (answered and heard):
        client.kernel_info()  # each request is also broadcast (busy, idle) by a kernel of any age
        if not answered:
            try:
                reply = await client.shell_channel.get_msg(timeout=0.02)
                answered = reply["msg_type"] == "kernel_info_reply"
                since = loop.time()
            except queue.Empty:
                pass
        if not heard:
            try:
                await client.iopub_channel.get_msg(timeout=0 if not answered else 0.02)
                heard = True
            except queue.Empty:
                pass
        if answered and not heard and loop.time() - since > 2:  # a kernel that broadcasts otherwise
            await client.wait_for_ready(timeout=max(1.0, deadline - loop.time()))
            return
        if not (answered and heard):
            if not await km.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if loop.time() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {within:g} seconds")


def kernel_for(notebooks_dir: str, log: Path, meanwhile=None):
    """Return this worker's kernel, started on first use (see :func:`_start`), not yet reset."""
    from jupyter_core.utils import run_sync

    km = _KEPT.get("km")
    if km is None or not run_sync(km.is_alive)():
        km = _start(notebooks_dir, log, meanwhile)
    return km


def reset(notebooks_dir: str) -> None:
    """Reset this worker's kernel for the next notebook (:data:`RESET`)."""
    from jupyter_core.utils import run_sync

    reply = run_sync(_KEPT["client"].execute_interactive)(RESET.format(cwd=notebooks_dir), timeout=60,
                                                            store_history=False)
    if reply["content"]["status"] != "ok":
        raise ReportError(f"the kernel could not be reset for the next notebook: "
                          f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")


def end_now() -> None:
    """Kill this worker's kernel and remove its connection file, at once (from a signal handler).

    A kernel forked by the run's template is not this process's child: stopping the worker's
    children would leave it (and its file in Jupyter's runtime folder) to the template's end.
    """
    km = _KEPT.get("km")
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is not None:
        with contextlib.suppress(OSError):
            process.kill()
    if km is not None and km.connection_file:
        with contextlib.suppress(OSError):
            os.unlink(km.connection_file)


def shutdown() -> None:
    """Close the kept client and shut this worker's kernel down (at the worker's exit)."""
    client = _KEPT.pop("client", None)
    if client is not None:
        with contextlib.suppress(Exception):
            client.stop_channels()
    km = _KEPT.pop("km", None)
    if km is not None:
        with contextlib.suppress(Exception):
            _end(km)


def _end(km) -> None:
    """Kill ``km``'s kernel and wait for it, then let jupyter_client remove its connection file.

    jupyter_client's ``shutdown_kernel(now=True)`` interrupts the kernel first (a "KeyboardInterrupt
    caught in kernel" in its log), then kills it and looks every 0.1 s whether it has gone: a
    tenth of a second at the end of every report run. Here it is killed and waited for as it
    ends (a launched kernel as this process's child, a forked one until the template has reaped
    it); jupyter_client then finds it gone at once.
    """
    from jupyter_core.utils import run_sync

    process = getattr(km.provisioner, "process", None)
    if process is not None:
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):  # then jupyter_client waits its own way
            process.wait(timeout=5)
    run_sync(km.shutdown_kernel)(now=True)


@contextlib.contextmanager
def output_to(log: Path):
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


def log_tail(log: Path, lines: int = 12) -> str:
    """Return the last ``lines`` lines of the kernel's ``log``, worded for an error message ('' if none)."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return ("\nThe kernel's last messages:\n  " + "\n  ".join(text[-lines:])) if text else ""


def current_log() -> Path | None:
    """Return the log this worker's kernel writes to (None before it starts)."""
    return _KEPT.get("log")


def kept_client():
    """Return the client this worker keeps to its kernel (started by :func:`kernel_for`)."""
    return _KEPT["client"]
