"""The report runner on tiny throwaway notebooks: the swap, the lock, leftovers, snapshots, kernels."""

import fcntl
import inspect
import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_notebook

from aidcalc import cli, paths
from aidcalc.errors import ReportError, ReportLockedError
from aidcalc.report import tree as report_tree
from aidcalc.report.runner import run_reports
from aidcalc.report.tree import SWAP_STEPS, data_digest
from aidcalc.tables.context import DataContext

# the slow tier: `make check` leaves these out, `make test` (and CI) runs them
pytestmark = pytest.mark.kernel

#: The tiny notebooks write what they were given, and which data they read, into output_dir.
WRITE = ('import os, pathlib\n'
         'pathlib.Path(output_dir, "out.txt").write_text(\n'
         '    f"{tag}|{os.environ.get(\'AIDCALC_DATA\', \'\')}|{globals().get(\'data_digest\', \'-\')}")')


def write_notebook(folder: Path, stem: str, body: str = WRITE, declares_digest: bool = False) -> None:
    params = 'output_dir = ""\ntag = "x"\n' + ('data_digest = ""\n' if declares_digest else "")
    nb = new_notebook(cells=[new_code_cell(params, metadata={"tags": ["parameters"]}), new_code_cell(body)])
    # a kernel no machine has: the runner must not look it up
    nb.metadata["kernelspec"] = {"name": "no-such-kernel", "display_name": "none", "language": "python"}
    nbformat.write(nb, folder / f"{stem}.ipynb")


class Tiny:
    """Two tiny notebooks (a declares data_digest, b does not), their config and a reports folder."""

    def __init__(self, root: Path):
        self.notebooks = root / "notebooks"
        self.notebooks.mkdir(parents=True)
        self.reports = root / "reports"
        self.config = self.notebooks / "reports.yaml"
        write_notebook(self.notebooks, "a", declares_digest=True)
        write_notebook(self.notebooks, "b")
        self.configure("one")

    def configure(self, tag: str, notebooks=("a", "b")) -> None:
        self.config.write_text(yaml.safe_dump({
            "notebooks": [f"{n}.ipynb" for n in notebooks],
            "parameter_sets": {"default": {"tag": tag}, "extra": {"notebooks": ["a"], "tag": f"{tag}-extra"}}}))

    def run(self, **kwargs):
        return run_reports(self.config, self.reports, progress=False, **kwargs)


def check_consistent(reports: Path, new_links: set = frozenset()) -> dict[str, str]:
    """Check reports/ holds one complete run per notebook matching index.html; return each folder's tag.

    ``new_links`` may name links made for the notebooks of a run that was stopped before its
    switch: they point at nothing until a run holding those notebooks is current.
    """
    index = reports / "index.html"
    visible = sorted(p.name for p in reports.iterdir() if not p.name.startswith(".")) if reports.exists() else []
    if not index.exists():
        assert [n for n in visible if (reports / n).exists()] == [], "folders without an index"
        return {}
    hrefs = re.findall(r'href="([^"]+)"', index.read_text())
    for href in hrefs:
        assert (reports / href).is_file(), f"index.html links {href}, which does not exist"
    listed = {h.split("/")[0] for h in hrefs}
    notebooks = {n for n in visible if (reports / n).is_dir()}
    assert listed == notebooks, f"index.html lists {listed}, reports/ holds {notebooks}"
    dangling = {n for n in visible if not (reports / n).exists()}
    assert dangling <= set(new_links), f"links to nothing: {dangling}"
    # every folder, the index and the manifest belong to one run
    runs = {(reports / n).resolve().parent for n in visible if n not in dangling}
    assert len(runs) == 1, runs
    manifest = json.loads((reports / "manifest.json").read_text())
    tags = {}
    for folder in sorted(p for n in notebooks for p in (reports / n).iterdir() if p.is_dir()):
        key = f"{folder.parent.name}/{folder.name}"
        names = {p.name for p in folder.iterdir()}
        assert {f"{folder.parent.name}.ipynb", f"{folder.parent.name}.html", "out.txt"} <= names, key
        assert key in manifest["runs"], key
        tags[key] = (folder / "out.txt").read_text().split("|")[0]
    assert set(manifest["runs"]) == set(tags)
    return tags


def check_clean(reports: Path) -> None:
    leftovers = [p.name for p in reports.iterdir() if p.name.startswith((".staging-", ".tmp-", ".old-"))]
    assert not leftovers
    assert len(list((reports / ".runs").iterdir())) == 1


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """A reports folder after one complete run (tag "one"), to copy for each case."""
    tiny = Tiny(tmp_path_factory.mktemp("first"))
    tiny.run()
    return tiny


