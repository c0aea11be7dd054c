"""papermill's nbclient engine, run on the kernel client a report worker keeps for its whole run.

papermill makes a new client for every notebook, and a new client waits until its kernel's
broadcast channel has been silent for 0.2 s before the first cell: 0.2 s of nothing per run.
A worker keeps one kernel for all its notebooks, so it keeps one client too, ready once; this
engine hands it to nbclient, which then neither makes nor closes one. Everything else is
papermill's own engine: parameters, per-cell metadata, errors, the executed notebook.
"""

from __future__ import annotations

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

#: The name the engine is registered under (``papermill.execute_notebook(engine_name=NAME, kc=...)``).
NAME = "aidcalc-kept-client"


class KeptClientEngine(NBClientEngine):
    """papermill's :class:`~papermill.engines.NBClientEngine`, executing on the client given as ``kc``."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                 stderr_file=None, start_timeout=60, execution_timeout=None, kc=None,
                                 **kwargs):
        """Execute ``nb_man``'s notebook as papermill's engine does, on the running client ``kc``.

        ``kc`` is a started, ready client of the kernel manager given as ``km``; without one,
        nbclient makes its own, as with papermill's engine.
        """
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(safe_kwargs,
                                    timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                                    startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                    log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
        client = PapermillNotebookClient(nb_man, **final_kwargs)
        if kc is not None:
            kc.allow_stdin = False  # as nbclient sets it on the clients it makes
            client.kc = kc  # nbclient then makes none, and closes none (it does not own the kernel)
        return client.execute()


papermill_engines.register(NAME, KeptClientEngine)
