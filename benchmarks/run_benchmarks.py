"""Measure aidcalc against floors measured in the same run: each target is a ratio, not a time.

Run with ``make bench`` (or ``python benchmarks/run_benchmarks.py [--report] [--dask]``). Prints
one line per figure and writes them, with the machine and the date, to
``benchmarks/results/latest.json`` (an output, not a tracked file).

Every floor is the least work that gives the same numbers, prepared once outside the timed loop:

* scalar: a pure-Python lookup (a cached date parse, ``bisect`` over the validity starts, a
  division), against ``convert(80e6, "RUB_old", "1956-07")``;
* columns: bare numpy (per currency, a mask, ``searchsorted`` over the validity starts and a
  division), against ``convert`` of the same columns, at 1e4, 1e6 and 1e7 rows;
* memory: traced allocation (tracemalloc) of one conversion of 1e7 rows, in bytes per row,
  the inputs excluded (they exist before tracing starts);
* first conversion: a fresh interpreter to its first ``convert``, against ``import pandas``;
* aggregation: ``aggregate_loans`` of 1e6 rows, against a ``groupby`` sum over pre-converted values;
* report: ``aidcalc report``, against one trivial papermill run times the runs over the cores;
* Dask: ``aidcalc.money.distributed.convert_dask`` over partitions generated lazily, reduced to a sum,
  with the peak resident memory of the process.

Timings are wall-clock, the best of several runs, on this machine only.
"""

from __future__ import annotations

import argparse
import bisect
import cProfile
import datetime as dt
import functools
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from aidcalc import convert, load_rate_table

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"
#: Spans each currency's official rates cover without a gap, together 1947-1985.
SPANS = {"RUB_old": ("1947-01-01", "1960-12-31"), "RUB": ("1961-01-01", "1974-12-31"),
         "CNY_old": ("1952-12-01", "1955-02-28"), "CNY": ("1955-03-01", "1985-12-31"),
         "ALL_old": ("1947-01-01", "1965-08-09"), "ALL": ("1965-08-10", "1973-12-31"),
         "USD": ("1947-01-01", "1985-12-31")}
#: The targets, as ratios to the floors (see the issue), and the memory budget.
TARGETS = {"scalar": 300, "columns_1e4": 3.0, "columns_1e6": 1.5, "columns_1e7": 1.5,
           "bytes_per_row_1e7": 24, "aggregate_1e6": 10, "first_conversion": 1.3, "report": 1.3,
           "bounds": 2.0}


def machine() -> dict:
    """The machine and the software the figures were measured with, and when."""
    info = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "cpu_count": os.cpu_count(),
            "python": platform.python_version(), "numpy": np.__version__, "pandas": pd.__version__}
    try:
        import dask

        info["dask"] = dask.__version__
    except ImportError:
        info["dask"] = None
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                                        capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        info["commit"] = None
    return info


