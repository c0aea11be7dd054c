"""The data context: one per folder, frames handed out as copies, a changed copy of data/ read as changed."""

import csv
import json
import os
from pathlib import Path

import pytest

from aidcalc import convert, load_rate_table, open_data, run_audit
from aidcalc.errors import DataNotFoundError, DataValidationError
from aidcalc.tables.context import DataContext


def _set_rate(folder: Path, rate_id: str, value: str) -> None:
    path = folder / "rates.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for row in rows:
        if row["id"] == rate_id:
            row["currency_per_base"] = value
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_one_folder_opens_as_one_context():
    assert open_data() is open_data()


def test_a_frame_changed_by_one_caller_is_unchanged_for_the_next():
    data = open_data()
    loans = data.table("loans")
    loans.loc[0, "amount"] = 99
    rates = load_rate_table(data).rates
    rates.loc[0, "currency_per_base"] = 99
    assert data.table("loans").loc[0, "amount"] == 6_000_000  # L0001: six million dollars
    assert load_rate_table(data).rates.loc[0, "currency_per_base"] == 5.30  # R001


def test_the_prepared_rate_arrays_cannot_be_written():
    series = next(iter(load_rate_table()._series.values()))
    with pytest.raises(ValueError, match="read-only"):
        series.rate[0] = 99


def test_a_changed_rate_in_a_copy_of_data_changes_the_conversion_and_the_audit_verdict(data_copy):
    # R002 is 4.00 old rubles per USD (1950-60). Claim C006: 80 million rubles = 20 million USD
    # (line 1105), recomputed at R002: 80e6 / 4.00 = 20e6, consistent; at 8.00 it is 10e6.
    _set_rate(data_copy, "R002", "8.00")
    assert convert(80e6, "RUB_old", "1956", data=data_copy).value == pytest.approx(80e6 / 8.00)
    packaged = run_audit().table.set_index("id").loc["C006"]
    changed = run_audit(data_copy).table.set_index("id").loc["C006"]
    assert packaged["recomputed_value"] == pytest.approx(80e6 / 4.00)
    assert changed["recomputed_value"] == pytest.approx(80e6 / 8.00)
    assert (packaged["verdict"], changed["verdict"]) == ("consistent", "inconsistent")


def test_a_folder_without_tables_is_refused_naming_the_fix(tmp_path):
    with pytest.raises(DataNotFoundError, match="AIDCALC_DATA"):
        open_data(tmp_path)


def test_an_edit_to_a_table_is_seen_by_the_next_load(data_copy):
    data = open_data(data_copy)
    assert load_rate_table(data).rates.set_index("id").loc["R002", "currency_per_base"] == 4.00
    _set_rate(data_copy, "R002", "4.50")
    assert load_rate_table(data).rates.set_index("id").loc["R002", "currency_per_base"] == 4.50


def test_an_unwritable_validation_cache_is_said_once_and_loading_still_works(tmp_path, monkeypatch, data_copy):
    import warnings

    from aidcalc.tables import context

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("AIDCALC_CACHE", str(blocked))
    monkeypatch.setattr(context, "_WARNED", [])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = open_data(data_copy).table("plans")
    assert len(frame) == 7  # the seven plans, 1951-55 to 1981-85
    said = [str(w.message) for w in caught if "validation cache" in str(w.message)]
    assert len(said) == 1 and "AIDCALC_CACHE" in said[0]


@pytest.mark.parametrize("racy_window_ns", [None, 0])
def test_an_edit_that_keeps_size_and_modification_time_is_seen(data_copy, monkeypatch, racy_window_ns):
    # 4.00 -> 4.50 keeps the file's size; os.utime then restores its modification time, as an
    # editor or a sync tool may. With the window at 0 only the change time can tell.
    import time

    from aidcalc.tables import context

    if racy_window_ns is not None:
        monkeypatch.setattr(context, "_RACY_NS", racy_window_ns)
    data = context.DataContext(data_copy)
    assert load_rate_table(data).rates.set_index("id").loc["R002", "currency_per_base"] == 4.00
    path = data_copy / "rates.csv"
    before = path.stat()
    time.sleep(0.02)  # let a coarse file-system clock tick: the change time must move
    _set_rate(data_copy, "R002", "4.50")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert load_rate_table(data).rates.set_index("id").loc["R002", "currency_per_base"] == 4.50
    assert convert(80e6, "RUB_old", "1956", data=data).value == pytest.approx(80e6 / 4.50)


def _move_table(folder: Path, name: str, new_path: str) -> Path:
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["name"] == name:
            resource["path"] = new_path
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    target = folder / new_path
    target.parent.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.csv").rename(target)
    return target


def test_a_table_at_a_path_other_than_its_name_is_validated_after_an_edit(data_copy):
    # the validation cache remembers the loaded table; then its file, at the path the package
    # descriptor gives it, gets a negative amount (L0001, -6000000): a fresh context (as in a new
    # process) must validate it again, not trust the cache of the unchanged loans.csv name
    moved = _move_table(data_copy, "loans", "tables/loans-edition.csv")
    assert len(DataContext(data_copy).table("loans")) > 0
    text = moved.read_text(encoding="utf-8")
    moved.write_text(text.replace(",6000000,USD,", ",-6000000,USD,", 1), encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"loans-edition\.csv"):
        DataContext(data_copy).table("loans")


def test_a_validation_cache_file_that_is_not_utf8_does_not_break_loading(data_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("AIDCALC_CACHE", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "validated.txt").write_bytes(b"\xff\xfe not utf-8 \x80\n")
    assert len(DataContext(data_copy).table("plans")) == 7  # the seven plans, 1951-55 to 1981-85
    assert len(DataContext(data_copy).table("plans")) == 7, "and again, the cache now appended to"
