"""Measure aidcalc's speed and memory: import, conversion, aggregation, reports.

Run with ``make bench`` (or ``python benchmarks/run_benchmarks.py [--report]``). Prints one
line per figure and writes them to ``benchmarks/results.json``. Timings are wall-clock best of
three on this machine; peak memory is traced Python allocation (tracemalloc).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from aidcalc.aggregate import aggregate_loans
from aidcalc.rates import convert, load_rate_table

HERE = Path(__file__).resolve().parent
N_ROWS = 1_000_000
SCALAR_SAMPLE = 5_000
#: Spans each currency's official rates cover without a gap, together 1947-1985.
SPANS = {"RUB_old": ("1947-01-01", "1960-12-31"), "RUB": ("1961-01-01", "1974-12-31"),
         "CNY_old": ("1952-12-01", "1955-02-28"), "CNY": ("1955-03-01", "1985-12-31"),
         "ALL_old": ("1947-01-01", "1965-08-09"), "ALL": ("1965-08-10", "1973-12-31"),
         "USD": ("1947-01-01", "1985-12-31")}


def synthetic_rows(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` amounts, currencies and dates (datetime64[D]) spread over 1947-1985."""
    rng = np.random.default_rng(seed)
    codes = np.array(list(SPANS), dtype=object)
    currency = codes[rng.integers(0, len(codes), n)]
    days = np.empty(n, dtype="datetime64[D]")
    for code, (lo, hi) in SPANS.items():
        sel = currency == code
        lo, hi = np.datetime64(lo), np.datetime64(hi)
        days[sel] = lo + rng.integers(0, int((hi - lo).astype(int)) + 1, sel.sum()).astype("timedelta64[D]")
    amounts = rng.uniform(1e3, 1e9, n)
    return amounts, currency, days


def best_of(fn, repeat: int = 3) -> float:
    """Best wall time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(fn) -> float:
    """Peak traced allocation of one call, in MiB."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def bare_numpy(amounts, currency, days, table) -> np.ndarray:
    """The same arithmetic with nothing but numpy: searchsorted over rate dates, then divide."""
    rates = table.rates[(table.rates["base"] == "USD") & (table.rates["rate_type"] == "official")]
    out = amounts.copy()
    for code in SPANS:
        if code == "USD":
            continue
        rows = rates[rates["currency"] == code].sort_values("valid_from")
        sel = currency == code
        pos = np.searchsorted(rows["valid_from"].to_numpy(), days[sel], side="right") - 1
        out[sel] = amounts[sel] / rows["currency_per_base"].to_numpy()[pos]
    return out


def bench_import() -> dict:
    """Time ``import aidcalc`` in a fresh interpreter and check what it pulls in."""
    code = ("import sys, time; t = time.perf_counter(); import aidcalc; "
            "print(time.perf_counter() - t, 'matplotlib' in sys.modules, 'papermill' in sys.modules, "
            "'pandas' in sys.modules)")
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            .stdout.split() for _ in range(5)]
    seconds = min(float(r[0]) for r in runs)
    return {"import_aidcalc_ms": round(seconds * 1000, 2), "imports_matplotlib": runs[0][1] == "True",
            "imports_papermill": runs[0][2] == "True", "imports_pandas": runs[0][3] == "True"}


def bench_conversion() -> dict:
    """Convert 1,000,000 mixed rows to USD: vectorised, scalar loop, bare numpy."""
    table = load_rate_table()
    amounts, currency, days = synthetic_rows(N_ROWS)
    vector = best_of(lambda: convert(amounts, currency, days, to="USD", table=table))
    sample = slice(0, SCALAR_SAMPLE)
    loop = best_of(lambda: [convert(a, c, str(d), to="USD", table=table)
                            for a, c, d in zip(amounts[sample], currency[sample], days[sample], strict=True)],
                   repeat=1) * N_ROWS / SCALAR_SAMPLE
    numpy_only = best_of(lambda: bare_numpy(amounts, currency, days, table))
    ours = convert(amounts, currency, days, to="USD", table=table).value
    assert np.allclose(ours, bare_numpy(amounts, currency, days, table), rtol=1e-12)
    memory = peak_memory(lambda: convert(amounts, currency, days, to="USD", table=table))
    return {"convert_1m_rows_s": round(vector, 3), "scalar_loop_1m_rows_s_extrapolated": round(loop, 1),
            "speedup_vs_scalar_loop": round(loop / vector, 1), "bare_numpy_1m_rows_s": round(numpy_only, 3),
            "slowdown_vs_bare_numpy": round(vector / numpy_only, 2), "convert_1m_peak_mib": round(memory, 1)}


