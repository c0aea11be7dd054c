"""aidcalc: an exact toolkit for the quantitative history of foreign aid.

Chinese and Soviet-bloc aid to Albania, 1947-1978: every figure with its source, line and
archival reference, and the rates to convert it. The public functions (``aidcalc.__all__``)
load and validate the tables (``open_data``, ``load_table``, ``validate_all``), convert money
(``convert``, ``deflate_usd``), aggregate the evidence by plan with its range
(``aggregate_loans``, ``aggregate_loans_with_range``, ...), audit the sources' own arithmetic
(``run_audit``) and, with ``pip install "aidcalc[report]"``, regenerate the reports
(``run_reports``). Every error they raise on purpose derives from ``AidcalcError``.

Each is imported on first use, so that ``import aidcalc`` stays light (no pandas, pint,
matplotlib or papermill until a function needs them); ``dir(aidcalc)`` and ``help(aidcalc)``
list them all.

>>> from aidcalc import convert
>>> convert(80_000_000, "RUB_old", "1956-07", to="USD").value  # 80 million old rubles / 4.00 per dollar
20000000.0
"""

from importlib import import_module as _import_module
from pathlib import Path as _Path

#: The version of the package and its data package; the one place it is written is the file VERSION.
__version__ = (_Path(__file__).parent / "VERSION").read_text(encoding="utf-8").strip()

_EXPORTS = {
    "open_data": "tables.context", "DataContext": "tables.context", "load_rate_table": "money.rates",
    "convert": "money.conversion", "deflate_usd": "money.conversion",
    "parse_dates": "money.dates",
    "Q_": "units", "ureg": "units",
    "load_table": "tables.context", "load_evidence": "tables.context",
    "validate_all": "evidence.package_check",
    "assign_plans": "evidence.plans", "load_plans": "evidence.plans", "plan_label": "evidence.plans",
    "aggregate_loans": "evidence.aggregation", "aggregate_projects": "evidence.aggregation",
    "aggregate_tonnage": "evidence.aggregation", "aggregate_items": "evidence.aggregation",
    "interpolate_population": "evidence.population", "add_per_capita": "evidence.population",
    "run_audit": "evidence.audit", "load_claims": "evidence.audit",
    "Basis": "money.basis", "rates_for": "evidence.readings", "sensitivity": "evidence.ranges",
    "aggregate_loans_with_range": "evidence.ranges",
    "reconcile_china_total": "evidence.reconciliation",
    "run_reports": "report.runner", "start_report": "report.session",
    "AidcalcError": "errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'aidcalc' has no attribute {name!r}")
    return getattr(_import_module(f"aidcalc.{_EXPORTS[name]}"), name)


def __dir__():
    # tab completion and help() see the public names before their first use; those of the reports
    # only where the extra "report" is installed, since help() imports every name it lists
    from aidcalc.errors import missing_modules

    hidden = {name for name, module in _EXPORTS.items()
              if module.startswith(("report.", "publish.")) and missing_modules("report")}
    return sorted({name for name in globals() if not name.startswith("_") or name.startswith("__")}
                  | set(__all__) - hidden)
