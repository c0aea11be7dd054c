"""Command line: parses arguments and calls the same functions a notebook or test calls."""

from __future__ import annotations

import argparse
import os
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

    agg = sub.add_parser("aggregate", help="sum the evidence by plan (or year), with what was left out")
    agg.add_argument("what", choices=("loans", "projects", "tonnage", "items"))
    agg.add_argument("--currency", default="USD", help="loans: USD, RUB (1961 rubles) or CNY (1955 yuan)")
    agg.add_argument("--price-year", type=int, help="loans: constant US dollars of this year")
    agg.add_argument("--rate-basis", default="official", choices=("official", "source_implied"))
    agg.add_argument("--military", action="store_true", help="loans: add the values of arms aid")
    agg.add_argument("--by", default="year", choices=("year", "plan"), help="tonnage: per year or plan")
    agg.add_argument("--excluded", action="store_true", help="also list every excluded row and its reason")

    sub.add_parser("validate", help="validate every table in data/ against its schema")
    sub.add_parser("audit", help="check every derived statement of the sources")
    return parser


def print_aggregation(args: argparse.Namespace) -> None:
    """Print the table of an aggregation, then how many rows it counted and why it left the rest out."""
    from aidcalc import aggregate
    from aidcalc.io import load_table
    from aidcalc.ranges import aggregate_loans_with_range

    table = None
    if args.what == "loans":
        military = load_table("arms_shipments") if args.military else None
        result = aggregate_loans_with_range(to=args.currency, military=military, price_year=args.price_year,
                                            rate_basis=args.rate_basis)
        columns = ["plan", "lender", "requested", "committed", "committed_low", "committed_high"]
        # millions, so that the table with its range fits 100 columns
        table = result.table[columns].copy()
        for col in columns[2:]:
            table[col] = table[col] / 1e6
        table.columns = ["plan", "lender", "requested", "committed", "low", "high"]
    elif args.what == "projects":
        result = aggregate.aggregate_projects(load_table("projects"))
    elif args.what == "tonnage":
        result = aggregate.aggregate_tonnage(load_table("arms_shipments"), by=args.by)
    else:
        result = aggregate.aggregate_items(load_table("arms_shipments"))
    if table is not None:
        print(f"loans, millions of {result.unit}")
        print("low and high: the range of the committed total (readings below)")
        print(table.to_string(index=False, na_rep="-", float_format=lambda v: f"{v:,.1f}"))
        print("\nBounds set by:")
        for row in result.table.itertuples():
            for side in ("low", "high"):
                why = getattr(row, f"committed_{side}_by")
                if why:
                    print(f"  plan {row.plan} {row.lender} {side}: {why}")
    else:
        print(f"{args.what} ({result.unit})")
        # full figures with thousands separators; decimals only where the figure has them
        print(result.table.to_string(index=False, na_rep="-",
                                     float_format=lambda v: f"{v:,.3f}".rstrip("0").rstrip(".")))
    print(f"\n{len(result.counted)} rows counted, {len(result.excluded)} excluded:")
    print(result.reasons.to_string())
    if args.excluded:
        print()
        print(result.excluded[["id", "line", "reason"]].to_string(index=False))


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
            from aidcalc.conversion import convert

            result = convert(args.amount, args.currency, args.date, to=args.to,
                             rate_type=args.rate_type, basis=args.basis, via=args.via,
                             price_year=args.price_year)
            print(f"{result.value:,.2f} {result.label}; rows: {', '.join(result.rate_ids) or 'none'}")
        elif args.command == "aggregate":
            print_aggregation(args)
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
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
