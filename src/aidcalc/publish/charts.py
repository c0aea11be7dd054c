"""Publication-grade charts: titled, units on the axes, a source line, readable in greyscale.

Every function applies the house style inside itself (``matplotlib.rc_context``), so importing
this module changes nothing in the caller's matplotlib settings. Ranges are drawn as whiskers
with a legend line saying what they span; bars carry, as SVG tooltips, the evidence rows and
source lines behind them (see :func:`save_figure`).
"""

from __future__ import annotations

import re

import matplotlib
import matplotlib.pyplot as plt  # headless runs fall back to the Agg backend by themselves
import numpy as np
import pandas as pd

from aidcalc.publish.chart_style import (  # noqa: F401  (the public names of the charts, kept here for callers)
    DAGGER,
    GREYS,
    HATCHES,
    LEADER,
    LENDER_LOOKS,
    RANGE_LABEL,
    SOURCE_LINE,
    STYLE,
    _clear_legend,
    _column,
    _halo,
    _log_ticks,
    _look,
    _spread,
    _tooltip,
    _untangle_ticks,
    add_source,
    format_amount,
    gather,
    place_labels,
    plan_tick,
    save_figure,
    styled,
    tight_layout,
    wrap_tick,
)
from aidcalc.publish.words import currency_name, in_words


