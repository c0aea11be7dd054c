"""Exceptions raised by aidcalc: each names the offending value and what would be accepted."""

from __future__ import annotations


class AidcalcError(Exception):
    """Base class of every error aidcalc raises on purpose."""


class DataValidationError(AidcalcError, ValueError):
    """A data file breaks its table schema.

    Parameters
    ----------
    path : str
        The file that failed.
    problems : list of tuple
        ``(row, column, message)`` triples; ``row`` is the 1-based line in the file
        (the header is line 1), ``column`` the field name (``None`` for row-level errors).

    """

    def __init__(self, path, problems):
        self.path = str(path)
        self.problems = list(problems)
        shown = "\n".join(
            f"  {self.path}, line {row}, column {col!r}: {msg}"
            if col
            else f"  {self.path}, line {row}: {msg}"
            for row, col, msg in self.problems[:20]
        )
        more = f"\n  ... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(
            f"{self.path} breaks its schema in {len(self.problems)} place(s):\n{shown}{more}\n"
            "The schema (allowed values, types, units) is in data/datapackage.json."
        )


class UnknownCurrencyError(AidcalcError, KeyError):
    """A currency or unit code that the unit registry does not define."""

    def __init__(self, code, accepted, where: str = ""):
        self.code = code
        self.accepted = sorted(accepted)
        super().__init__(
            f"unknown currency or unit {code!r}{where}; accepted codes are: {', '.join(self.accepted)}"
        )

    def __str__(self):  # KeyError would otherwise print the repr of the message
        return self.args[0]


class MissingRateError(AidcalcError, KeyError):
    """No rate row covers the requested pair, date and rate type."""

    def __init__(self, pair, date, rate_type, coverage=""):
        self.pair = pair
        self.date = date
        self.rate_type = rate_type
        cover = f" The table covers {coverage}." if coverage else ""
        super().__init__(
            f"no {rate_type!r} rate for {pair} on {date} in data/rates.csv.{cover} "
            "Add a row with its source to data/rates.csv, or choose another rate basis."
        )

    def __str__(self):
        return self.args[0]


class DateOutOfRangeError(AidcalcError, ValueError):
    """A date outside the span that a table covers."""


class MissingDateError(AidcalcError, ValueError):
    """An amount whose conversion depends on a date was given none."""


class InvalidAmountError(AidcalcError, ValueError):
    """An amount that is negative or not a number."""


class UnknownParameterError(AidcalcError, ValueError):
    """A report or function parameter whose name or value is not accepted."""


class UnknownReferenceError(AidcalcError, KeyError):
    """A row refers to an id that does not exist in the table it points at."""

    def __str__(self):
        return self.args[0]


class DuplicateIdError(AidcalcError, ValueError):
    """Two or more input rows share an id, so a reference to it (``same_as``, ``part_of``) is ambiguous."""


class MissingColumnError(AidcalcError, KeyError):
    """A frame handed to a function lacks columns that the function reads."""

    def __str__(self):  # KeyError would otherwise print the repr of the message
        return self.args[0]


class ReportError(AidcalcError, RuntimeError):
    """A notebook failed while the reports were regenerated."""


class InvalidDateError(AidcalcError, ValueError):
    """A date that is not YYYY, YYYY-MM or YYYY-MM-DD, or not a day of the calendar."""

    def __init__(self, message, value=None):
        self.value = value
        super().__init__(message)


class MisalignedInputError(AidcalcError, ValueError):
    """Columns handed to one call do not line up: different indexes or lengths."""


class DataNotFoundError(AidcalcError, FileNotFoundError):
    """The data folder holds no ``datapackage.json``."""


class ReportConfigError(ReportError):
    """The report config (``notebooks/reports.yaml``) is missing, not YAML, or not shaped as expected."""


class ReportLockedError(ReportError):
    """Another ``aidcalc report`` holds the lock of the reports folder."""


class ClaimExpressionError(AidcalcError, ValueError):
    """A claim expression (``data/claims.csv``) that is not allowed, does not parse or cannot be evaluated."""


class ReportTreeError(ReportError):
    """The reports folder holds what aidcalc did not write (links, files, folders), so a run would harm it."""


class MissingExtraError(AidcalcError, ImportError):
    """A part of aidcalc needs the libraries of an extra that is not installed.

    The message names the extra and the command that installs it (``pip install "aidcalc[report]"``).
    """


#: The extras of the package (pyproject.toml) and the modules of each that aidcalc imports.
EXTRAS = {
    "report": ("papermill", "nbconvert", "nbformat", "ipykernel", "matplotlib", "yaml", "tqdm", "psutil"),
    "validate": ("frictionless",),
    "lab": ("jupyterlab",),
    "dask": ("dask",),
}


def missing_modules(extra: str) -> list[str]:
    """Return the modules of ``extra`` (a key of :data:`EXTRAS`) that cannot be imported here.

    Looks each up without importing it, so the check costs next to nothing.

    >>> missing_modules("report")
    []

    """
    from importlib.util import find_spec

    return [name for name in EXTRAS[extra] if find_spec(name) is None]


def require_extra(extra: str, needed_by: str) -> None:
    """Raise :class:`MissingExtraError` if a module of ``extra`` is missing, naming the extra to install.

    Parameters
    ----------
    extra : str
        A key of :data:`EXTRAS`: ``report``, ``validate``, ``lab`` or ``dask``.
    needed_by : str
        What needs it, in words the user knows (``"aidcalc report"``, ``"aidcalc.publish.charts"``).

    Raises
    ------
    MissingExtraError
        Naming the missing modules and the ``pip install`` command that brings them.

    """
    missing = missing_modules(extra)
    if missing:
        raise MissingExtraError(
            f"{needed_by} needs {', '.join(missing)}, which the extra '{extra}' installs: "
            f'pip install "aidcalc[{extra}]" (or "aidcalc[all]" for every extra)',
            name=missing[0])


def closest(value, choices) -> str | None:
    """Return the choice closest to a mistyped ``value`` (for a message's "did you mean"), or None.

    Examples
    --------
    >>> closest("grantd", ["granted", "signed"])
    'granted'
    >>> closest("xyz", ["granted"]) is None
    True

    """
    import difflib

    close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
    return close[0] if close else None