@pytest.fixture
def tiny(first_run, tmp_path):
    """A copy of the first run's notebooks and reports (links kept as links)."""
    copy = Tiny(tmp_path)
    shutil.rmtree(copy.reports, ignore_errors=True)
    shutil.copytree(first_run.reports, copy.reports, symlinks=True)
    return copy


def test_a_run_links_every_notebook_and_set_from_the_index(first_run):
    tags = check_consistent(first_run.reports)
    assert tags == {"a/default": "one", "a/extra": "one-extra", "b/default": "one"}
    check_clean(first_run.reports)


def test_a_run_reads_one_snapshot_of_the_data_and_records_its_digest(first_run):
    reports = first_run.reports
    manifest = json.loads((reports / "manifest.json").read_text())
    digest = data_digest(paths.data_dir())
    assert manifest["data_digest"] == digest == DataContext(paths.data_dir()).digest
    assert {run["data_digest"] for run in manifest["runs"].values()} == {digest}
    assert manifest["aidcalc_version"] and manifest["created"][:4].isdigit()
    assert manifest["runs"]["a/extra"]["parameters"] == {"tag": "one-extra"}
    tag, data, given = (reports / "a" / "default" / "out.txt").read_text().split("|")
    assert re.search(r"/\.staging-[^/]+/\.data$", data), "the kernel read the snapshot, not data/"
    assert given == digest, "a notebook that declares data_digest receives it"
    assert (reports / "b" / "default" / "out.txt").read_text().endswith("|-"), "b declares no data_digest"
    assert data_digest(reports / ".current" / ".data") == digest


def test_the_digest_changes_with_a_file_name_or_its_bytes(data_copy):
    before = data_digest(data_copy)
    (data_copy / "plans.csv").write_text((data_copy / "plans.csv").read_text() + "\n")
    assert data_digest(data_copy) != before
    (data_copy / "plans.csv").rename(data_copy / "plans2.csv")
    assert len({before, data_digest(data_copy)}) == 2


def test_a_run_of_only_one_notebook_keeps_the_others_previous_reports(tiny):
    tiny.configure("two")
    before = (tiny.reports / "b" / "default" / "out.txt").stat().st_ino
    assert set(tiny.run(only=["a"])) == {"a/default", "a/extra"}
    assert check_consistent(tiny.reports) == {"a/default": "two", "a/extra": "two-extra", "b/default": "one"}
    assert (tiny.reports / "b" / "default" / "out.txt").stat().st_ino == before, "hard-linked, not copied"
    check_clean(tiny.reports)


def test_a_run_of_only_one_notebook_on_another_data_edition_records_which_report_read_which(
        tiny, data_copy, monkeypatch):
    before = data_digest(paths.data_dir())
    (data_copy / "plans.csv").write_text((data_copy / "plans.csv").read_text() + "\n")
    monkeypatch.setenv("AIDCALC_DATA", str(data_copy))
    tiny.run(only=["b"])
    manifest = json.loads((tiny.reports / "manifest.json").read_text())
    after = data_digest(data_copy)
    assert manifest["data_digest"] == after != before
    assert manifest["data_digests"] == {before: ["a/default", "a/extra"], after: ["b/default"]}
    assert manifest["runs"]["a/default"]["data_digest"] == before


def test_a_notebook_dropped_from_the_config_leaves_the_reports(tiny):
    tiny.configure("two", notebooks=("a",))
    tiny.run()
    assert check_consistent(tiny.reports) == {"a/default": "two", "a/extra": "two-extra"}
    assert not os.path.lexists(tiny.reports / "b")


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", SWAP_STEPS)
def test_a_run_interrupted_at_any_step_of_the_swap_leaves_one_run_and_the_next_run_works(
        tiny, monkeypatch, step, when):
    original = getattr(report_tree, step)

    def interrupted(*args, **kwargs):
        if inspect.stack()[1].function != "_swap":  # _relink also repairs at the start of a run
            return original(*args, **kwargs)
        if when == "after":
            original(*args, **kwargs)
        raise KeyboardInterrupt(f"{when} {step}")

    monkeypatch.setattr(report_tree, step, interrupted)
    tiny.configure("two")
    with pytest.raises(KeyboardInterrupt):
        tiny.run(only=["a"])
    tags = check_consistent(tiny.reports)
    old = {"a/default": "one", "a/extra": "one-extra", "b/default": "one"}
    new = {"a/default": "two", "a/extra": "two-extra", "b/default": "one"}
    assert tags in (old, new)
    assert tags == (new if SWAP_STEPS.index(step) + (when == "after") > SWAP_STEPS.index("_switch") else old)

    monkeypatch.setattr(report_tree, step, original)
    tiny.configure("three")
    tiny.run()
    assert check_consistent(tiny.reports) == {"a/default": "three", "a/extra": "three-extra",
                                              "b/default": "three"}
    check_clean(tiny.reports)