@styled
def plot_grouped_bars(table: pd.DataFrame, category: str, series: list[str], *, title: str,
                      ylabel: str, labels: dict | None = None, source: str = SOURCE_LINE,
                      range_label: str = RANGE_LABEL, tick_labels=None, by: str | None = None,
                      looks: dict | None = None):
    """Draw grouped bars: one group per ``category`` value, one bar per column in ``series``.

    Missing values are left blank, not drawn as zero, and the bars carry their value. For a
    series ``s``, columns ``s_low`` and ``s_high`` are drawn as whiskers (a missing central value
    with a range gets the whisker only), ``s_evidence`` becomes the bar's SVG tooltip, and
    ``s_note`` puts a dagger over the bar and the note under the chart. With ``by`` (or when
    ``category`` repeats and the table has a ``lender`` column), each group has one bar per value
    of ``by`` and series, named in the legend.

    Parameters
    ----------
    table : DataFrame
        One row per category (or per category and ``by``).
    category : str
        The column naming each group (its values label the x axis unless ``tick_labels``;
        long labels are wrapped, plan labels onto two lines).
    series : list of str
        The columns drawn as bars, in the unit ``ylabel`` names.
    title, ylabel, source : str
        Title, value-axis label (with its unit) and source line.
    labels : dict, optional
        Legend names of the series.
    range_label : str
        Legend line for the whiskers.
    tick_labels : list of str, optional
        The x tick labels (default: the category values).
    by : str, optional
        A column whose values become bars of their own within each group, e.g. ``"lender"``.
    looks : dict, optional
        Fill and hatch by series name (e.g. :data:`LENDER_LOOKS`), so that a lender looks the
        same in every chart; other series take the next unused look.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> table = pd.DataFrame({"plan": ["3rd plan 1961-65"] * 2, "lender": ["China", "Soviet bloc"],
    ...                       "v": [70.0, 40.0]})
    >>> fig = plot_grouped_bars(table, "plan", ["v"], title="t", ylabel="USD per person", by="lender")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['China', 'Soviet bloc']

    """
    labels = dict(labels or {})
    if by is None and "lender" in table and table[category].duplicated().any():
        by = "lender"  # one row per category and lender: one bar each, never two under one label
    if by is not None:
        table, series, names = _spread(table, category, series, by, labels)
        labels.update(names)
    n = len(table)
    ticks = [wrap_tick(t) for t in (tick_labels if tick_labels is not None else table[category])]
    fig, ax = plt.subplots(figsize=(min(16, max(8, n * max(1.3, 0.35 * len(series)) + 2)), 4.8))
    x = np.arange(n)
    width = 0.8 / max(len(series), 1)
    notes, whiskers, values, drawn = [], False, [], []
    unit = re.sub(r"\s*\(.*\)\s*$", "", ylabel).strip()
    for k, col in enumerate(series):
        name = labels.get(col, col)
        vals = table[col].to_numpy(dtype=float)
        low, high = _column(table, f"{col}_low"), _column(table, f"{col}_high")
        evidence = table[f"{col}_evidence"].tolist() if f"{col}_evidence" in table else [None] * n
        note = [in_words(t) if isinstance(t, str) else t
                for t in (table[f"{col}_note"].tolist() if f"{col}_note" in table else [""] * n)]
        pos = x + (k - (len(series) - 1) / 2) * width
        known = ~np.isnan(vals)  # a missing value gets no bar, never a zero-height one
        fill, hatch = (looks or {}).get(name) or _look(k)
        bars = ax.bar(pos[known], vals[known], width, label=name, color=fill, hatch=hatch,
                      edgecolor="black", linewidth=0.6)
        drawn += list(bars)
        bar_of = dict(zip(np.flatnonzero(known), bars, strict=True))
        where = [ticks[i].replace("\n", " ") for i in range(n)]
        for i, bar in bar_of.items():
            _tooltip(fig, bar, _tip(f"{name}, {where[i]}", vals[i], unit, low, high, evidence, i))
        top = vals.copy()
        if low is not None and high is not None:
            ranged = ~np.isnan(low) & ~np.isnan(high) & ((low != high) | ~known)
            if ranged.any():
                whiskers = True
                centre = np.where(known, vals, (low + high) / 2)
                drawn_range = ax.errorbar(pos[ranged], centre[ranged],
                                          yerr=[centre[ranged] - low[ranged], high[ranged] - centre[ranged]],
                                          fmt="none", ecolor="black", elinewidth=0.9, capsize=3, zorder=4)
                _halo([*drawn_range.lines[1], *drawn_range.lines[2]])
                top = np.fmax(top, high)
                for i in np.flatnonzero(ranged & ~known):  # a range without a central value: its tooltip
                    tip = _tip(f"{name}, {where[i]}", np.nan, unit, low, high, evidence, i)
                    _tooltip(fig, drawn_range.lines[2][0], tip)
        for i in np.flatnonzero(known | ~np.isnan(top)):
            text = format_amount(vals[i]) if known[i] else f"{format_amount(low[i])}-{format_amount(high[i])}"
            if isinstance(note[i], str) and note[i]:
                notes.append(note[i])
                text = f"{text} {DAGGER * (list(dict.fromkeys(notes)).index(note[i]) + 1)}".strip()
            if not text:
                continue
            label = ax.annotate(text, (pos[i], top[i]), ha="center", va="bottom", fontsize=7, xytext=(0, 2),
                                textcoords="offset points")
            label.bar = bar_of.get(i)
            values.append(label)
    ax.set_xticks(x, ticks)
    ax.set_title(title, loc="left")
    ax.set_ylabel(ylabel)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: format_amount(v)))
    handles, names = ax.get_legend_handles_labels()
    if whiskers:
        handles.append(matplotlib.lines.Line2D([], [], color="black", marker="|", markersize=10,
                                               linestyle="-", linewidth=0.9))
        names.append(range_label)
    ax.set_xlim(-0.7, n - 0.3)
    ax.set_ylim(0, max(np.nanmax([ax.get_ylim()[1], 0]), 1) * 1.12)  # room for the value labels
    ax.legend(handles, names, frameon=False, fontsize=8, loc="upper left")
    unique = list(dict.fromkeys(notes))
    footer = "\n".join(f"{DAGGER * (k + 1)} {t}" for k, t in enumerate(unique))
    bottom = 0.05 + 0.035 * len(unique)
    if footer:
        fig.text(0.01, 0.03, footer, ha="left", va="bottom", fontsize=7.5)
    tight_layout(fig, rect=(0, bottom, 1, 1))
    _untangle_ticks(ax)
    fig._aidcalc_bottom = bottom  # the room kept for footnotes, for a new layout
    _clear_legend(ax, values, drawn)
    add_source(fig, source)
    return fig


