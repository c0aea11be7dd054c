"""aidcalc: an exact toolkit for the quantitative history of foreign aid.

The public API is re-exported here and imported on first use, so that ``import aidcalc``
stays light (no pandas, pint, matplotlib or papermill until a function needs them).
"""

from importlib import import_module

__version__ = "0.1.0"

_EXPORTS = {
    "convert": "rates", "deflate_usd": "rates", "load_rate_table": "rates", "parse_dates": "rates",
    "Q_": "units", "ureg": "units",
    "load_table": "io", "load_evidence": "io", "validate_table": "io",
    "assign_plans": "plans", "load_plans": "plans",
    "aggregate_loans": "aggregate", "aggregate_projects": "aggregate",
    "aggregate_tonnage": "aggregate", "aggregate_items": "aggregate",
    "interpolate_population": "aggregate",
    "run_audit": "audit", "load_claims": "audit",
    "run_reports": "report",
    "AidcalcError": "errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'aidcalc' has no attribute {name!r}")
    return getattr(import_module(f"aidcalc.{_EXPORTS[name]}"), name)
