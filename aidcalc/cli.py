"""Command line: parses arguments and calls the same functions a notebook or test calls."""

from __future__ import annotations

import argparse
import sys

from aidcalc.errors import AidcalcError


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for the ``aidcalc`` command."""
    parser = argparse.ArgumentParser(prog="aidcalc", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    rep = sub.add_parser("report", help="regenerate every report under reports/")
    rep.add_argument("--config", help="report config (default notebooks/reports.yaml)")
    rep.add_argument("--only", nargs="*", help="notebook names to run (default: all)")
    rep.add_argument("--jobs", type=int, default=2, help="notebooks run in parallel (default 2)")
    rep.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    conv = sub.add_parser("convert", help="convert one amount, and show the rate rows used")
    conv.add_argument("amount", type=float)
    conv.add_argument("currency", help="RUB_old, RUB, CNY_old, CNY, ALL_old, ALL or USD")
    conv.add_argument("date", help="YYYY, YYYY-MM or YYYY-MM-DD")
    conv.add_argument("--to", default="USD")
    conv.add_argument("--rate-type", default="official")
    conv.add_argument("--basis", default="gold", choices=("gold", "cash"))
    conv.add_argument("--via", default="USD", choices=("USD", "direct"))
    conv.add_argument("--price-year", type=int)

    sub.add_parser("validate", help="validate every table in data/ against its schema")
    sub.add_parser("audit", help="check every derived statement of the sources")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``aidcalc`` command; return its exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "report":
            from aidcalc.report import run_reports

            timings = run_reports(args.config, only=args.only, jobs=args.jobs,
                                  progress=not args.no_progress)
            for folder, seconds in sorted(timings.items()):
                print(f"{folder}: {seconds:.1f} s")
        elif args.command == "convert":
            from aidcalc.rates import convert

            result = convert(args.amount, args.currency, args.date, to=args.to,
                             rate_type=args.rate_type, basis=args.basis, via=args.via,
                             price_year=args.price_year)
            print(f"{result.value:,.2f} {result.label}; rows: {', '.join(result.rate_ids) or 'none'}")
        elif args.command == "validate":
            from aidcalc.io import validate_all

            for name, rows in validate_all().items():
                print(f"{name}: {rows} rows valid")
        elif args.command == "audit":
            from aidcalc.audit import run_audit

            audit = run_audit()
            print(audit.table[["id", "claim_type", "verdict", "detail"]].to_string(index=False))
    except AidcalcError as err:
        print(f"aidcalc: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