def _singular(code: str) -> str:
    """Return one unit of a currency in words ("US dollar", "ruble before the 1961 reform")."""
    return {"USD": "US dollar", "CNY": "yuan", "RUB": "ruble"}.get(code) or \
        currency_name(code).replace("rubles", "ruble", 1)


def _tip(label: str, value: float, unit: str, low, high, evidence, i: int) -> str:
    """Return a bar's tooltip: its label, value with unit, range (when it has one) and the rows behind it.

    Examples
    --------
    >>> _tip("China, 3rd plan", 348e6, "USD", np.array([314e6]), np.array([779e6]), ["L0021 (line 2727)"], 0)
    'China, 3rd plan: 348 m USD (range 314 m to 779 m USD); rows: L0021 (line 2727)'

    """
    text = f"{label}: {format_amount(value)} {unit}".rstrip() if not np.isnan(value) else f"{label}:"
    if low is not None and high is not None and not np.isnan(low[i]) and not np.isnan(high[i]) \
            and (low[i] != high[i] or np.isnan(value)):
        text += f" (range {format_amount(low[i])} to {format_amount(high[i])} {unit})".replace("( ", "(")
    rows = evidence[i] if isinstance(evidence[i], str) and evidence[i] else ""
    return text + (f"; rows: {rows}" if rows else "")


def _by_lender(frame: pd.DataFrame, column: str, suffixes, tail: str = "") -> dict:
    """Spread a plan x lender table into one series per lender (and its low, high, ...) by plan.

    Each series is named by its lender and ``tail`` (``"China: requested"``).
    """
    pieces = {}
    for lender, rows in frame.groupby("lender", sort=True):
        name = f"{lender}{tail}"
        pieces.update({k: v for k, v in gather(rows.groupby("plan"), column, name).items()
                       if k[len(name):] in suffixes})
    return pieces


def plot_aid_by_plan(table: pd.DataFrame, *, ylabel: str,
                     title: str = "Aid committed to Albania by five-year plan", source: str = SOURCE_LINE,
                     range_label: str = RANGE_LABEL):
    """Draw, per plan, the aid each lender committed, with its range, beside what Albania requested.

    Parameters
    ----------
    table : DataFrame
        ``aggregate_loans(...).table`` or ``aggregate_loans_with_range(...).table``: one row per
        plan and lender with ``committed`` and ``requested`` (and, if present, their ``_low``,
        ``_high``, ``_evidence`` and ``_note``) in the unit that ``ylabel`` names.
    ylabel : str
        The unit and basis of the amounts, e.g. ``Aggregation.unit``.
    title, source, range_label : str
        The chart's title, the source line under it, and the legend line for the whiskers.

    Returns
    -------
    matplotlib.figure.Figure

    """
    frame = table.assign(lender=table["lender"].astype(str))
    suffixes = ("", "_low", "_high", "_evidence", "_note")
    pieces = _by_lender(frame, "committed", suffixes)
    if "requested" in frame and frame["requested"].notna().any():  # what Albania asked of each lender
        pieces.update(_by_lender(frame[frame["requested"].notna()], "requested", suffixes, ": requested"))
    chart = pd.DataFrame(pieces).sort_index().rename_axis("plan").reset_index()
    series = [c for c in chart.columns if c != "plan" and not re.search(r"_(low|high|evidence|note)$", c)]
    return plot_grouped_bars(chart, "plan", series, title=title, ylabel=ylabel, source=source,
                             range_label=range_label, tick_labels=[plan_tick(p) for p in chart["plan"]],
                             looks=LENDER_LOOKS)