def test_leftovers_of_killed_runs_do_not_break_the_next_run(tiny):
    for leftover in (".old-a", ".old-a/default", ".staging-x/a/default", ".runs/never-current/a"):
        (tiny.reports / leftover).mkdir(parents=True, exist_ok=True)
    (tiny.reports / ".old-a" / "default" / "out.txt").write_text("stale")
    (tiny.reports / ".staging-x" / "index.html").write_text("half a run")
    os.symlink(".runs/never-current", tiny.reports / ".tmp-x-current")
    tiny.configure("two")
    tiny.run()
    assert check_consistent(tiny.reports)["a/default"] == "two"
    check_clean(tiny.reports)


def test_the_folders_of_the_previous_runner_become_links(tmp_path):
    tiny = Tiny(tmp_path)
    legacy = tiny.reports / "b" / "default"
    legacy.mkdir(parents=True)
    for name in ("b.ipynb", "b.html"):
        (legacy / name).write_text("{}")
    (legacy / "out.txt").write_text("legacy|x|y")
    (tiny.reports / "index.html").write_text("<a href='b/default/out.txt'>old index</a>")
    (tiny.reports / ".old-b").mkdir()
    tiny.run(only=["a"])
    assert check_consistent(tiny.reports) == {"a/default": "one", "a/extra": "one-extra", "b/default": "legacy"}
    assert (tiny.reports / "b").is_symlink() and (tiny.reports / "index.html").is_symlink()
    check_clean(tiny.reports)