def synthetic_loans(n: int) -> pd.DataFrame:
    """A loans table of ``n`` rows in the shape of data/loans.csv."""
    amounts, currency, days = synthetic_rows(n, seed=2)
    rng = np.random.default_rng(3)
    unit = np.array([c.replace("_old", "") for c in currency], dtype=object)
    return pd.DataFrame({
        "id": [f"L{i:07d}" for i in range(n)], "unit": unit,
        "vintage": np.where(np.char.endswith(currency.astype(str), "_old"), "old", "new"),
        "date": pd.Series(days.astype(str), dtype="string"),
        "period_start": pd.array([pd.NA] * n, dtype="Int64"),
        "period_end": pd.array([pd.NA] * n, dtype="Int64"), "plan": pd.array([pd.NA] * n, dtype="Int64"),
        "giver": rng.choice(["China", "USSR", "Poland", "GDR"], n), "receiver": "Albania",
        "event": rng.choice(["granted", "requested", "signed", "promised"], n), "amount": amounts,
        "same_as": pd.array([pd.NA] * n, dtype="string"), "part_of": pd.array([pd.NA] * n, dtype="string"),
    })


def with_references(loans: pd.DataFrame, seed: int = 5) -> pd.DataFrame:
    """The synthetic loans with the structure of the real table added.

    10% of the rows repeat another (``same_as``), 5% are components of another (``part_of``),
    30% name their plan and 20% give a five-year period instead.
    """
    n = len(loans)
    rng = np.random.default_rng(seed)
    ids = loans["id"].to_numpy(dtype=object)
    same = rng.random(n) < 0.10
    part = (rng.random(n) < 0.05) & ~same
    named = rng.random(n) < 0.30
    period = (rng.random(n) < 0.20) & ~named
    start = rng.integers(1950, 1980, n)

    def pick(mask):
        out = np.full(n, None, dtype=object)
        out[mask] = ids[rng.integers(0, n, mask.sum())]
        return pd.array(out, dtype="string")

    return loans.assign(
        same_as=pick(same), part_of=pick(part),
        plan=pd.array(np.where(named, rng.integers(1, 8, n), None), dtype="Int64"),
        period_start=pd.array(np.where(period, start, None), dtype="Int64"),
        period_end=pd.array(np.where(period, start + 4, None), dtype="Int64"),
    )


def bench_aggregation() -> dict:
    """Aggregate 1,000,000 synthetic loan rows by plan and lender, converted to USD.

    Twice: mixed currencies and dates only (the figure the target is set for), and with
    repeats, components, named plans and periods as well (every rule at work).
    """
    table = load_rate_table()
    results = {}
    for name, loans in (("aggregate_1m_rows", synthetic_loans(N_ROWS)),
                        ("aggregate_1m_rows_with_references", with_references(synthetic_loans(N_ROWS)))):
        seconds = best_of(lambda loans=loans: aggregate_loans(loans, to="USD", table=table))
        memory = peak_memory(lambda loans=loans: aggregate_loans(loans, to="USD", table=table))
        agg = aggregate_loans(loans, to="USD", table=table)
        assert len(agg.counted) + len(agg.excluded) == N_ROWS
        results.update({f"{name}_s": round(seconds, 3), f"{name}_peak_mib": round(memory, 1)})
    return results


def bench_reports() -> dict:
    """Time ``aidcalc report`` end to end, with the seconds of each run."""
    from aidcalc.report import run_reports

    start = time.perf_counter()
    timings = run_reports(progress=False)
    total = time.perf_counter() - start
    per_run = {f"report_{k}_s": round(v, 1) for k, v in sorted(timings.items())}
    return {"report_wall_s": round(total, 1), **per_run}


def main(argv=None) -> dict:
    """Run the benchmarks and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--report", action="store_true", help="also time `aidcalc report` end to end")
    args = parser.parse_args(argv)
    load_rate_table()  # the one-off table load is not what is measured
    results = {**bench_import(), **bench_conversion(), **bench_aggregation()}
    if args.report:
        results.update(bench_reports())
    for key, value in results.items():
        print(f"{key}: {value}")
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