def plot_per_capita(table: pd.DataFrame, *, ylabel: str, column: str = "committed_per_capita",
                    title: str = "Aid committed per inhabitant, by plan and lender",
                    source: str = SOURCE_LINE):
    """Draw per-head aid: one group per plan, one bar per lender (named in the legend), with ranges.

    Parameters
    ----------
    table : DataFrame
        A plan table with ``plan``, ``lender`` and ``column`` (and ``column_low``/``_high``),
        as :func:`aidcalc.evidence.population.add_per_capita` gives it.
    ylabel : str
        The unit per person, e.g. ``"USD per person"``.
    column, title, source : str
        The column drawn, the title and the source line.

    Returns
    -------
    matplotlib.figure.Figure

    """
    frame = table.assign(lender=table["lender"].astype(str))
    pieces = _by_lender(frame, column, ("", "_low", "_high"))
    chart = pd.DataFrame(pieces).sort_index().rename_axis("plan").reset_index()
    series = [c for c in chart.columns if c != "plan" and not re.search(r"_(low|high)$", c)]
    return plot_grouped_bars(chart, "plan", series, title=title, ylabel=ylabel, source=source,
                             tick_labels=[plan_tick(p) for p in chart["plan"]], looks=LENDER_LOOKS)


@styled
def plot_implied_rates(conversions: pd.DataFrame, *, source: str = SOURCE_LINE,
                       title: str = "Exchange rates implied by the sources' own conversions"):
    """Draw each conversion's implied rate over the official rate of its date (log scale).

    Parameters
    ----------
    conversions : DataFrame
        ``run_audit().conversions``: ``id``, ``date``, ``line``, ``from_currency``,
        ``to_currency`` and ``implied_over_official``; rows without a ratio are left out.
    source, title : str
        The source line under the chart, and its title.

    Returns
    -------
    matplotlib.figure.Figure

    """
    from aidcalc.money.dates import decimal_years, parse_dates

    conv = conversions.dropna(subset=["implied_over_official"])
    year = decimal_years(parse_dates(conv["date"]))
    pair = (conv["from_currency"].map(currency_name, na_action="ignore") + " per "
            + conv["to_currency"].map(_singular, na_action="ignore")).fillna("rate printed in the source")
    fig, ax = plt.subplots(figsize=(10.5, 5))
    ax.axhline(1, color="black", linewidth=1, label="official rate of the date")
    markers = "os^Dv<>p"
    ratio = conv["implied_over_official"].to_numpy(dtype=float)
    for k, label in enumerate(pd.unique(pair)):  # every pair drawn, markers reused past eight
        # one artist, and so one tooltip, per point
        for n, i in enumerate(np.flatnonzero((pair == label).to_numpy())):
            point = ax.scatter(year[i:i + 1], ratio[i:i + 1], marker=markers[k % len(markers)], s=60,
                               facecolors="none", edgecolors="black", label=label if n == 0 else "_nolegend_")
            _tooltip(fig, point, f"{conv['id'].iloc[i]} (line {conv['line'].iloc[i]}): {label}, implied rate "
                                 f"{ratio[i]:.3g} times the official rate of {conv['date'].iloc[i]}")
    ax.set_yscale("log")
    _log_ticks(ax)
    ratios = conv["implied_over_official"].to_numpy(dtype=float)
    ax.set_ylim(min(0.2, ratios.min() / 1.5), max(5, ratios.max() * 1.5))
    ax.set_title(title, loc="left")
    ax.set_xlabel("year of the conversion")
    ax.set_ylabel("implied rate / official rate (log scale)")
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    tight_layout(fig, rect=(0, 0.04, 1, 1))
    # one label per line of the source: conversions printed on one line sit on one spot
    where = pd.DataFrame({"line": conv["line"].to_numpy(), "x": year, "y": np.log(ratios)})
    spots = where.groupby("line", sort=True).agg(x=("x", "mean"), y=("y", "mean"), n=("x", "size"))
    names = [f"line {line}" + (f" ({n} conversions)" if n > 1 else "") for line, n in spots["n"].items()]
    place_labels(ax, list(zip(spots["x"], np.exp(spots["y"]), strict=True)), names)
    add_source(fig, source)
    return fig


