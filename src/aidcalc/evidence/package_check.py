"""Check a whole data folder: every table against its schema and meaning, the claims, the source lines.

This is what ``aidcalc validate`` runs; loading a single table checks that table alone
(:meth:`aidcalc.tables.context.DataContext.table`).
"""

from __future__ import annotations

import json

from aidcalc import paths
from aidcalc.errors import DataValidationError, missing_modules, require_extra
from aidcalc.evidence.audit import load_claims
from aidcalc.tables.context import DataLike, open_data
from aidcalc.tables.reader import EVIDENCE_TABLES, row_lines
from aidcalc.tables.rules import check_source_lines


def validate_all(data: DataLike = None, standard: bool | None = None) -> dict[str, int]:
    """Validate every table of the data package; return the row count of each.

    With ``standard`` (by default, wherever the extra ``validate`` is installed), the package is
    also checked by the Frictionless validator, the reference implementation of its schema
    standard, so that the project's own reader is never the only judge of its tables (ours is
    stricter: it refuses what pandas could misread, and checks meaning).

    Beyond each table's own checks (:func:`read_table`), holds every claim against the
    evidence (:func:`aidcalc.evidence.audit.load_claims`) and the ``line`` of every evidence row and
    claim against the length of its source file where the file is in
    :data:`aidcalc.paths.SEEDS_DIR` (those files are not part of the data, so this is checked
    here at each call, not remembered).

    What was left unchecked here (source files not found, no Frictionless) is named by
    :func:`skipped_checks`.

    Raises
    ------
    DataValidationError
        At the first table that breaks its schema or whose lines overrun their source.
    MissingExtraError
        With ``standard=True`` where Frictionless is not installed
        (``pip install "aidcalc[validate]"``).
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
    if standard or (standard is None and not missing_modules("validate")):
        check_with_frictionless(data.path)
    return counts


def skipped_checks(data: DataLike = None, standard: bool | None = None) -> list[str]:
    """Return, in words, the checks :func:`validate_all` with the same arguments could not make here.

    The line of each row is held against its source file only where that file is in
    :data:`aidcalc.paths.SEEDS_DIR` (``$AIDCALC_SEEDS``); the Frictionless check needs the
    extra ``validate``. An empty list means every check ran.

    >>> skipped_checks(standard=False)
    []

    """
    data = open_data(data)
    skipped = []
    if "sources" in data.names:
        files = [f for f in data.table("sources")["file"].dropna() if isinstance(f, str)]
        absent = [f for f in files if not (paths.SEEDS_DIR / f).is_file()]
        if absent:
            skipped.append(f"the lines of the rows citing {len(absent)} of {len(files)} source files were "
                           f"not held against those files, which are not in {paths.SEEDS_DIR} (set "
                           f"AIDCALC_SEEDS to the folder holding them): {', '.join(absent)}")
    if standard is None and missing_modules("validate"):
        skipped.append("the Frictionless check of the data package did not run: "
                       'pip install "aidcalc[validate]"')
    return skipped


def check_with_frictionless(folder) -> None:
    """Validate a data package with the Frictionless validator, foreign keys included.

    Raises
    ------
    DataValidationError
        Naming the file, each bad line and column, as Frictionless reports them.

    """
    require_extra("validate", "the Frictionless check of the data package")
    import frictionless  # imported here: the package's own reader needs it not

    # columns are matched to their fields by name (fieldsMatch "equal"), as the project's reader
    # does: a table whose columns were reordered is valid, not hundreds of "Incorrect Label" errors
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if isinstance(resource["schema"], str):
            resource["schema"] = json.loads((folder / resource["schema"]).read_text(encoding="utf-8"))
        resource["schema"] = dict(resource["schema"], fieldsMatch="equal")
    report = frictionless.Package(descriptor, basepath=str(folder)).validate()
    for task in report.tasks:
        problems = [(getattr(err, "row_number", None) or "-", getattr(err, "field_name", None),
                     f"{err.title}: {err.note} (Frictionless)") for err in task.errors]
        if problems:
            raise DataValidationError(folder / f"{task.name}.csv", problems)
