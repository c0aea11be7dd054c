"""Where the project's folders are; imports nothing else from aidcalc."""

from __future__ import annotations

import os
from pathlib import Path

#: The project root: the folder holding ``data/``, ``notebooks/`` and ``reports/``.
PROJ_ROOT = Path(os.environ.get("AIDCALC_ROOT", Path(__file__).resolve().parent.parent))
#: Curated tables and their schema (``datapackage.json``).
DATA_DIR = Path(os.environ.get("AIDCALC_DATA", PROJ_ROOT / "data"))
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
REPORTS_DIR = PROJ_ROOT / "reports"
#: The primary sources; they sit beside the project, not inside it.
SEEDS_DIR = Path(os.environ.get("AIDCALC_SEEDS", PROJ_ROOT.parent / "shared" / "seeds"))
