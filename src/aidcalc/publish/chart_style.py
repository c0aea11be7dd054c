"""The look of every chart: house style, greyscale fills, labels placed clear of each other, tooltips, saving.

Used by :mod:`aidcalc.publish.charts`; the style is applied inside each plot function
(:func:`styled`), so importing either module changes no matplotlib setting.
"""

from __future__ import annotations

import functools
import html
import re
import textwrap
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

#: Fills and hatches that stay distinct when printed in black and white.
GREYS = ["#1a1a1a", "#8c8c8c", "#ffffff", "#5a5a5a", "#d9d9d9", "#bdbdbd"]
HATCHES = ["", "//", "..", "xx", "\\\\", "oo"]
SOURCE_LINE = "Source: Marku, Sino-Albanian Relations During the Cold War (thesis); aidcalc data/"
DAGGER = "\u2020"
#: The thin line from a label to its point.
LEADER = {"arrowstyle": "-", "linewidth": 0.4, "color": "#666666"}
RANGE_LABEL = "range: rate intervals, judged readings, restatements"
#: The house style, applied inside each plot function.
STYLE = {
    "figure.dpi": 110, "savefig.dpi": 200, "font.size": 10, "axes.titlesize": 12,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "axes.grid.axis": "y", "axes.axisbelow": True, "grid.color": "#e0e0e0", "svg.fonttype": "none",
    "hatch.linewidth": 0.6,
    # text from the data (a lender named "Bank $x$") is drawn as written, never parsed as mathtext
    "text.parse_math": False,
}


