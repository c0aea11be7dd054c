"""aidcalc: an exact toolkit for the quantitative history of foreign aid.

The public API is re-exported here and imported on first use, so that ``import aidcalc``
stays light (no pandas, pint, matplotlib or papermill until a function needs them).
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "open_data": "context", "DataContext": "context", "load_rate_table": "context",
    "convert": "conversion", "deflate_usd": "conversion",
    "parse_dates": "dates",
    "Q_": "units", "ureg": "units",
    "load_table": "context", "load_evidence": "context", "validate_table": "context",
    "validate_all": "check",
    "assign_plans": "plans", "load_plans": "plans", "plan_label": "plans",
    "aggregate_loans": "aggregate", "aggregate_projects": "aggregate",
    "aggregate_tonnage": "aggregate", "aggregate_items": "aggregate",
    "interpolate_population": "population", "add_per_capita": "population",
    "run_audit": "audit", "load_claims": "audit",
    "conversion_options": "scenarios", "sensitivity": "ranges",
    "aggregate_loans_with_range": "ranges",
    "run_reports": "report", "start_report": "session",
    "AidcalcError": "errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'aidcalc' has no attribute {name!r}")
    return getattr(import_module(f"aidcalc.{_EXPORTS[name]}"), name)
