"""A reports folder that arrives hostile or careless: planted links, a user's own folder, a copy
without links. A run refuses before any work and touches nothing outside what it wrote."""

import os
import shutil
from pathlib import Path

import pytest
from test_report_runner import Tiny

from aidcalc import cli
from aidcalc.errors import ReportTreeError
from aidcalc.report import tree


def fake_tree(reports: Path) -> None:
    """A reports tree as a run leaves it (one run, notebooks a and b), built without kernels."""
    run = reports / ".runs" / "r1"
    for stem in ("a", "b"):
        (run / stem / "default").mkdir(parents=True)
        (run / stem / "default" / f"{stem}.ipynb").write_text("{}")
    (run / "index.html").write_text("<p>index</p>")
    (run / "manifest.json").write_text('{"runs": {}}')
    os.symlink(".runs/r1", reports / ".current")
    for name in ("a", "b", "index.html", "manifest.json"):
        os.symlink(f".current/{name}", reports / name)


@pytest.fixture
def tiny(tmp_path):
    t = Tiny(tmp_path / "project")
    t.reports.mkdir()
    fake_tree(t.reports)
    return t


@pytest.fixture
def users(tmp_path):
    """A folder of the user's own, outside the project, with a file in it."""
    folder = tmp_path / "users_files"
    folder.mkdir()
    (folder / "thesis.docx").write_text("years of work")
    return folder


def snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_runs_folder_linked_elsewhere_is_refused_and_the_folder_it_names_kept(tiny, users):
    shutil.rmtree(tiny.reports / ".runs")
    os.symlink(users, tiny.reports / ".runs")
    with pytest.raises(ReportTreeError, match=r"\.runs is a link \(to .*users_files\), not the run's own"):
        tiny.run()
    assert snapshot(users) == {"thesis.docx": b"years of work"}


@pytest.mark.parametrize("target", ["thesis.docx", "nothing_here.txt"])
def test_a_lock_linked_to_a_file_or_to_nothing_is_refused_and_no_file_is_written(tiny, users, target):
    os.symlink(users / target, tiny.reports / ".lock")
    with pytest.raises(ReportTreeError, match=r"\.lock is a link .* Move .*reports aside"):
        tiny.run()
    assert snapshot(users) == {"thesis.docx": b"years of work"}


def test_a_dangling_gitignore_link_is_never_followed(tmp_path, users):
    reports = tmp_path / "reports"
    reports.mkdir()
    os.symlink(users / "created.txt", reports / ".gitignore")
    tree._clean_leftovers(reports)
    assert not (users / "created.txt").exists()


def test_a_folder_of_the_users_own_is_refused_untouched(tmp_path, users):
    t = Tiny(tmp_path / "project")
    (users / "index.html").write_text("my homepage")
    (users / "a").mkdir()
    (users / "a" / "notes.txt").write_text("mine")
    before = snapshot(users)
    with pytest.raises(ReportTreeError, match=r"users_files holds a, index.html, thesis.docx, which no run "
                                              r"wrote.*Give --reports-dir a new or empty folder"):
        cli_run(t, users, raise_=True)
    assert snapshot(users) == before and sorted(p.name for p in users.iterdir()) == ["a", "index.html",
                                                                                      "thesis.docx"]


def cli_run(t: Tiny, reports: Path, raise_: bool = False, only=None):
    from aidcalc.report.runner import run_reports

    if raise_:
        return run_reports(t.config, reports, progress=False, only=only)
    args = ["report", "--config", str(t.config), "--reports-dir", str(reports), "--no-progress"]
    return cli.main(args + (["--only", *only] if only else []))


def test_a_reports_tree_copied_without_its_links_is_refused_before_any_work(tiny, tmp_path, capsys):
    copy = tmp_path / "copied"
    shutil.copytree(tiny.reports, copy, symlinks=False)  # cp -rL: .current becomes a folder
    assert (copy / ".current").is_dir() and not (copy / ".current").is_symlink()
    assert cli_run(tiny, copy) == 2
    err = capsys.readouterr().err
    assert "copied without their links (cp -rL" in err and "Traceback" not in err
    assert not list(copy.glob(".staging-*")) and not (copy / ".lock").exists()


