"""A warm process the report kernels are forked from: what every kernel imports, imported once a run.

Starting a kernel and importing pandas, matplotlib, IPython and aidcalc into it costs about a
second of CPU, and a run starts one kernel per worker. The runner starts one *template* process
(:func:`start`) that makes those imports once and then waits; each worker's kernel is a fork of
it (:func:`fork_kernel`), which only has to open its sockets and its shell. What a kernel
launched by jupyter_client gets, a forked one gets too: the command's arguments (the connection
file, the kernel's options), the environment jupyter_client computed, the working folder (also
first on ``sys.path``), its own session and a log for its output.

A forked kernel is the template's child, not the worker's: :class:`ForkedProcess` gives
jupyter_client what it asks of a ``Popen`` (poll, wait, signals) for it. The template dies with
the runner, and every kernel with the template (``PR_SET_PDEATHSIG``). Where anything of this is
missing (no ``fork``, no template started), kernels are launched as jupyter_client launches them.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path

#: The environment variable that tells a worker where the template listens.
ADDRESS = "AIDCALC_KERNEL_TEMPLATE"
#: What every report notebook imports (a launched kernel imports it as it starts: ``kernel.WARM``).
NOTEBOOK_IMPORTS = ("pandas", "matplotlib.pyplot", "aidcalc", "aidcalc.report.session",
                    "aidcalc.publish.charts", "aidcalc.publish.tables", "aidcalc.publish.export",
                    "aidcalc.evidence.ranges")
#: What the template imports: the notebooks' imports and the kernel itself.
IMPORTS = (*NOTEBOOK_IMPORTS, "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger")
#: The backend ipykernel gives matplotlib, set before the template imports it (a kernel sets it
#: itself, after matplotlib has read its settings in the template).
INLINE = "module://matplotlib_inline.backend_inline"
_PR_SET_PDEATHSIG = 1


class Template:
    """The runner's handle on its template process: its address (socket name and process id), :meth:`stop`."""

    def __init__(self, process: subprocess.Popen, name: str):
        self.process, self.address = process, f"{name}@{process.pid}"

    def stop(self) -> None:
        """End the template, and so every kernel forked from it that is still running."""
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


def start(env: dict, cwd: str | Path, log: Path) -> Template | None:
    """Start the template process; return its handle, or None where kernels cannot be forked.

    Parameters
    ----------
    env : dict
        The environment of the workers (the data snapshot in ``AIDCALC_DATA``): the modules the
        template imports read it as a kernel's would.
    cwd : path
        The notebooks' folder.
    log : Path
        Where the template writes anything it says (never the user's terminal).

    """
    if not (hasattr(os, "fork") and sys.platform.startswith("linux")):
        return None
    # the name of an abstract socket (Linux): no file to leave behind, no limit on a path's length
    name = f"aidcalc-kernels-{os.getpid()}-{secrets.token_hex(8)}"
    env = dict(env)
    env.setdefault("MPLBACKEND", INLINE)
    # debugpy, imported here and not in a kernel's captured output, warns of frozen modules
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "aidcalc.report.template", name, str(os.getpid())],
                                   env=env, cwd=str(cwd), stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    return Template(process, name)


def fork_kernel(address: str, argv: list[str], env: dict, cwd: str, log: str) -> int:
    """Ask the template at ``address`` for a kernel; return its process id.

    ``argv`` are the kernel's arguments (after ``-m ipykernel_launcher``). Blocks until the
    template listens and has made its imports. Raises OSError if the template has ended, never
    listened or fails.
    """
    import time

    import psutil

    name, _, pid = address.partition("@")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(120)
        while True:
            try:
                conn.connect("\0" + name)
                break
            except ConnectionRefusedError:  # not listening yet (it starts Python first), or gone
                try:
                    if not pid or psutil.Process(int(pid)).status() == psutil.STATUS_ZOMBIE:
                        raise
                except psutil.Error:
                    raise OSError(f"the kernel template (process {pid}) has ended") from None
                time.sleep(0.01)
        conn.sendall(json.dumps({"argv": argv, "env": env, "cwd": cwd, "log": log}).encode() + b"\n")
        reply = json.loads(conn.makefile("rb").readline() or b"{}")
    if "pid" not in reply:
        raise OSError(f"the kernel template could not start a kernel: {reply.get('error', 'no answer')}")
    return int(reply["pid"])