def styled(func):
    """Run a plot function inside the house style, leaving the caller's settings as they were."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(STYLE):
            fig = func(*args, **kwargs)
            # a backend chosen on this first figure (a notebook's inline one) turns interactive
            # mode on; restoring the settings must not turn it off, or later charts stay hidden
            interactive = matplotlib.is_interactive()
        matplotlib.interactive(interactive)
        return fig
    return wrapper


def add_source(fig, text: str = SOURCE_LINE) -> None:
    """Write the source line under the chart, at its bottom left, in small grey type.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The chart.
    text : str
        The line, by default :data:`SOURCE_LINE`.

    """
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


def plan_tick(plan) -> str:
    """Return a plan's label on two lines, so that six of them fit side by side.

    Examples
    --------
    >>> plan_tick(3).split()
    ['3rd', 'plan', '1961-65']

    """
    from aidcalc.evidence.plans import plan_label

    return plan_label(plan).replace(" plan ", " plan\n")


def _tooltip(fig, artist, text: str) -> None:
    """Register an SVG tooltip for ``artist`` (written by :func:`save_figure`)."""
    if not isinstance(text, str) or not text:
        return
    tips = fig.__dict__.setdefault("_aidcalc_tooltips", {})
    gid = f"aidcalc-{len(tips) + 1}"
    artist.set_gid(gid)
    tips[gid] = text


def _column(table, name):
    return table[name].to_numpy(dtype=float) if name in table else None


#: One fill and hatch per lender (and per lender's requests), the same in every parameter set.
LENDER_LOOKS = {
    "China": ("#1a1a1a", ""),
    "China (military)": ("#5a5a5a", "xx"),
    "Soviet bloc": ("#bdbdbd", "//"),
    "China: requested": ("#ffffff", ".."),
    "China (military): requested": ("#ffffff", "oo"),
    "Soviet bloc: requested": ("#ffffff", "\\\\"),
}


def _look(k: int) -> tuple[str, str]:
    """Return the fill and hatch of the ``k``-th series: no two of the first 36 alike in greyscale.

    Examples
    --------
    >>> len({_look(k) for k in range(36)})
    36

    """
    return GREYS[k % len(GREYS)], HATCHES[(k + k // len(GREYS)) % len(HATCHES)]


def wrap_tick(text, width: int = 14) -> str:
    r"""Return a category label broken onto lines of about ``width`` characters (plan labels: two lines).

    Examples
    --------
    >>> wrap_tick("3rd plan 1961-65")
    '3rd plan\n1961-65'
    >>> wrap_tick("1961")
    '1961'

    """
    text = str(text)
    if "\n" in text:
        return text
    if re.fullmatch(r"\S+ plan \S+", text):
        return text.replace(" plan ", " plan\n")
    return textwrap.fill(text, width, break_long_words=False, break_on_hyphens=False)


def gather(groups, column: str, name: str) -> dict:
    """Sum a series (and its low and high) per group, and join its evidence and notes, under ``name``."""
    frame = groups.obj
    pieces = {}
    for suffix in ("", "_low", "_high"):
        if f"{column}{suffix}" in frame:
            pieces[f"{name}{suffix}"] = groups[f"{column}{suffix}"].sum(min_count=1)
    for suffix in ("_evidence", "_note"):
        if f"{column}{suffix}" in frame:
            pieces[f"{name}{suffix}"] = groups[f"{column}{suffix}"].agg(
                lambda v: "; ".join(dict.fromkeys(t for t in v if isinstance(t, str) and t)))
    return pieces


def _spread(table: pd.DataFrame, category: str, series: list[str], by: str, labels: dict):
    """One row per ``category``, one column per ``series`` and value of ``by`` (with its ranges)."""
    frame = table.assign(**{by: table[by].astype(str)})
    order = pd.unique(frame[category])
    pieces, names, wide = {}, {}, []
    for col in series:
        for value, rows in frame.groupby(by, sort=True):
            name = value if len(series) == 1 else f"{value}: {labels.get(col, col)}"
            pieces.update(gather(rows.groupby(category, sort=False), col, name))
            names[name] = name
            wide.append(name)
    chart = pd.DataFrame(pieces).reindex(order).rename_axis(category).reset_index()
    return chart, wide, names


def _halo(artists) -> None:
    """Outline lines in white, so that a whisker stays visible over a black bar."""
    from matplotlib import patheffects

    for artist in artists:
        artist.set_path_effects([patheffects.withStroke(linewidth=2.6, foreground="white")])


def _placed(ax, texts=()):
    """Return the renderer to measure ``ax`` with, its limits and ``texts`` placed as a draw places them.

    A box measured before a draw needs two things a draw does: the view limits brought up to
    date (autoscaling waits until they are read) and each annotation put at its offset. Ticks
    place themselves when their labels are asked for, a legend when its box is. Laying out the
    whole figure instead (``draw_without_rendering``) cost ~25 ms a chart, for the same boxes.
    """
    ax.get_ylim()  # reading a limit brings both up to date
    renderer = ax.figure.canvas.get_renderer()
    for text in texts:
        if isinstance(text, matplotlib.text.Annotation):
            text.update_positions(renderer)
    return renderer


def tight_layout(fig, rect=(0, 0, 1, 1)) -> None:
    """``fig.tight_layout(rect=rect)``, with each Axes measured once instead of twice.

    Given a ``rect``, matplotlib measures every Axes (its ticks, labels, title: most of the cost)
    in two passes, and nothing moves between them; the second pass here reads the first's boxes.
    The layout is the one ``fig.tight_layout`` makes (same pixels on every report chart).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The chart.
    rect : tuple of float
        (left, bottom, right, top), in fractions of the figure, that the Axes and their labels fill.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.set_xlabel("year")
    >>> tight_layout(fig, rect=(0, 0.1, 1, 1))
    >>> "get_tightbbox" in vars(ax)  # nothing of the measuring is left on the Axes
    False

    """
    def measured_once(ax):
        measure, boxes = ax.get_tightbbox, {}

        def get_tightbbox(renderer=None, **kwargs):
            key = (id(renderer), tuple(sorted(kwargs.items())))
            if key not in boxes:
                boxes[key] = measure(renderer, **kwargs)
            return boxes[key]
        return get_tightbbox

    for ax in fig.axes:
        ax.get_tightbbox = measured_once(ax)  # an instance attribute, shadowing the method
    try:
        fig.tight_layout(rect=rect)
    finally:
        for ax in fig.axes:
            vars(ax).pop("get_tightbbox", None)


def _declutter_values(ax, texts, bars) -> None:
    """Turn upright any value label that runs into another label or a neighbouring bar."""
    renderer = _placed(ax, texts)
    for text in texts:
        text.set_rotation(0)
    for text in texts:
        box = matplotlib.text.Text.get_window_extent(text, renderer)
        others = [matplotlib.text.Text.get_window_extent(t, renderer) for t in texts if t is not text]
        others += [b.get_window_extent(renderer) for b in bars if b is not text.bar]
        if any(box.overlaps(o) for o in others):
            text.set_rotation(90)
            text.set_ha("center")
            text.set_va("bottom")


def _under_legend(ax, artists) -> bool:
    """Whether anything of ``artists`` is drawn under the legend (or within 6 points of it)."""
    legend = ax.get_legend()
    renderer = _placed(ax, artists)
    box = legend.get_window_extent(renderer).padded(6 * ax.figure.dpi / 72)  # and a little room around it
    for artist in artists:
        if isinstance(artist, matplotlib.collections.LineCollection):  # whiskers: each line on its own
            segments = [ax.transData.transform(seg) for seg in artist.get_segments() if len(seg) > 1]
            hit = any(_crosses(seg[0], seg[-1], box) for seg in segments)
        elif isinstance(artist, matplotlib.text.Text):
            hit = box.overlaps(matplotlib.text.Text.get_window_extent(artist, renderer))
        else:
            hit = box.overlaps(artist.get_window_extent(renderer))
        if hit:
            return True
    return False


def _clear_legend(ax, values, bars) -> None:
    """Keep the legend clear of the bars, whiskers and value labels.

    The top of the value axis is raised until they pass under the legend, else the legend goes
    out to the right. Value labels that run into each other or a neighbouring bar are turned
    upright (:func:`_declutter_values`).
    """
    for _ in range(6):
        _declutter_values(ax, values, bars)
        if not _under_legend(ax, values + bars + list(ax.collections)):
            return
        low, high = ax.get_ylim()
        ax.set_ylim(low, high * 1.15)
    ax.get_legend().set_loc("upper left")
    ax.get_legend().set_bbox_to_anchor((1.01, 1), transform=ax.transAxes)
    tight_layout(ax.figure, rect=(0, ax.figure._aidcalc_bottom, 1, 1))
    _declutter_values(ax, values, bars)


def _untangle_ticks(ax) -> None:
    """Slant the x tick labels if, even on two lines, they run into each other."""
    renderer = _placed(ax)
    boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
    if any(a.overlaps(b) for a, b in zip(boxes, boxes[1:], strict=False)):
        for t in ax.get_xticklabels():
            t.set_rotation(30)
            t.set_ha("right")
            t.set_rotation_mode("anchor")


def _crosses(start, end, box, samples: int = 24) -> bool:
    """Whether the straight line from ``start`` to ``end`` (pixels) passes through ``box``."""
    t = np.linspace(0, 1, samples)[:, None]
    line = np.asarray(start) + t * (np.asarray(end) - np.asarray(start))
    x, y = line[:, 0], line[:, 1]
    return bool(((x > box.x0) & (x < box.x1) & (y > box.y0) & (y < box.y1)).any())


def place_labels(ax, points, texts, fontsize: float = 7, avoid=()) -> list:
    """Annotate points so that no label overlaps another, a point, the legend or a leader line.

    Each label tries offsets farther and farther from its point (a thin leader line joins
    them) and takes the first place inside the axes that is free; with none free it takes the
    place with the fewest conflicts. Call it once the layout is final (after ``tight_layout``).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes holding the points.
    points : list of (x, y)
        The points, in data coordinates.
    texts : list of str
        One label per point.
    fontsize : float
        Font size of the labels, in points.
    avoid : list of matplotlib.transforms.Bbox, optional
        Further areas to keep clear, in display pixels.

    Returns
    -------
    list of matplotlib.text.Annotation

    """
    fig = ax.figure
    renderer = _placed(ax, ax.texts)
    frame = ax.get_window_extent(renderer)
    scale = fig.dpi / 72  # pixels per point
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    marks = ax.transData.transform(xy) if len(xy) else np.empty((0, 2))
    half = 5 * scale
    blocked = [matplotlib.transforms.Bbox([[mx - half, my - half], [mx + half, my + half]])
               for mx, my in marks]
    if ax.get_legend() is not None:
        blocked.append(ax.get_legend().get_window_extent(renderer))
    blocked += list(avoid)
    offsets = [(dx * s, dy) for step in range(1, 9) for s in (1, 2) if s == 1 or step > 2
               for dx, dy in ((6, 6 * step - 2), (6, -10 * step), (-6, 6 * step - 2), (-6, -10 * step),
                              (12 * step, -4), (-12 * step, -4))]
    placed, boxes, leaders = [], [], []
    for (px, py), (mx, my), text in zip(xy, marks, texts, strict=True):
        best = None
        for dx, dy in offsets:
            ann = ax.annotate(text, (px, py), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
                              ha="left" if dx > 0 else "right", va="bottom", arrowprops=LEADER)
            ann.update_positions(renderer)
            box = matplotlib.text.Text.get_window_extent(ann, renderer)  # the text, not its leader
            end = (mx + dx * scale, my + dy * scale)
            conflicts = (sum(box.overlaps(b) for b in boxes + blocked)
                         + sum(_crosses((mx, my), end, b) for b in boxes)
                         + sum(_crosses(s, e, box) for s, e in leaders)
                         + 2 * (not frame.contains(box.x0, box.y0) or not frame.contains(box.x1, box.y1)))
            if best is None or conflicts < best[0]:
                if best is not None:
                    best[1].remove()
                best = (conflicts, ann, box, end)
            else:
                ann.remove()
            if conflicts == 0:
                break
        _, ann, box, end = best
        boxes.append(box)
        leaders.append(((mx, my), end))
        placed.append(ann)
    return placed


def _log_ticks(ax, axis: str = "y") -> None:
    ticks = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16]
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
    target.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(matplotlib.ticker.NullFormatter())


#: zlib level of saved PNGs (0-9): at 1 a chart of flat colours is encoded in about 20 ms, against
#: 33 ms at 6 (the default), for about a sixth more bytes (143 against 124 kB at 200 dpi).
PNG_COMPRESSION = 1


def save_figure(fig, output_dir: str | Path | None, name: str) -> list[Path]:
    """Save ``fig`` as ``name.png`` and ``name.svg`` in ``output_dir``; return the paths.

    The SVG carries a ``<title>`` tooltip on every bar or point that names the evidence rows and
    source lines behind it: the first child of the ``<g id="...">`` of each artist registered in
    ``fig._aidcalc_tooltips`` (gid -> text). A browser shows it on hover when the SVG is opened
    itself or inlined (not through ``<img>``). With no ``output_dir`` (a notebook opened in
    JupyterLab) nothing is written.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The chart.
    output_dir : str or Path, optional
        The folder, created if missing; empty or None: nothing is written.
    name : str
        The file name without suffix.

    Returns
    -------
    list of Path
        ``[name.png, name.svg]``, or ``[]`` without an ``output_dir``.

    Examples
    --------
    >>> import tempfile
    >>> from aidcalc.publish.charts import plot_aid_by_plan
    >>> table = pd.DataFrame({"plan": [3], "lender": ["China"], "committed": [348e6], "requested": [None],
    ...                       "committed_evidence": ["L0021 (line 2727)"]})
    >>> fig = plot_aid_by_plan(table, ylabel="USD")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     svg = save_figure(fig, folder, "aid")[1].read_text()
    >>> "<title>China, 3rd plan 1961-65: 348 m USD; rows: L0021 (line 2727)</title>" in svg
    True

    """
    if not output_dir:
        return []
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / f"{name}.png", out / f"{name}.svg"]
    with matplotlib.rc_context(STYLE):
        # the tight box is measured once. Asked for "tight", savefig would draw the figure without
        # painting before each file, for its layout engine: that engine runs here, once, alone (a
        # chart laid out by tight_layout has none). The box needs no draw: get_tightbbox places
        # ticks, titles and legends itself (same pixels on every report chart, ~30 ms a chart less).
        engine = fig.get_layout_engine()
        if engine is not None:
            engine.execute(fig)
        box = fig.get_tightbbox(fig.canvas.get_renderer()).padded(matplotlib.rcParams["savefig.pad_inches"])
        fig.set_layout_engine(None)  # laid out already: savefig must not lay it out again
        try:
            fig.savefig(paths[0], bbox_inches=box, pil_kwargs={"compress_level": PNG_COMPRESSION})
            fig.savefig(paths[1], bbox_inches=box)
        finally:
            fig.set_layout_engine(engine)
    tips = fig.__dict__.get("_aidcalc_tooltips", {})
    svg = paths[1].read_text(encoding="utf-8")
    for gid, text in tips.items():
        svg = svg.replace(f'<g id="{gid}">', f'<g id="{gid}"><title>{html.escape(text)}</title>', 1)
    title, desc = describe_chart(fig)
    svg = re.sub(r"(<svg\b[^>]*>)", lambda m: f'{m[1]}\n <title id="chart-title">{html.escape(title)}</title>'
                 f'<desc id="chart-desc">{html.escape(desc)}</desc>', svg, count=1)
    paths[1].write_text(svg, encoding="utf-8")
    return paths


def describe_chart(fig) -> tuple[str, str]:
    """Return a chart's title and a description of what it shows, for readers who do not see it.

    The description names the kind of chart, its axes and, one by one, the value of every bar
    or point that carries a tooltip (label, value with unit, range, rows).

    Examples
    --------
    >>> import pandas as pd
    >>> from aidcalc.publish.charts import plot_aid_by_plan
    >>> fig = plot_aid_by_plan(pd.DataFrame({"plan": [3], "lender": ["China"], "committed": [348e6],
    ...                        "requested": [None]}), ylabel="USD")
    >>> describe_chart(fig)[1]
    'Bar chart. Vertical axis: USD. China, 3rd plan 1961-65: 348 m USD.'

    """
    ax = fig.axes[0] if fig.axes else None
    title = (ax.get_title(loc="left") or ax.get_title()) if ax else ""
    kind = "Bar chart" if ax is not None and ax.patches else "Chart"
    if ax is not None and not ax.patches and ax.collections:
        kind = "Scatter chart"
    parts = [kind]
    if ax is not None and ax.get_xlabel():
        parts.append(f"Horizontal axis: {ax.get_xlabel()}")
    if ax is not None and ax.get_ylabel():
        parts.append(f"Vertical axis: {ax.get_ylabel()}")
    tips = list(fig.__dict__.get("_aidcalc_tooltips", {}).values())
    parts.extend(tips)
    return title or "Chart", ". ".join(p.rstrip(".") for p in parts) + "."

