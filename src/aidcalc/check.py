"""Check a whole data folder: every table against its schema and meaning, the claims, the source lines.

This is what ``aidcalc validate`` runs; loading a single table checks that table alone
(:meth:`aidcalc.context.DataContext.table`).
"""

from __future__ import annotations

from aidcalc import paths
from aidcalc.audit import load_claims
from aidcalc.context import open_data
from aidcalc.errors import DataValidationError
from aidcalc.io import EVIDENCE_TABLES, row_lines
from aidcalc.validate import check_source_lines


def validate_all(data=None) -> dict:
    """Validate every table of the data package; return the row count of each.

    Beyond each table's own checks (:func:`read_table`), holds every claim against the
    evidence (:func:`aidcalc.audit.load_claims`) and the ``line`` of every evidence row and
    claim against the length of its source file where the file is in
    :data:`aidcalc.paths.SEEDS_DIR` (those files are not part of the data, so this is checked
    here at each call, not remembered).

    Raises
    ------
    DataValidationError
        At the first table that breaks its schema or whose lines overrun their source.
    ClaimExpressionError, UnknownReferenceError
        For a claim that cannot be evaluated or names a row that does not exist.

    """
    data = open_data(data)
    counts = {name: len(data.table(name)) for name in data.names}
    if "sources" in counts:
        sources = data.table("sources")
        for name in [*EVIDENCE_TABLES, "claims"]:
            if name in counts:
                frame = data.table(name)
                lines = row_lines(data.path, name)
                problems = check_source_lines(frame, sources, paths.SEEDS_DIR, lines)
                if problems:
                    raise DataValidationError(data.path / f"{name}.csv", problems)
    if "claims" in counts and set(EVIDENCE_TABLES) <= set(counts):
        load_claims(data)
    return counts