def test_a_second_run_is_refused_while_the_first_holds_the_lock(tiny, capsys):
    with open(tiny.reports / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242\n")
        held.flush()
        with pytest.raises(ReportLockedError, match=r"another aidcalc report is running \(pid 4242\) on .*reports; "
                                                    r"wait for it to finish, or stop it \(kill 4242\)"):
            tiny.run()
        code = cli.main(["report", "--config", str(tiny.config), "--reports-dir", str(tiny.reports),
                         "--no-progress"])
        assert code != 0
        assert "another aidcalc report is running (pid 4242)" in capsys.readouterr().err
    assert not list(tiny.reports.glob(".staging-*"))
    tiny.run()  # the lock released, the next run goes ahead


def test_a_kernel_that_dies_is_named_with_its_notebook_and_set(tiny):
    write_notebook(tiny.notebooks, "a", body="import os\nos._exit(1)")
    with pytest.raises(ReportError, match=r"a.ipynb \[(default|extra)\]: the kernel died"):
        tiny.run(jobs=1)
    assert check_consistent(tiny.reports)["a/default"] == "one", "the previous reports stay"
    check_clean(tiny.reports)


def test_a_failing_cell_is_named_and_the_other_workers_are_stopped(tiny):
    write_notebook(tiny.notebooks, "a", body="raise ValueError('deliberate')")
    write_notebook(tiny.notebooks, "b", body="import time\ntime.sleep(120)")
    with pytest.raises(ReportError, match=r"a.ipynb \[(default|extra)\] failed in cell .*deliberate"):
        tiny.run(jobs=3)
    assert check_consistent(tiny.reports)["b/default"] == "one"
    check_clean(tiny.reports)


def test_a_worker_that_dies_is_named_with_the_runs_it_left_unfinished(tiny):
    # the kernel's worker: its parent when launched, the parent jupyter_client names when forked
    write_notebook(tiny.notebooks, "b", body="import os, signal\nos.kill(int(os.environ['JPY_PARENT_PID']), "
                                            "signal.SIGKILL)")
    with pytest.raises(ReportError, match=r"a worker process died .* while running .*b.ipynb \[default\]"):
        tiny.run(jobs=1, only=["b"])
    assert check_consistent(tiny.reports)["b/default"] == "one"
    check_clean(tiny.reports)


def test_a_new_notebook_linked_before_a_switch_that_never_came_is_cleaned_by_the_next_run(tiny, monkeypatch):
    write_notebook(tiny.notebooks, "c")
    tiny.configure("two", notebooks=("a", "b", "c"))

    def interrupted(*args):
        raise KeyboardInterrupt("before the switch")

    monkeypatch.setattr(report_tree, "_switch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tiny.run(only=["c"])
    assert check_consistent(tiny.reports, new_links={"c"})["a/default"] == "one"
    monkeypatch.undo()
    tiny.configure("three", notebooks=("a", "b"))
    tiny.run(only=["b"])
    assert check_consistent(tiny.reports) == {"a/default": "one", "a/extra": "one-extra", "b/default": "three"}
    assert not os.path.lexists(tiny.reports / "c")
    check_clean(tiny.reports)


def test_a_notebook_folder_emptied_by_hand_is_not_carried_into_the_next_run(tiny):
    shutil.rmtree(tiny.reports / ".current" / "b" / "default")  # what `rm -rf reports/*/` does through a link
    tiny.configure("two")
    tiny.run(only=["a"])
    assert check_consistent(tiny.reports) == {"a/default": "two", "a/extra": "two-extra"}
    assert not os.path.lexists(tiny.reports / "b")


def manifest_of(reports: Path) -> dict:
    return json.loads((reports / "manifest.json").read_text())


def test_a_rerun_with_nothing_changed_reuses_every_run_and_executes_none(tiny):
    tiny.run()  # the copied notebooks are new files (new cell ids): every run executes once
    before = {f: (tiny.reports / f / "out.txt").stat().st_ino for f in ("a/default", "a/extra", "b/default")}
    assert tiny.run() == {}, "nothing executed"
    manifest = manifest_of(tiny.reports)
    assert manifest["reused"] == ["a/default", "a/extra", "b/default"]
    assert all(run["reused"] for run in manifest["runs"].values())
    assert {f: (tiny.reports / f / "out.txt").stat().st_ino for f in before} == before, "hard-linked, not rerun"
    assert check_consistent(tiny.reports) == {"a/default": "one", "a/extra": "one-extra", "b/default": "one"}
    check_clean(tiny.reports)
    assert set(tiny.run(force=True)) == {"a/default", "a/extra", "b/default"}, "--force runs everything"
    assert manifest_of(tiny.reports)["reused"] == []


def change_data(tiny, monkeypatch, data_copy):
    (data_copy / "plans.csv").write_text((data_copy / "plans.csv").read_text() + "\n")


def change_notebook(tiny, monkeypatch, data_copy):
    write_notebook(tiny.notebooks, "b", body=WRITE + "\n# the same output, another notebook")


def change_parameters(tiny, monkeypatch, data_copy):
    spec = yaml.safe_load(tiny.config.read_text())
    spec["parameter_sets"]["extra"]["tag"] = "other-extra"
    tiny.config.write_text(yaml.safe_dump(spec))


def change_package(tiny, monkeypatch, data_copy):
    from aidcalc.report import runner

    monkeypatch.setattr(runner, "_version", lambda: "0.0.0+another")


@pytest.mark.parametrize(("change", "rerun"), [
    (change_data, {"a/default", "a/extra", "b/default"}),
    (change_notebook, {"b/default"}),
    (change_parameters, {"a/extra"}),
    (change_package, {"a/default", "a/extra", "b/default"}),
])
def test_a_change_to_data_notebook_parameters_or_package_reruns_what_it_affects(
        tiny, monkeypatch, data_copy, change, rerun):
    monkeypatch.setenv("AIDCALC_DATA", str(data_copy))
    tiny.run()
    change(tiny, monkeypatch, data_copy)
    assert set(tiny.run()) == rerun
    manifest = manifest_of(tiny.reports)
    assert set(manifest["reused"]) == {"a/default", "a/extra", "b/default"} - rerun
    for folder in rerun:
        assert "reused" not in manifest["runs"][folder]
        assert manifest["runs"][folder]["data_digest"] == data_digest(data_copy)
    tags = check_consistent(tiny.reports)
    assert tags["a/extra"] == ("other-extra" if change is change_parameters else "one-extra")
    check_clean(tiny.reports)


def test_every_notebook_a_worker_runs_shows_its_charts_and_starts_from_a_clean_namespace(tmp_path):
    # one worker runs a, a/extra and b in one kernel: each must show its figure inline (as a fresh
    # kernel does) and find nothing the notebook before it defined
    tiny = Tiny(tmp_path)
    body = ('import matplotlib.pyplot as plt\nleftover = globals().get("mine", "none")\nmine = tag\n'
            'fig, ax = plt.subplots()\nax.plot([1, 2])\nplt.show()\nprint(leftover)')
    for stem in ("a", "b"):
        write_notebook(tiny.notebooks, stem, body=body)
    tiny.run(jobs=1)
    for folder in ("a/default", "a/extra", "b/default"):
        stem = folder.split("/")[0]
        nb = nbformat.read(tiny.reports / folder / f"{stem}.ipynb", as_version=4)
        outputs = nb.cells[-1].outputs
        assert any("image/png" in o.get("data", {}) for o in outputs), f"{folder} shows no chart"
        assert [o["text"] for o in outputs if o.output_type == "stream"] == ["none\n"], folder
        # nor anything the kernel says of its reset (IPython's "Session/line number was not unique")
        assert [o for c in nb.cells[:-1] for o in c.get("outputs", [])] == [], folder


def test_a_run_writes_nothing_into_the_users_ipython_profile(tmp_path, monkeypatch):
    # the kernels keep no history: no history.sqlite appears in the profile they would write it to
    profile = tmp_path / "ipython"
    monkeypatch.setenv("IPYTHONDIR", str(profile))
    tiny = Tiny(tmp_path)
    write_notebook(tiny.notebooks, "a", body="x = tag\nprint(x)")
    tiny.run(jobs=1)
    assert (tiny.reports / "a" / "default" / "a.ipynb").exists()
    assert not list(profile.rglob("history.sqlite*"))


def test_the_second_notebook_of_a_worker_shows_its_saved_chart_as_the_first_does(tmp_path):
    # 02 and 03 in one kernel, one after the other: 03's chart cell must show its figure (the
    # page inlines the saved SVG in its place), as it does when 03 runs first
    run_reports(reports_dir=tmp_path / "reports", only=["02_arms_shipments", "03_projects_people"], jobs=1,
                progress=False)
    for stem in ("02_arms_shipments", "03_projects_people"):
        nb = nbformat.read(tmp_path / "reports" / stem / "default" / f"{stem}.ipynb", as_version=4)
        charts = [c for c in nb.cells if c.cell_type == "code" and "save_figure(" in c.source]
        assert charts, stem
        for cell in charts:
            assert any("image/png" in o.get("data", {}) for o in cell.outputs), f"{stem}: a chart not shown"


def test_a_kernel_that_dies_on_a_port_taken_between_choice_and_bind_is_started_again_on_new_ports(
        tmp_path, monkeypatch):
    # Two workers start kernels at once: the ports one was given may be bound by the other's
    # kernel first. Here the first start is handed a port already bound, as the race would leave it.
    import socket

    import jupyter_client.manager
    from jupyter_core.utils import run_sync

    from aidcalc.report import kernel

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    taken = busy.getsockname()[1]
    starts = []

    class FirstStartOnATakenPort(jupyter_client.manager.AsyncKernelManager):
        def write_connection_file(self, **kwargs):
            super().write_connection_file(**kwargs)  # ports chosen at random, as always
            if not starts:  # ... and one of them bound elsewhere before the kernel binds it
                self.shell_port, self._connection_file_written = taken, False
                super().write_connection_file(**kwargs)
            starts.append(self.shell_port)

    monkeypatch.setattr(jupyter_client.manager, "AsyncKernelManager", FirstStartOnATakenPort)
    monkeypatch.setattr(kernel, "_KEPT", {})
    try:
        km = kernel.kernel_for(str(tmp_path), tmp_path / "kernel.log")
        assert run_sync(km.is_alive)()
        assert starts[0] == taken and starts[-1] != taken and len(starts) == 2
        assert "Address already in use" in (tmp_path / "kernel.log").read_text()
    finally:
        kernel.shutdown()
        busy.close()


def test_a_workers_kernel_is_waited_for_as_it_ends_not_polled_and_leaves_no_connection_file(
        tmp_path, monkeypatch):
    import asyncio
    from pathlib import Path

    import jupyter_client.manager
    import jupyter_client.provisioning.local_provisioner

    from aidcalc.report import kernel

    monkeypatch.setattr(kernel, "_KEPT", {})
    km = kernel.kernel_for(str(tmp_path), tmp_path / "kernel.log")
    process, connection = km.provisioner.process, Path(km.connection_file)
    assert process.poll() is None and connection.is_file()
    # jupyter_client's own shutdown looks every 0.1 s whether the kernel has gone (a tenth of a
    # second at the end of every run); one killed and waited for is gone when it looks
    naps, sleep = [], asyncio.sleep

    def nap(seconds, *args):
        naps.append(seconds)
        return sleep(seconds, *args)

    for module in (jupyter_client.manager, jupyter_client.provisioning.local_provisioner):
        monkeypatch.setattr(module.asyncio, "sleep", nap)
    kernel.shutdown()
    assert process.poll() is not None and not connection.exists()
    assert not [s for s in naps if s >= 0.1], naps