def synthetic_rows(n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` amounts, currencies (an object array) and dates (datetime64[D]) spread over 1947-1985."""
    rng = np.random.default_rng(seed)
    codes = np.array(list(SPANS), dtype=object)
    pick = rng.integers(0, len(codes), n)
    currency = codes[pick]
    days = np.empty(n, dtype="datetime64[D]")
    for i, (lo, hi) in enumerate(SPANS.values()):
        sel = pick == i
        lo, hi = np.datetime64(lo), np.datetime64(hi)
        days[sel] = lo + rng.integers(0, int((hi - lo).astype(int)) + 1, sel.sum()).astype("timedelta64[D]")
    amounts = rng.uniform(1e3, 1e9, n)
    return amounts, currency, days


def best_of(fn, repeat: int = 3, number: int = 1) -> float:
    """Best wall time of ``repeat`` rounds of ``number`` calls, per call."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def ratio(value: float, floor: float) -> float:
    return round(value / floor, 2)


# --- floors -------------------------------------------------------------------------------


def prepared_series(table) -> dict:
    """Per currency, the official USD rows sorted by validity start: prepared once, outside timing."""
    rates = table.rates
    rates = rates[(rates["base"] == "USD") & (rates["rate_type"] == "official")]
    out = {}
    for code in SPANS:
        if code == "USD":
            continue
        rows = rates[rates["currency"] == code].sort_values("valid_from")
        out[code] = (rows["valid_from"].to_numpy(dtype="datetime64[D]"),
                     rows["currency_per_base"].to_numpy(dtype=float))
    return out


def bare_numpy(amounts, currency, days, series) -> np.ndarray:
    """The same arithmetic with nothing but numpy: per currency a mask, searchsorted, a division."""
    out = amounts.copy()  # USD amounts stay as they are
    for code, (starts, rate) in series.items():
        sel = currency == code
        pos = np.searchsorted(starts, days[sel], side="right") - 1
        out[sel] = amounts[sel] / rate[pos]
    return out


@functools.lru_cache(maxsize=1024)
def _floor_day(text: str) -> int:
    """A date as a day number: YYYY is 1 July, YYYY-MM the 15th (cached, as a scalar path would)."""
    text = text + "-07-01" if len(text) == 4 else text + "-15" if len(text) == 7 else text
    return dt.date.fromisoformat(text).toordinal()


def scalar_floor_tables(series) -> dict:
    return {code: ([int(d.astype(object).toordinal()) for d in starts], rate.tolist())
            for code, (starts, rate) in series.items()}


def scalar_floor(amount, currency, on, tables) -> float:
    """A pure-Python dated lookup: parse (cached), bisect over the validity starts, divide."""
    starts, rates = tables[currency]
    return amount / rates[bisect.bisect_right(starts, _floor_day(on)) - 1]


# --- benchmarks ---------------------------------------------------------------------------


def _fresh(codes: dict, repeat: int = 9) -> dict:
    """Per name, the best in-process seconds its code prints in fresh interpreters, runs interleaved."""
    best = dict.fromkeys(codes, float("inf"))
    for _ in range(repeat):  # interleaved, so that a busy moment of the machine falls on both
        for name, code in codes.items():
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            best[name] = min(best[name], float(out.stdout.split()[-1]))
    return best


def bench_first_conversion() -> dict:
    """A fresh interpreter to its first conversion, against ``import pandas``; what import pulls in."""
    clock, stop = "import time; t = time.perf_counter(); ", "; print(time.perf_counter() - t)"
    best = _fresh({"first": f"{clock}import aidcalc; aidcalc.convert(80e6, 'RUB_old', '1956-07'){stop}",
                   "floor": f"{clock}import pandas{stop}"})
    first, floor = best["first"], best["floor"]
    code = ("import sys, aidcalc; aidcalc.convert(1, 'RUB', '1965'); print(sorted(m for m in "
            "('pint', 'matplotlib', 'papermill', 'frictionless') if m in sys.modules))")
    light = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    light = light.stdout.strip()
    return {"first_conversion_s": round(first, 3), "import_pandas_s": round(floor, 3),
            "first_conversion_ratio": ratio(first, floor), "first_conversion_loads": light}


def bench_scalar(table) -> dict:
    """One scalar conversion against the pure-Python dated lookup."""
    tables = scalar_floor_tables(prepared_series(table))
    want = scalar_floor(80e6, "RUB_old", "1956-07", tables)
    got = convert(80e6, "RUB_old", "1956-07")
    assert abs(got.value - want) <= 1e-9 * want, (got.value, want)
    floor = best_of(lambda: scalar_floor(80e6, "RUB_old", "1956-07", tables), repeat=7, number=20_000)
    ours = best_of(lambda: convert(80e6, "RUB_old", "1956-07"), repeat=7, number=500)
    explicit = best_of(lambda: convert(80e6, "RUB_old", "1956-07", data=table), repeat=7, number=500)
    return {"scalar_convert_us": round(ours * 1e6, 2),
            "scalar_convert_given_table_us": round(explicit * 1e6, 2),
            "scalar_floor_us": round(floor * 1e6, 3), "scalar_ratio": ratio(ours, floor)}


def bench_columns(table, sizes=(10_000, 1_000_000, 10_000_000)) -> dict:
    """Columns of mixed currencies and dates converted to USD, against bare numpy."""
    series = prepared_series(table)
    results = {}
    for n in sizes:
        amounts, currency, days = synthetic_rows(n)
        ours = convert(amounts, currency, days, to="USD", data=table).value
        assert np.allclose(ours, bare_numpy(amounts, currency, days, series), rtol=1e-12)
        number, repeat = (20, 5) if n <= 10_000 else (1, 3)
        t_ours = best_of(lambda a=amounts, c=currency, d=days: convert(a, c, d, to="USD", data=table),
                         repeat, number)
        t_floor = best_of(lambda a=amounts, c=currency, d=days: bare_numpy(a, c, d, series), repeat, number)
        tag = f"1e{len(str(n)) - 1}"
        results.update({f"columns_{tag}_s": round(t_ours, 5), f"columns_{tag}_floor_s": round(t_floor, 5),
                        f"columns_{tag}_ratio": ratio(t_ours, t_floor)})
    return results


def bench_columns_categorical(table, sizes=(10_000, 1_000_000, 10_000_000)) -> dict:
    """The same with currencies numbered beforehand (a categorical column), against numpy on the numbers.

    The stricter comparison: the floor selects each currency by comparing small integers
    instead of strings, the cost both sides save when the column is categorical.
    """
    series = prepared_series(table)
    results = {}
    for n in sizes:
        amounts, currency, days = synthetic_rows(n)
        cat = pd.Categorical(currency, categories=list(SPANS))
        codes = cat.codes
        numbered = {cat.categories.get_loc(code): rows for code, rows in series.items()}
        ours = convert(amounts, cat, days, to="USD", data=table).value
        assert np.allclose(ours, bare_numpy(amounts, codes, days, numbered), rtol=1e-12)
        number, repeat = (20, 5) if n <= 10_000 else (1, 3)
        def ours(a=amounts, c=cat, d=days):
            return convert(a, c, d, to="USD", data=table)

        def floor(a=amounts, c=codes, d=days, s=numbered):
            return bare_numpy(a, c, d, s)

        t_ours, t_floor = best_of(ours, repeat, number), best_of(floor, repeat, number)
        tag = f"categorical_1e{len(str(n)) - 1}"
        results.update({f"{tag}_s": round(t_ours, 5), f"{tag}_floor_s": round(t_floor, 5),
                        f"{tag}_ratio": ratio(t_ours, t_floor)})
    return results


def bench_memory(table, n: int = 10_000_000) -> dict:
    """Traced allocation of one conversion of ``n`` rows, the inputs excluded, per row."""
    amounts, currency, days = synthetic_rows(n)
    convert(amounts[:1000], currency[:1000], days[:1000], data=table)  # first-call caches are not per row
    tracemalloc.start()
    result = convert(amounts, currency, days, to="USD", data=table)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del result
    return {"memory_1e7_peak_mib": round(peak / 2**20, 1), "memory_1e7_bytes_per_row": round(peak / n, 1)}


def bench_bounds(table, n: int = 1_000_000) -> dict:
    """Convert with and without bounds (the aggregation part belongs to aggregate_loans)."""
    amounts, currency, days = synthetic_rows(n)
    plain = best_of(lambda: convert(amounts, currency, days, data=table))
    bounded = best_of(lambda: convert(amounts, currency, days, data=table, bounds=True))
    return {"convert_1e6_s": round(plain, 4), "convert_1e6_bounds_s": round(bounded, 4),
            "bounds_ratio": ratio(bounded, plain)}


def synthetic_loans(n: int) -> pd.DataFrame:
    """A loans table of ``n`` rows in the shape of data/loans.csv."""
    amounts, currency, days = synthetic_rows(n, seed=2)
    rng = np.random.default_rng(3)
    unit = pd.Series(currency).str.replace("_old", "", regex=False).to_numpy(dtype=object)
    old = pd.Series(currency).str.endswith("_old").to_numpy()
    none = pd.array([pd.NA] * n, dtype="Int64")
    return pd.DataFrame({
        "id": [f"L{i:08d}" for i in range(n)], "unit": unit, "vintage": np.where(old, "old", "new"),
        "date": pd.Series(days.astype(str), dtype="string"), "period_start": none, "period_end": none,
        "plan": none, "giver": rng.choice(["China", "USSR", "Poland", "GDR"], n), "receiver": "Albania",
        "event": rng.choice(["granted", "requested", "signed", "promised"], n), "amount": amounts,
        "same_as": pd.array([pd.NA] * n, dtype="string"), "part_of": pd.array([pd.NA] * n, dtype="string"),
    })


def _profile_top(fn, limit: int = 12) -> list[str]:
    profile = cProfile.Profile()
    profile.enable()
    fn()
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats("tottime")
    rows = []
    heaviest = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:limit]
    for (file, line, name), (_, calls, own, cum, _) in heaviest:
        where = f"{Path(file).parent.name}/{Path(file).name}:{line}" if line else file
        rows.append(f"{own:6.3f}s own {cum:6.3f}s cum {calls:>8} calls  {name} ({where})")
    return rows


def bench_aggregation(table, n: int = 1_000_000) -> dict:
    """aggregate_loans against a groupby over the same rows, converted beforehand; with its profile."""
    from aidcalc.evidence.aggregation import aggregate_loans
    from aidcalc.money.dates import parse_dates

    loans = synthetic_loans(n)
    agg = aggregate_loans(loans, to="USD", rates=table)
    assert len(agg.counted) + len(agg.excluded) == n
    # the floor: the same sums from columns prepared outside the timed loop
    currency = np.where(loans["vintage"] == "old", loans["unit"] + "_old", loans["unit"]).astype(object)
    pre = pd.DataFrame({
        "plan": agg.counted["plan_assigned"].reindex(loans.index).to_numpy(),
        "lender": agg.counted["lender"].reindex(loans.index).astype("category"),
        "measure": agg.counted["measure"].reindex(loans.index).astype("category"),
        "value": convert(loans["amount"].to_numpy(), currency, parse_dates(loans["date"]), data=table).value,
    })

    def floor():
        return pre.groupby(["plan", "lender", "measure"], observed=True)["value"].agg(["sum", "count"])

    t_agg = best_of(lambda: aggregate_loans(loans, to="USD", rates=table))
    t_bounds = best_of(lambda: aggregate_loans(loans, to="USD", rates=table, bounds=True))
    t_floor = best_of(floor, repeat=5)
    # every total with its full range: rate intervals, judged readings, valuations of one event
    from aidcalc.evidence.ranges import aggregate_loans_with_range

    t_range = best_of(lambda: aggregate_loans_with_range(loans, to="USD"), repeat=2)
    return {"aggregate_1e6_s": round(t_agg, 3), "aggregate_1e6_bounds_s": round(t_bounds, 3),
            "aggregate_1e6_with_range_s": round(t_range, 3),
            "aggregate_1e6_with_range_over_plain": ratio(t_range, t_agg),
            "aggregate_1e6_floor_s": round(t_floor, 4), "aggregate_1e6_ratio": ratio(t_agg, t_floor),
            "aggregate_1e6_bounds_over_plain": ratio(t_bounds, t_agg),
            "aggregate_1e6_profile": _profile_top(lambda: aggregate_loans(loans, to="USD", rates=table))}


def bench_report() -> dict:
    """``aidcalc report`` end to end, against one trivial papermill run times the runs over the cores."""
    import nbformat
    import papermill

    from aidcalc.report.runner import run_reports

    with tempfile.TemporaryDirectory() as out:  # the checkout's reports/ is left as it is
        start = time.perf_counter()
        timings = run_reports(reports_dir=out, progress=False)
        total = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
        nb.metadata["kernelspec"] = {"name": "aidcalc", "display_name": "Python (aidcalc)",
                                     "language": "python"}
        src, dst = Path(tmp) / "trivial.ipynb", Path(tmp) / "out.ipynb"
        nbformat.write(nb, src)
        trivial = best_of(lambda: papermill.execute_notebook(str(src), str(dst), progress_bar=False,
                                                             log_output=False), repeat=3)
    cores = min(os.cpu_count() or 1, len(timings))
    floor = trivial * len(timings) / cores
    return {"report_wall_s": round(total, 2), "report_runs": len(timings),
            "report_trivial_run_s": round(trivial, 2),
            "report_floor_s": round(floor, 2), "report_ratio": ratio(total, floor),
            **{f"report_{k}_s": round(v, 1) for k, v in sorted(timings.items())}}


DASK_CHILD = """
import resource, sys, time
import numpy as np, pandas as pd, dask, dask.dataframe as dd
sys.path.insert(0, {here!r})
from run_benchmarks import synthetic_rows
from aidcalc.money.distributed import convert_dask
n, parts = {n}, {parts}
size = n // parts
def make(i, size=size):
    amounts, currency, days = synthetic_rows(size, seed=i)
    return pd.DataFrame({{"amount": amounts, "currency": pd.Categorical(currency), "date": days}})
ddf = dd.from_map(make, range(parts), meta=make(0, 10).iloc[:0])  # partitions made when computed
with dask.config.set(scheduler="threads", num_workers={workers}):
    start = time.perf_counter()
    generated = ddf["amount"].sum().compute()  # the floor: making the partitions and summing
    floor = time.perf_counter() - start
    start = time.perf_counter()
    total = convert_dask(ddf, rate_ids=False, bounds=True)[["value", "low", "high"]].sum().compute()
    seconds = time.perf_counter() - start
try:  # this process's own high-water mark: ru_maxrss would keep the parent's across fork and exec
    status = open("/proc/self/status").read().split("VmHWM:")[1]
    peak = int(status.split()[0]) / 1024
except (OSError, IndexError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(floor, seconds, peak, float(total["value"]))
"""


def bench_dask(sizes=(10_000_000, 100_000_000), parts_of=2_000_000, limit_s: float = 180) -> dict:
    """convert_dask over lazily generated partitions, reduced to sums: seconds and peak RSS.

    Partitions are generated when computed and reduced at once, so memory is bounded by the
    partitions in flight (two threads), not by the rows. The floor makes the same partitions
    and sums the amounts.
    """
    results = {}
    for n in sizes:
        code = DASK_CHILD.format(here=str(HERE), n=n, parts=max(1, n // parts_of), workers=os.cpu_count())
        tag = f"dask_1e{len(str(n)) - 1}"
        try:
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                 timeout=limit_s * 2).stdout.split()
        except subprocess.TimeoutExpired:
            results[f"{tag}_s"] = f"over {limit_s * 2:.0f} s"
            break
        floor, seconds, peak = float(out[0]), float(out[1]), float(out[2])
        results.update({f"{tag}_s": round(seconds, 1), f"{tag}_generate_and_sum_s": round(floor, 1),
                        f"{tag}_ratio": ratio(seconds, floor), f"{tag}_peak_rss_mib": round(peak),
                        f"{tag}_rows_per_s": round(n / seconds)})
        if seconds > limit_s:
            break
    return results


SECTIONS = ("first", "scalar", "columns", "categorical", "memory", "bounds", "aggregate")


def main(argv=None) -> dict:
    """Run the benchmarks, print their figures and write them to benchmarks/results/latest.json."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", action="store_true", help="also time `aidcalc report` end to end")
    parser.add_argument("--dask", action="store_true", help="also convert 1e7 and 1e8 rows with Dask")
    parser.add_argument("--only", nargs="*", choices=SECTIONS, help="run only these sections")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the figures (JSON)")
    args = parser.parse_args(argv)
    table = load_rate_table()  # the one-off table load is not what is measured
    chosen = args.only or SECTIONS
    runs = {"first": bench_first_conversion, "scalar": lambda: bench_scalar(table),
            "columns": lambda: bench_columns(table), "categorical": lambda: bench_columns_categorical(table),
            "memory": lambda: bench_memory(table),
            "bounds": lambda: bench_bounds(table), "aggregate": lambda: bench_aggregation(table)}
    results = {"machine": machine(), "targets": TARGETS}
    for name in chosen:
        results.update(runs[name]())
    if args.report:
        results.update(bench_report())
    if args.dask:
        results.update(bench_dask())
    for key, value in results.items():
        if isinstance(value, list):
            print(f"{key}:", *value, sep="\n  ")
        else:
            print(f"{key}: {value}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2, default=str) + "\n")
    tmp.replace(args.out)
    return results


if __name__ == "__main__":
    main()
