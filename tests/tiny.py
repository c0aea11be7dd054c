"""A tiny edition of data/ (about ten rows per table) for unit tests: fast, and stable when data/ grows.

Its rows are copies of rows of data/ (the first plan's 254 million and its five parts, the
second plan's 80 million, the loans of 1961, 1970 and 1975 with the restatements of 1970, two
independent figures of the 1961 loan), with the rate, CPI and claim rows they need. Only the CSV
files are kept in ``fixtures/tiny``: the package descriptor and the schemas are those of data/,
copied beside them when the tests start, so the fixture cannot drift from the real package.
Tests of the real figures are in test_real_data.py.
"""

import shutil
import tempfile
from pathlib import Path

from aidcalc import open_data, paths

#: The CSV files of the tiny edition (one per table of data/datapackage.json).
TINY_TABLES = Path(__file__).parent / "fixtures" / "tiny"


def build_tiny(target: Path) -> Path:
    """Write the tiny edition into ``target``: its CSVs with the descriptor and schemas of data/."""
    target.mkdir(parents=True, exist_ok=True)
    for table in TINY_TABLES.glob("*.csv"):
        shutil.copyfile(table, target / table.name)
    shutil.copyfile(paths.data_dir() / "datapackage.json", target / "datapackage.json")
    shutil.copytree(paths.data_dir() / "schemas", target / "schemas", dirs_exist_ok=True)
    return target


TINY_DIR = build_tiny(Path(tempfile.mkdtemp(prefix="aidcalc-tiny-")) / "data")
TINY = open_data(TINY_DIR)