def test_a_current_that_is_a_plain_file_is_refused_and_the_other_reports_kept(tiny):
    (tiny.reports / ".current").unlink()
    (tiny.reports / ".current").write_text(".runs/r1")
    with pytest.raises(ReportTreeError, match=r"\.current is a plain file, not the link to the current run"):
        cli_run(tiny, tiny.reports, raise_=True, only=["a"])
    assert (tiny.reports / ".runs" / "r1" / "b" / "default" / "b.ipynb").is_file()


@pytest.mark.parametrize(("entry", "target", "fragment"), [
    (".current", "/etc", r"\.current links to /etc, outside \.runs/"),
    (".current", ".runs/../../users_files", r"\.current links to .*, outside \.runs/"),
    ("a", "../../users_files", r"reports/a is a link to \.\./\.\./users_files, which no run made"),
])
def test_a_planted_link_in_the_tree_is_refused(tiny, users, entry, target, fragment):
    (tiny.reports / entry).unlink()
    os.symlink(target, tiny.reports / entry)
    with pytest.raises(ReportTreeError, match=fragment):
        tiny.run()
    assert snapshot(users) == {"thesis.docx": b"years of work"}


def test_a_link_planted_inside_the_current_run_is_refused_never_followed(tiny, users):
    os.symlink(users, tiny.reports / ".runs" / "r1" / "b" / "default" / "figures")
    with pytest.raises(ReportTreeError, match=r"default/figures is a link \(to .*users_files\) inside a run"):
        tiny.run(only=["a"])  # b would be carried over, its links followed
    assert snapshot(users) == {"thesis.docx": b"years of work"}
    assert not list(tiny.reports.glob(".staging-*"))


def test_a_reports_dir_that_is_a_file_or_a_dangling_link_is_named_without_a_traceback(tmp_path, capsys):
    t = Tiny(tmp_path / "project")
    (tmp_path / "file").write_text("x")
    os.symlink(tmp_path / "nowhere", tmp_path / "dangling")
    assert cli_run(t, tmp_path / "file") == 2
    assert cli_run(t, tmp_path / "dangling") == 2
    err = capsys.readouterr().err
    assert "file is a file, not a folder" in err and "dangling is a link to" in err
    assert "which does not exist" in err and "Traceback" not in err
    assert (tmp_path / "file").read_text() == "x" and not (tmp_path / "nowhere").exists()


def test_a_read_only_reports_dir_is_named(tmp_path, monkeypatch):
    t = Tiny(tmp_path / "project")
    t.reports.mkdir()
    t.reports.chmod(0o555)
    if os.geteuid() == 0:  # root writes into read-only folders: ask as a user would be answered
        monkeypatch.setattr(tree.os, "access", lambda path, mode: False)
    with pytest.raises(ReportTreeError, match=r"cannot be written to \(read-only\)"):
        t.run()


@pytest.mark.parametrize("make", ["missing", "empty", "tree", "legacy"])
def test_a_new_empty_reports_or_legacy_folder_is_accepted(tmp_path, make):
    reports = tmp_path / "reports"
    if make != "missing":
        reports.mkdir()
    if make == "tree":
        fake_tree(reports)
    if make == "legacy":  # the folders of the runner before the tree
        (reports / "b" / "default").mkdir(parents=True)
        (reports / "b" / "default" / "b.ipynb").write_text("{}")
        (reports / "index.html").write_text("old index")
        (reports / ".old-b").mkdir()
    tree.check_tree(reports, ["a", "b"])  # raises nothing


def test_a_disk_filling_during_the_data_copy_is_named_and_the_reports_kept(tiny, monkeypatch):
    from aidcalc.errors import ReportError
    from aidcalc.report import runner

    def full(src, dst, *args, **kwargs):
        Path(dst).mkdir()
        (Path(dst) / "loans.csv").write_text("half")
        raise OSError(28, "No space left on device")

    before = snapshot(tiny.reports)
    monkeypatch.setattr(runner.shutil, "copytree", full)
    with pytest.raises(ReportError, match=r"cannot copy the data into .*\.data \(\[Errno 28\] No space left on "
                                          r"device\); free space on the disk"):
        tiny.run()
    after = snapshot(tiny.reports)
    assert after.pop(".lock") == b"" and after.pop(".gitignore").startswith(b"# written by aidcalc")
    assert after == before and not list(tiny.reports.glob(".staging-*"))
