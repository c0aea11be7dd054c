"""The ``aidcalc`` command: the toolkit's functions from a shell (``aidcalc --help``)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from aidcalc import paths
from aidcalc.errors import AidcalcError
from aidcalc.money.basis import RATE_BASES, REDENOMINATIONS, VIAS

DESCRIPTION = """\
Convert amounts of Chinese, Soviet, Albanian and US currency of 1947-1978 at a date, with the
rows of the rate table each conversion used; sum the aid figures of the sources by plan, saying
which rows were counted and why the rest were left out; check the tables and the sources'
own arithmetic; and regenerate the reports. Every figure names its source and line.
"""

EPILOG = """\
examples:
  aidcalc report                         regenerate every report under reports/
  aidcalc convert 80000000 RUB_old 1956-07
  aidcalc aggregate loans --currency RUB
  aidcalc validate
  aidcalc <command> --help               the options and examples of one command
"""

REPORT_EPILOG = """\
examples:
  aidcalc report                             every notebook, every parameter set (notebooks/reports.yaml)
  aidcalc report --only 01_aid_by_plan       one notebook; the others' reports are kept as they are
  aidcalc report --jobs 1 --no-progress      one kernel at a time, no progress bar (logs, CI)
  aidcalc report --force                     run every notebook, even those with nothing changed
  aidcalc report --config my.yaml --reports-dir /tmp/reports

reports/index.html links every run; reports/manifest.json records the data digest, the parameters
and the date of each. A run whose data, notebook, parameters and package are those of its last
good run is not executed again: its report is reused (listed under "reused" in the manifest).
A run that fails or is stopped leaves the previous reports in place.
"""

CONVERT_EPILOG = """\
examples:
  aidcalc convert 80000000 RUB_old 1956-07             old rubles of July 1956 in US dollars
  aidcalc convert 1000000 CNY 1970 --to RUB            yuan to rubles, through the dollar
  aidcalc convert 5e6 USD 1965 --price-year 1990       in constant 1990 dollars (CPI-U)
"""

AGGREGATE_EPILOG = """\
examples:
  aidcalc aggregate loans                              loans by plan and lender, USD, with their range
  aidcalc aggregate loans --currency RUB --military    in 1961 rubles, arms aid added
  aidcalc aggregate tonnage --by plan --excluded       tonnage per plan, and every row left out
"""

VALIDATE_EPILOG = """\
example:
  AIDCALC_DATA=/path/to/data aidcalc validate          check another copy of the tables
"""

AUDIT_EPILOG = """\
example:
  aidcalc audit | grep inconsistent                    the statements the sources contradict
"""


def _at_least_one(text: str) -> int:
    """Parse ``--jobs``: a whole number, 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; give 1 or more") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not accepted; give 1 or more notebooks at once")
    return value