class ForkedProcess:
    """What jupyter_client asks of a kernel's ``Popen``, for a kernel forked by the template.

    The kernel is the template's child: this process cannot wait for it, only watch it (psutil),
    and learns that it ended, not how (``returncode`` -1).
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        import psutil

        self.pid, self.returncode = pid, None
        self._process = psutil.Process(pid)

    def poll(self) -> int | None:
        """Return None while the kernel runs, -1 once it has ended (a zombie has ended)."""
        import psutil

        if self.returncode is None:
            try:
                ended = self._process.status() == psutil.STATUS_ZOMBIE or not self._process.is_running()
            except psutil.Error:
                ended = True
            if ended:
                self.returncode = -1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait until the kernel has ended and the template has reaped it; return -1.

        Raises subprocess.TimeoutExpired, as ``Popen.wait`` does, if it still runs after ``timeout``.
        """
        import psutil

        try:
            self._process.wait(timeout)  # returns when the template has reaped it
        except psutil.TimeoutExpired:
            raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout) from None
        except psutil.Error:
            pass  # gone already
        self.returncode = -1 if self.returncode is None else self.returncode
        return self.returncode

    def send_signal(self, signum: int) -> None:
        """Send ``signum`` to the kernel, unless it has ended."""
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill(self) -> None:
        """Send SIGKILL (see :meth:`send_signal`)."""
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        """Send SIGTERM (see :meth:`send_signal`)."""
        self.send_signal(signal.SIGTERM)


# -- the template process -----------------------------------------------------------------------

def die_with_parent(signum: int = signal.SIGKILL) -> bool:
    """Have this process sent ``signum`` when its parent ends (Linux); return whether that was set."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum)
    except (OSError, AttributeError):
        return False
    return True


def _kernel(listener: socket.socket, conn: socket.socket, request: dict, template: int) -> None:
    """In the forked child: become a kernel as ``python -m ipykernel_launcher`` would (never returns)."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the kernel waits for its own children
        listener.close()
        conn.close()
        os.setsid()  # as jupyter_client launches a kernel: a terminal's Ctrl-C is not its own
        die_with_parent()
        if os.getppid() != template:  # the template ended before the kernel was told to follow it
            return
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(request["cwd"])
        sys.path[0] = request["cwd"]  # ``-m`` puts the working folder first
        os.environ.clear()
        os.environ.update(request["env"])
        fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        sys.argv = ["ipykernel_launcher", *request["argv"]]
        from ipykernel.kernelapp import IPKernelApp

        IPKernelApp.launch_instance(argv=request["argv"])
        code = 0
    finally:
        os._exit(code)


def _trusted(conn: socket.socket, parent: int) -> bool:
    """Whether the peer of ``conn`` is this run's: the runner or one of its workers, of this user.

    An abstract socket has no file whose permissions keep others out, and its name can be read
    by anyone on the machine: without this check any local user could have a kernel forked
    with their own connection file, and run code as the user who runs the reports.
    """
    import struct

    import psutil

    size = struct.calcsize("3i")
    pid, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, size))
    try:
        return uid == os.getuid() and parent in (pid, psutil.Process(pid).ppid())
    except psutil.Error:
        return False


def _answer(listener: socket.socket, parent: int) -> None:
    """Fork a kernel for the next request, and answer with its process id (or why not)."""
    conn, _ = listener.accept()
    with conn:
        reply: dict = {"error": "not the runner or a worker of this run"}
        try:
            conn.settimeout(5)  # a request is one short line: none may keep the template waiting
            line = conn.makefile("rb").readline(1 << 20)
            if _trusted(conn, parent):  # asked once the request is read, so that the asker hears why
                request = json.loads(line)
                template = os.getpid()
                pid = os.fork()
                if pid == 0:
                    _kernel(listener, conn, request, template)
                reply = {"pid": pid}
        except (OSError, ValueError) as err:
            reply = {"error": str(err)}
        with contextlib.suppress(OSError):  # an asker gone is no reason for the template to end
            conn.sendall(json.dumps(reply).encode() + b"\n")


def _reap() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def serve(address: str, parent: int) -> None:
    """Run the template: import what every kernel imports, then fork a kernel for each request.

    ``address`` is the socket's name, ``parent`` the runner's process id: the template ends
    with it.
    """
    import gc
    import importlib
    import select

    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the runner, which ends the run
    # a kernel that ends is reaped at once: until then a worker waiting for it sees it still there
    signal.signal(signal.SIGCHLD, lambda *_: _reap())
    if os.getppid() != parent:
        return
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + address)
    listener.listen(8)  # a worker's request waits here while the imports are made
    for name in IMPORTS:
        importlib.import_module(name)
    gc.collect()
    gc.freeze()  # what the kernels share stays shared: no collection writes to its pages
    while os.getppid() == parent:
        ready, _, _ = select.select([listener], [], [], 0.2)
        if ready:
            _answer(listener, parent)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
