"""A tiny edition of data/ (about ten rows per table) for unit tests: fast, and stable when data/ grows.

Its rows are copies of rows of data/ (the first plan's 254 million and its five parts, the
second plan's 80 million, the loans of 1961, 1970 and 1975 with the restatements of 1970), with
the rate, CPI and claim rows they need. Tests of the real figures are in test_real_data.py.
"""

from pathlib import Path

from aidcalc import open_data

TINY_DIR = Path(__file__).parent / "fixtures" / "tiny"
TINY = open_data(TINY_DIR)