def build_parser(prog: str = "aidcalc") -> argparse.ArgumentParser:
    """Return the argument parser for the ``aidcalc`` command, named ``prog`` in its messages."""
    import aidcalc

    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION, epilog=EPILOG, formatter_class=_RAW)
    parser.add_argument("--version", action="version", version=f"%(prog)s {aidcalc.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    _add_report(sub)
    _add_convert(sub)
    _add_aggregate(sub)
    sub.add_parser("validate", help="validate every table in data/ against its schema",
                   description="Validate every table of the data folder ($AIDCALC_DATA, else the\n"
                               "packaged data/) against its schema in datapackage.json.",
                   epilog=VALIDATE_EPILOG, formatter_class=_RAW)
    sub.add_parser("audit", help="check every derived statement of the sources",
                   description="Recompute every statement the sources derive from their own figures\n"
                               "(sums, conversions, shares) and print a verdict for each.",
                   epilog=AUDIT_EPILOG, formatter_class=_RAW)
    return parser


_RAW = argparse.RawDescriptionHelpFormatter


def _add_report(sub) -> None:
    rep = sub.add_parser("report", help="regenerate every report under reports/",
                         description="Run every report notebook headless with each parameter set, render\n"
                                     "it, and switch reports/ to the new run at once.",
                         epilog=REPORT_EPILOG, formatter_class=_RAW)
    rep.add_argument("--config", metavar="YAML",
                     help="report config: the notebooks and parameter sets (default notebooks/reports.yaml)")
    rep.add_argument("--only", nargs="+", metavar="NOTEBOOK",
                     help="run only these notebooks (names with or without .ipynb); default: all")
    rep.add_argument("--jobs", type=_at_least_one, default=2, metavar="N",
                     help="notebooks run in parallel, one kernel each, 1 or more (default 2)")
    rep.add_argument("--reports-dir", metavar="DIR", help="where the reports go (default reports/)")
    rep.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    rep.add_argument("--force", action="store_true",
                     help="run every notebook, even those whose data, notebook, parameters and package "
                          "are unchanged since their last good run (reused by default)")


def _add_convert(sub) -> None:
    conv = sub.add_parser("convert", help="convert one amount, and show the rate rows used",
                          description="Convert one amount of a currency at a date, and name the rows of\n"
                                      "data/rates.csv the conversion used.",
                          epilog=CONVERT_EPILOG, formatter_class=_RAW)
    conv.add_argument("amount", type=float, help="the amount, in units of CURRENCY (e.g. 80000000 or 8e7)")
    conv.add_argument("currency", help="RUB_old, RUB, CNY_old, CNY, ALL_old, ALL or USD")
    conv.add_argument("date", help="YYYY, YYYY-MM or YYYY-MM-DD")
    conv.add_argument("--to", default="USD", help="the currency to convert into (default USD)")
    conv.add_argument("--rate-type", default="official",
                      help="a rate_type of data/rates.csv: official, clearing, source_implied, ... "
                           "(default official)")
    conv.add_argument("--basis", default="gold", choices=REDENOMINATIONS,
                      help="ratio for restating an old vintage after its reform: gold for loans and "
                           "balances (4.444 old rubles = 1 ruble), cash for prices and wages (10:1); "
                           "default gold")
    conv.add_argument("--via", default="USD", choices=VIAS,
                      help="cross rates through the dollar, or a rate quoted between the two "
                           "currencies (default USD)")
    conv.add_argument("--price-year", type=int, metavar="YEAR",
                      help="give the result in constant US dollars of this year (CPI-U, 1945-1990)")


def _add_aggregate(sub) -> None:
    agg = sub.add_parser("aggregate", help="sum the evidence by plan (or year), with what was left out",
                         description="Sum the rows of a table by five-year plan (or year), and say how\n"
                                     "many rows were counted and why the rest were left out.",
                         epilog=AGGREGATE_EPILOG, formatter_class=_RAW)
    agg.add_argument("what", choices=("loans", "projects", "tonnage", "items"),
                     help="what to sum: loans (money), projects, tonnage or items (arms shipments)")
    agg.add_argument("--currency", default="USD", help="loans: USD, RUB (1961 rubles) or CNY (1955 yuan)")
    agg.add_argument("--price-year", type=int, metavar="YEAR",
                     help="loans: constant US dollars of this year")
    agg.add_argument("--rate-basis", default="official", choices=RATE_BASES,
                     help="loans: the official rates, or those the sources' own conversions imply")
    agg.add_argument("--military", action="store_true", help="loans: add the values of arms aid")
    agg.add_argument("--by", default="year", choices=("year", "plan"), help="tonnage: per year or plan")
    agg.add_argument("--excluded", action="store_true", help="also list every excluded row and its reason")


def print_aggregation(args: argparse.Namespace) -> None:
    """Print the table of an aggregation, then how many rows it counted and why it left the rest out."""
    from aidcalc.evidence import aggregation
    from aidcalc.evidence.ranges import aggregate_loans_with_range
    from aidcalc.tables.context import load_table

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
        result = aggregation.aggregate_projects(load_table("projects"))
    elif args.what == "tonnage":
        result = aggregation.aggregate_tonnage(load_table("arms_shipments"), by=args.by)
    else:
        result = aggregation.aggregate_items(load_table("arms_shipments"))
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


def print_audit(audit, width: int = 100) -> None:
    """Print each claim's verdict on one line and its detail wrapped under it, within ``width`` columns."""
    import textwrap

    for claim in audit.table.itertuples():
        heading = f"{claim.id}  {claim.claim_type:<11} {claim.verdict}  "
        heading += f"(line {claim.line}: {claim.figure_text})"
        print(heading[:width])
        indent = " " * 6
        print(textwrap.fill(str(claim.detail), width=width, initial_indent=indent, subsequent_indent=indent))
    print(f"\n{len(audit.table)} claims: " + ", ".join(f"{n} {v}" for v, n in audit.counts().items()))


def main(argv: list[str] | None = None, prog: str = "aidcalc") -> int:
    """Run the ``aidcalc`` command (named ``prog`` in its messages); return its exit code."""
    args = build_parser(prog).parse_args(argv)
    commands = {"report": run_report, "convert": run_convert, "aggregate": print_aggregation,
                "validate": run_validate, "audit": run_audit_command}
    try:
        return commands[args.command](args) or 0
    except AidcalcError as err:
        print(f"aidcalc: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except OSError as err:  # a file system that refuses: name the file and why, not a traceback
        where = f"{err.filename}: " if err.filename else ""
        print(f"aidcalc: {where}{err.strerror or err}; check the path, its permissions and free space",
              file=sys.stderr)
        return 2
    return 0


def run_report(args: argparse.Namespace) -> int | None:
    """Regenerate the reports, print each run's time and where the landing page is."""
    from aidcalc.report.runner import run_reports

    try:
        timings = run_reports(args.config, args.reports_dir, only=args.only, jobs=args.jobs,
                              progress=not args.no_progress, force=args.force)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the runner has stopped its kernels
        print("aidcalc: report stopped; the previous reports are unchanged", file=sys.stderr)
        return 130
    for folder, seconds in sorted(timings.items()):
        print(f"{folder}: {seconds:.1f} s")
    if not timings:
        print("nothing changed since the last good run: every report reused (--force runs them all)")
    landing = Path(args.reports_dir or paths.REPORTS_DIR) / "index.html"
    print(f"the reports: {landing.absolute()}")
    return None


def run_convert(args: argparse.Namespace) -> None:
    """Convert one amount and print it with the rate rows it used."""
    from aidcalc.money.conversion import convert

    result = convert(args.amount, args.currency, args.date, to=args.to, rate_type=args.rate_type,
                     basis=args.basis, via=args.via, price_year=args.price_year)
    print(f"{result.value:,.2f} {result.label}; rows: {', '.join(result.rate_ids) or 'none'}")


def run_validate(args: argparse.Namespace) -> None:
    """Validate every table and say which checks could not be made here."""
    from aidcalc.evidence.package_check import skipped_checks, validate_all

    for name, rows in validate_all().items():
        print(f"{name}: {rows} rows valid")
    for skipped in skipped_checks():
        print(f"not checked: {skipped}")


def run_audit_command(args: argparse.Namespace) -> None:
    """Print the verdict of every claim of the sources' own arithmetic."""
    from aidcalc.evidence.audit import run_audit

    print_audit(run_audit())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
