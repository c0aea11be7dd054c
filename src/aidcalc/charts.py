"""Publication-grade charts: titled, units on the axes, a source line, readable in greyscale."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt  # headless runs fall back to the Agg backend by themselves
import numpy as np
import pandas as pd

#: Fills and hatches that stay distinct when printed in black and white.
GREYS = ["#1a1a1a", "#8c8c8c", "#d9d9d9", "#5a5a5a", "#bdbdbd"]
HATCHES = ["", "//", "..", "xx", "\\\\"]
SOURCE_LINE = "Source: Marku, Sino-Albanian Relations During the Cold War (thesis); aidcalc data/"

plt.rcParams.update({
    "figure.dpi": 110, "savefig.dpi": 200, "font.size": 10, "axes.titlesize": 12,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "axes.grid.axis": "y", "axes.axisbelow": True, "grid.color": "#e0e0e0", "svg.fonttype": "none",
})


def add_source(fig, text: str = SOURCE_LINE) -> None:
    """Write the source line under the chart."""
    fig.text(0.01, 0.005, text, ha="left", va="bottom", fontsize=7.5, color="#444444")


def format_amount(value: float) -> str:
    """Short human form of a large amount: ``1.6 bn``, ``250 m``, ``90 k``.

    Examples
    --------
    >>> format_amount(1_560_000_000), format_amount(250_000_000), format_amount(90_000)
    ('1.56 bn', '250 m', '90 k')

    """
    for scale, suffix in ((1e9, " bn"), (1e6, " m"), (1e3, " k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def plot_grouped_bars(table: pd.DataFrame, category: str, series: list[str], *, title: str,
                      ylabel: str, labels: dict | None = None, source: str = SOURCE_LINE):
    """Draw grouped bars: one group per ``category`` value, one bar per column in ``series``.

    Missing values are left blank, not drawn as zero, and the bars carry their value.
    """
    labels = labels or {}
    fig, ax = plt.subplots(figsize=(8, 4.6))
    x = np.arange(len(table))
    width = 0.8 / max(len(series), 1)
    for k, col in enumerate(series):
        vals = table[col].to_numpy(dtype=float)
        known = ~np.isnan(vals)  # a missing value gets no bar, never a zero-height one
        bars = ax.bar((x + (k - (len(series) - 1) / 2) * width)[known], vals[known],
                      width, label=labels.get(col, col), color=GREYS[k % len(GREYS)],
                      hatch=HATCHES[k % len(HATCHES)], edgecolor="black", linewidth=0.6)
        for bar, v in zip(bars, vals[known], strict=True):
            ax.annotate(format_amount(v), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=7, xytext=(0, 1),
                        textcoords="offset points")
    ax.set_xticks(x, table[category].astype(str), rotation=0)
    ax.set_title(title, loc="left")
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: format_amount(v)))
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    add_source(fig, source)
    return fig


def plot_aid_by_plan(table: pd.DataFrame, *, ylabel: str,
                     title: str = "Aid committed to Albania by five-year plan", source: str = SOURCE_LINE):
    """Draw, per plan, the aid each lender committed beside what Albania requested in all.

    Parameters
    ----------
    table : DataFrame
        ``aggregate_loans(...).table``: one row per plan and lender with ``committed`` and
        ``requested`` in the unit that ``ylabel`` names.
    ylabel : str
        The unit and basis of the amounts, e.g. ``Aggregation.unit``.
    title, source : str
        The chart's title, and the source line under it.

    """
    from aidcalc.plans import plan_label

    committed = table.pivot_table(index="plan", columns="lender", values="committed",
                                  aggfunc=lambda v: v.sum(min_count=1))
    requested = table.groupby("plan")["requested"].sum(min_count=1).rename("requested by Albania")
    chart = committed.join(requested, how="outer").reset_index()
    chart.columns.name = None
    chart["plan"] = chart["plan"].map(plan_label)
    series = [c for c in chart.columns if c != "plan"]
    return plot_grouped_bars(chart, "plan", series, title=title, ylabel=ylabel, source=source)


def plot_implied_rates(conversions: pd.DataFrame, *, source: str = SOURCE_LINE,
                       title: str = "Exchange rates implied by the sources' own conversions"):
    """Draw each conversion's implied rate over the official rate of its date (log scale).

    Parameters
    ----------
    conversions : DataFrame
        ``run_audit().conversions``: ``date``, ``line``, ``from_currency``, ``to_currency`` and
        ``implied_over_official``; rows without a ratio are left out.
    source, title : str
        The source line under the chart, and its title.

    """
    from aidcalc.dates import decimal_years, parse_dates

    conv = conversions.dropna(subset=["implied_over_official"])
    year = decimal_years(parse_dates(conv["date"]))
    pair = (conv["from_currency"] + " per " + conv["to_currency"]).fillna("rate printed in the source")
    fig, ax = plt.subplots(figsize=(8, 4.6))
    ax.axhline(1, color="black", linewidth=1, label="official rate of the date")
    markers = "os^Dv<>p"
    for k, label in enumerate(pd.unique(pair)):  # every pair drawn, markers reused past eight
        sel = (pair == label).to_numpy()
        ax.scatter(year[sel], conv["implied_over_official"][sel], marker=markers[k % len(markers)],
                   facecolors="none", edgecolors="black", s=60, label=label)
    for x, y, line in zip(year, conv["implied_over_official"], conv["line"], strict=True):
        ax.annotate(f"line {line}", (x, y), fontsize=7, xytext=(4, 3), textcoords="offset points")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_title(title, loc="left")
    ax.set_xlabel("year of the conversion")
    ax.set_ylabel("implied rate / official rate (log scale)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    add_source(fig, source)
    return fig


def plot_tonnage(table: pd.DataFrame, *, title: str, source: str = SOURCE_LINE):
    """Draw arms tonnage by year.

    Delivered loads are bars, their running sum a line; requests, promises and the source's
    own cumulative statements are markers.
    """
    fig, ax = plt.subplots(figsize=(8, 4.6))
    years = table["year"].to_numpy(dtype=int)
    if "delivered" in table:
        ax.bar(years, table["delivered"].fillna(0), color=GREYS[1], edgecolor="black",
               linewidth=0.6, label="delivered in the year (sum of loads)")
        ax.plot(years, table["delivered_cumulative"], color="black", marker="o",
                label="delivered, cumulative sum of loads")
    styles = {"requested": ("s", "none", "requested"), "agreed": ("D", GREYS[2], "agreed"),
              "expected": ("^", "none", "expected"), "promised": ("v", GREYS[3], "promised"),
              "stated_total": ("*", "black", "source's own cumulative total")}
    for col, (marker, face, label) in styles.items():
        if col in table and table[col].notna().any():
            ax.scatter(years, table[col], marker=marker, facecolors=face, edgecolors="black",
                       s=70 if marker != "*" else 160, zorder=3, label=label)
    ax.set_title(title, loc="left")
    ax.set_xlabel("year")
    ax.set_ylabel("metric tonnes (t)")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: format_amount(v)))
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    add_source(fig, source)
    return fig


def save_figure(fig, output_dir: str | Path | None, name: str) -> list[Path]:
    """Save ``fig`` as ``name.png`` and ``name.svg`` in ``output_dir``; return the paths.

    With no ``output_dir`` (a notebook opened in JupyterLab) nothing is written.
    """
    if not output_dir:
        return []
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.png", out / f"{name}.svg"]
    for path in paths:
        fig.savefig(path, bbox_inches="tight")
    return paths


def save_table(table: pd.DataFrame, output_dir: str | Path | None, name: str) -> Path | None:
    """Write ``table`` as ``name.csv`` in ``output_dir`` (nothing without an ``output_dir``)."""
    if not output_dir:
        return None
    path = Path(output_dir) / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    return path