@styled
def plot_corroboration(links: pd.DataFrame, *, source: str = "Sources: data/independent.csv and "
                       "data/sources.csv (independent); Marku thesis (aidcalc data/)",
                       title: str = "The thesis against independent sources, in US dollars"):
    """Draw each comparable link: the thesis value against the independent one, log-log, with the diagonal.

    Parameters
    ----------
    links : DataFrame
        ``aidcalc.evidence.corroboration.corroborate()``: ``thesis_usd``, ``independent_usd``,
        ``alternative_ratio``, ``verdict``, ``independent_id``, ``thesis_id``.
    source, title : str
        The source line and the title.

    Returns
    -------
    matplotlib.figure.Figure

    """
    rows = links[(links["verdict"] != "not comparable") & links["thesis_usd"].notna()
                 & links["independent_usd"].notna()]
    fig, ax = plt.subplots(figsize=(8, 6))
    ind = rows["independent_usd"].to_numpy(dtype=float)
    default = rows["thesis_usd"].to_numpy(dtype=float)
    alt = (rows["alternative_ratio"] * rows["independent_usd"]).to_numpy(dtype=float)
    span = np.concatenate([ind, default, alt[~np.isnan(alt)]])
    lo, hi = span.min() / 2, span.max() * 2
    ax.plot([lo, hi], [lo, hi], color="black", linewidth=0.8, label="agreement (thesis = independent)")
    pairs = zip(rows["thesis_id"], rows["independent_id"], rows["thesis_line"], strict=True)
    for n, (a, b, line) in enumerate(pairs):  # one artist, one tooltip, per point
        dot = ax.scatter(ind[n:n + 1], default[n:n + 1], color="black", s=45, zorder=3,
                         label="thesis, default reading" if n == 0 else "_nolegend_")
        other = f"; rejected reading {format_amount(alt[n])} USD" if not np.isnan(alt[n]) else ""
        _tooltip(fig, dot, f"thesis row {a} (line {line}) against {b}: {format_amount(default[n])} USD "
                           f"against {format_amount(ind[n])} USD{other}")
    has_alt = ~np.isnan(alt)
    if has_alt.any():
        ax.scatter(ind[has_alt], alt[has_alt], facecolors="none", edgecolors="black", s=45, zorder=3,
                   label="thesis, rejected reading (scenario)")
        for x, y0, y1 in zip(ind[has_alt], default[has_alt], alt[has_alt], strict=True):
            ax.plot([x, x], [y0, y1], color="#8c8c8c", linewidth=0.6, linestyle=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: format_amount(v)))
    ax.grid(True, which="major", axis="both")
    ax.set_xlabel("independent figure (USD, at the rates of the comparison; log scale)")
    ax.set_ylabel("thesis figure (USD at the row's date; log scale)")
    ax.set_title(title, loc="left")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    tight_layout(fig, rect=(0, 0.04, 1, 1))
    # one label per thesis row: the independent figures held against it sit close together
    where = pd.DataFrame({"thesis": rows["thesis_id"].to_numpy(), "source": rows["independent_id"].to_numpy(),
                          "x": np.log(ind), "y": np.log(default)})
    grouped = where.groupby("thesis", sort=True).agg(x=("x", "mean"), y=("y", "mean"),
                                                     sources=("source", lambda v: ", ".join(sorted(v))))
    place_labels(ax, list(zip(np.exp(grouped["x"]), np.exp(grouped["y"]), strict=True)),
                 [f"{t} vs {s}" for t, s in zip(grouped.index, grouped["sources"], strict=True)])
    add_source(fig, source)
    return fig


