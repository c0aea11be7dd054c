"""Where the project's folders are; imports nothing else from aidcalc.

The tables and the report notebooks travel with the package: ``src/aidcalc/data`` and
``src/aidcalc/notebooks`` are links to the checkout's top-level ``data/`` and ``notebooks/`` (the
one place where each is edited), and a wheel carries a copy of both. In a checkout the reports go
to its ``reports/``; from an install, to ``reports/`` in the current folder. The sources exist only
beside a checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
#: The tables shipped with the package (a link to ``data/`` in a checkout).
PACKAGED_DATA = _PACKAGE / "data"
#: The report notebooks and their config shipped with the package (a link to ``notebooks/`` in a checkout).
PACKAGED_NOTEBOOKS = _PACKAGE / "notebooks"
#: The checkout root: the folder holding ``data/``, ``notebooks/`` and ``reports/``.
PROJ_ROOT = Path(os.environ.get("AIDCALC_ROOT", _PACKAGE.parent.parent))
#: Installed from a wheel, the package sits in site-packages, and there is no checkout around it.
IN_CHECKOUT = "AIDCALC_ROOT" in os.environ or (PROJ_ROOT / "pyproject.toml").is_file()
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks" if IN_CHECKOUT else PACKAGED_NOTEBOOKS
REPORTS_DIR = PROJ_ROOT / "reports" if IN_CHECKOUT else Path("reports").absolute()
#: The primary sources; they sit beside the project, not inside it.
SEEDS_DIR = Path(os.environ.get("AIDCALC_SEEDS", PROJ_ROOT.parent / "shared" / "seeds"))


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """Return the data folder to read: ``path``, else ``$AIDCALC_DATA``, else the packaged tables.

    Examples
    --------
    >>> (data_dir() / "datapackage.json").exists()
    True

    """
    chosen = path or os.environ.get("AIDCALC_DATA") or PACKAGED_DATA
    return Path(chosen).resolve()


def folder_digest(path: str | os.PathLike) -> str:
    """Return the first 16 hex digits of a sha256 over a folder's files: sorted names and bytes.

    The digest of a data folder that a report page and the run manifest record.
    """
    import hashlib

    path = Path(path)
    digest = hashlib.sha256()
    for f in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(f.relative_to(path)).encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """Return the user cache folder (``$AIDCALC_CACHE``, else ``$XDG_CACHE_HOME/aidcalc``)."""
    if os.environ.get("AIDCALC_CACHE"):
        return Path(os.environ["AIDCALC_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "aidcalc"
