"""aidcalc: an exact toolkit for the quantitative history of foreign aid.

The public API is re-exported here and imported on first use, so that ``import aidcalc``
stays light (no pandas, pint, matplotlib or papermill until a function needs them).
"""

from importlib import import_module

__version__ = "0.1.0"

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
    return getattr(import_module(f"aidcalc.{_EXPORTS[name]}"), name)