@styled
def plot_tonnage(table: pd.DataFrame, *, title: str, source: str = SOURCE_LINE):
    """Draw arms tonnage by year.

    Delivered loads are bars, their running sum a line; requests, promises and the source's
    own cumulative statements are markers; where an ``expected_high`` differs (a load read two
    ways), its whisker shows the other reading.

    Parameters
    ----------
    table : DataFrame
        ``aggregate_tonnage(...).table`` (or ``with_judged_range`` of it): ``year`` and, in
        metric tonnes, any of ``delivered``, ``delivered_cumulative``, ``requested``, ``agreed``,
        ``expected``, ``promised``, ``stated_total`` (with ``_low``/``_high``).
    title, source : str
        The chart's title and the source line under it.

    Returns
    -------
    matplotlib.figure.Figure

    """
    fig, ax = plt.subplots(figsize=(8, 4.6))
    years = table["year"].to_numpy(dtype=int)
    if "delivered" in table:
        loads = table["delivered"].to_numpy(dtype=float)
        some = ~np.isnan(loads) & (loads != 0)  # a year without a load gets no bar, not a flat line
        bars = ax.bar(years[some], loads[some], color=GREYS[1], edgecolor="black",
                      linewidth=0.6, label="delivered in the year (sum of loads)")
        for year, load, bar in zip(years[some], loads[some], bars, strict=True):
            _tooltip(fig, bar, f"delivered in {year}: {load:,.0f} t (sum of the loads the source reports)")
        running = table["delivered_cumulative"].to_numpy(dtype=float)
        ax.plot(years, running, color="black", label="delivered, cumulative sum of loads")
        for year, total in zip(years, running, strict=True):
            if not np.isnan(total):
                dot = ax.scatter([year], [total], color="black", s=25, zorder=4)
                _tooltip(fig, dot, f"delivered by {year}, cumulative: {total:,.0f} t")
    styles = {"requested": ("s", "none", "requested"), "agreed": ("D", GREYS[4], "agreed"),
              "expected": ("^", "none", "expected"), "promised": ("v", GREYS[3], "promised"),
              "stated_total": ("*", "black", "source's own cumulative total")}
    for col, (marker, face, label) in styles.items():
        if col in table and table[col].notna().any():
            values = table[col].to_numpy(dtype=float)
            low = _column(table, f"{col}_low")
            high = _column(table, f"{col}_high")
            why = table[f"{col}_range_by"].tolist() if f"{col}_range_by" in table else [None] * len(years)
            for n in np.flatnonzero(~np.isnan(values)):  # one artist, and so one tooltip, per point
                point = ax.scatter(years[n:n + 1], values[n:n + 1], marker=marker, facecolors=face,
                                   edgecolors="black", s=70 if marker != "*" else 160, zorder=3,
                                   label=label if n == np.flatnonzero(~np.isnan(values))[0] else "_nolegend_")
                tip = f"{label}, {years[n]}: {values[n]:,.6g} t"
                if low is not None and high is not None and (low[n] != values[n] or high[n] != values[n]) \
                        and not np.isnan(low[n]) and not np.isnan(high[n]):
                    tip += f" (range {low[n]:,.6g} to {high[n]:,.6g} t"
                    tip += f": {in_words(why[n])})" if isinstance(why[n], str) and why[n] else ")"
                _tooltip(fig, point, tip)
            if f"{col}_high" in table:
                mid, high = table[col].to_numpy(dtype=float), table[f"{col}_high"].to_numpy(dtype=float)
                low = table[f"{col}_low"].to_numpy(dtype=float)
                moved = ~np.isnan(mid) & ((high != mid) | (low != mid))
                if moved.any():
                    yerr = [mid[moved] - low[moved], high[moved] - mid[moved]]
                    ax.errorbar(years[moved], mid[moved], yerr=yerr, fmt="none", ecolor="black",
                                elinewidth=0.9, capsize=3, label=f"{label}: range of the judged readings")
    ax.set_title(title, loc="left")
    ax.set_xlabel("year")
    ax.set_ylabel("metric tonnes (t)")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: format_amount(v)))
    ax.legend(frameon=False, fontsize=8)
    tight_layout(fig, rect=(0, 0.04, 1, 1))
    add_source(fig, source)
    return fig




#: The events of the projects chart, in the order of their bars within a plan.
PROJECT_EVENTS = ("requested", "promised", "agreed", "approved", "granted", "completed")


@styled
def plot_projects(table: pd.DataFrame, *, source: str = SOURCE_LINE,
                  title: str = "Industrial projects by five-year plan"):
    """Draw projects per plan: a bar per event the source records, centred on its plan's tick.

    The cumulative count of the projects China committed runs as a line through the plan
    ticks, and the source's own cumulative count stands beside it as a star, so that the
    reader sees where the two disagree (57 against 45 by the thesis's rows). Every bar and
    point carries a tooltip.

    Parameters
    ----------
    table : DataFrame
        ``aggregate_projects(...).table``: ``plan`` and any of :data:`PROJECT_EVENTS`,
        ``committed_cumulative`` and ``stated_total`` (counts).
    source, title : str
        The source line under the chart and its title.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> t = pd.DataFrame({"plan": [3, 4], "approved": [29, None], "agreed": [None, 18],
    ...                   "committed_cumulative": [29, 47], "stated_total": [None, 45]})
    >>> fig = plot_projects(t)
    >>> [float(round(b.get_x() + b.get_width() / 2, 6)) for b in fig.axes[0].patches]  # each on its tick
    [0.0, 1.0]

    """
    plans = table["plan"].astype(int).tolist()
    x = np.arange(len(plans))
    events = [e for e in PROJECT_EVENTS if e in table and table[e].notna().any()]
    fig, ax = plt.subplots(figsize=(9, 4.8))
    drawn = {}
    most = max((sum(pd.notna(table[e].iloc[i]) for e in events) for i in range(len(plans))), default=1)
    width = 0.8 / max(most, 1)
    for i, plan in enumerate(plans):
        present = [e for e in events if pd.notna(table[e].iloc[i])]
        for k, event in enumerate(present):  # only the events of this plan, centred on its tick
            value = float(table[event].iloc[i])
            fill, hatch = _look(PROJECT_EVENTS.index(event))
            label = event if event not in drawn else "_nolegend_"
            bar = ax.bar(x[i] + (k - (len(present) - 1) / 2) * width, value, width, color=fill, hatch=hatch,
                         edgecolor="black", linewidth=0.6, label=label)[0]
            drawn[event] = bar
            ax.annotate(f"{value:,.0f}", (bar.get_x() + width / 2, value), ha="center", va="bottom",
                        fontsize=7, xytext=(0, 2), textcoords="offset points")
            _tooltip(fig, bar, f"{event}, {plan_tick(plan).replace(chr(10), ' ')}: {value:,.0f} projects")
    lines = (("committed_cumulative", {"color": "black", "marker": "o"}, "committed by China, cumulative"),
             ("stated_total", {"color": "black", "marker": "*", "markersize": 14, "linestyle": "none"},
              "the source's own cumulative count"))
    for column, style, label in lines:
        if column in table and table[column].notna().any():
            values = table[column].to_numpy(dtype=float)
            ax.plot(x, values, label=label, **style)
            for i in np.flatnonzero(~np.isnan(values)):
                star = column == "stated_total"
                if star or i == np.flatnonzero(~np.isnan(values))[-1]:  # the two counts to set side by side
                    text = f"{values[i]:,.0f}" + (" (the source's count)" if star else "")
                    ax.annotate(text, (x[i], values[i]), xytext=(9, -12 if star else 4),
                                textcoords="offset points", fontsize=8, fontweight="bold")
                dot = ax.scatter(x[i:i + 1], values[i:i + 1], s=1, color="black", alpha=0)
                _tooltip(fig, dot, f"{label}, by the {plan_tick(plans[i]).replace(chr(10), ' ')}: "
                                   f"{values[i]:,.0f} projects")
    ax.set_xticks(x, [plan_tick(p) for p in plans])
    ax.set_xlim(-0.6, len(plans) - 0.4)
    ax.set_ylim(0, max(ax.get_ylim()[1], 1) * 1.15)
    ax.set_title(title, loc="left")
    ax.set_ylabel("projects (count)")
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    tight_layout(fig, rect=(0, 0.04, 1, 1))
    add_source(fig, source)
    return fig


@styled
def plot_china_total(table: pd.DataFrame, *, unit: str = "USD",
                     source: str = ("Sources: Marku thesis (aidcalc data/loans.csv, arms_shipments.csv); "
                                    "China's own totals: data/independent.csv I0021, I0024, I0042-I0045"),
                     title: str = "China's aid to Albania, 1954-78: what the thesis documents and what China "
                                  "said it gave"):
    """Draw each category twice, as the thesis documents it and as China's own account has it, with ranges.

    Parameters
    ----------
    table : DataFrame
        ``aidcalc.reconcile_china_total().table``: ``category``, ``documented``,
        ``documented_low``, ``documented_high``, ``china``, ``china_low``, ``china_high``,
        ``share``, ``share_low``, ``share_high``. Categories without a money value are left out.
    unit : str
        The currency of the table, for the axis label (amounts are drawn in billions).
    source, title : str
        The source line and the title.

    Returns
    -------
    matplotlib.figure.Figure

    """
    rows = table[table["documented"].notna()].iloc[::-1]  # the total at the top
    fig, ax = plt.subplots(figsize=(8, 4.8))
    y = np.arange(len(rows))
    pairs = (("documented", "thesis documents (central; whiskers: low-high)", 0.2, "black"),
             ("china", "China's own account (share of its total; whiskers: its other figure at "
                       "1955-78 rates)", -0.2, GREYS[5]))
    for column, label, shift, colour in pairs:
        mid = rows[column].to_numpy(dtype=float) / 1e9
        err = np.vstack([mid - rows[f"{column}_low"].to_numpy(dtype=float) / 1e9,
                         rows[f"{column}_high"].to_numpy(dtype=float) / 1e9 - mid])
        bars = ax.barh(y + shift, mid, height=0.38, color=colour, label=label)
        low, high = mid - err[0], mid + err[1]
        for bar, category, m, lo, hi in zip(bars, rows["category"], mid, low, high, strict=True):
            if not np.isnan(m):  # each bar's figure and range, in the currency of the chart
                who = "the thesis documents" if column == "documented" else "China's own account"
                _tooltip(fig, bar, f"{category}, {who}: {m:,.2f} billion {unit} "
                                   f"(range {lo:,.2f} to {hi:,.2f} billion {unit})")
        whisker = "#444444" if column == "china" else "#8c8c8c"
        ax.errorbar(mid, y + shift, xerr=err, fmt="none", ecolor=whisker, capsize=3, linewidth=1)
    for i, (_, r) in enumerate(rows.iterrows()):
        ax.text(max(r["documented_high"], r["china_high"]) / 1e9 * 1.02, y[i],
                f"{r['share']:.0f}% ({r['share_low']:.0f}-{r['share_high']:.0f}%) of China's figure",
                va="center", fontsize=8)
    ax.set_yticks(y, rows["category"].tolist())
    ax.set_xlabel(f"billion {unit} (nominal, official rates)")
    widest = float(np.nanmax(rows[["documented_high", "china_high"]].to_numpy(dtype=float))) / 1e9
    ax.set_xlim(0, widest * 1.6)
    ax.set_title(title, loc="left", fontsize=10)
    ax.legend(frameon=False, fontsize=7, loc="upper right")
    tight_layout(fig, rect=(0, 0.05, 1, 1))
    add_source(fig, source)
    return fig
