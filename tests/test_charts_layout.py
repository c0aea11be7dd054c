"""Layout and traceability of the charts: bars per lender, ranges, notes, tooltips, labels that never collide."""

import re
import xml.etree.ElementTree as ET

import matplotlib
import numpy as np
import pandas as pd
import pytest

from aidcalc.publish.charts import (
    DAGGER,
    SOURCE_LINE,
    plot_aid_by_plan,
    plot_grouped_bars,
    plot_implied_rates,
    save_figure,
    wrap_tick,
)

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close each test's figures, so that a long run does not keep them all open."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _bars(fig):
    return [p for p in fig.axes[0].patches if p.get_height() > 0]


def _boxes(fig, texts):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [matplotlib.text.Text.get_window_extent(t, renderer) for t in texts]


def _pairs_overlapping(boxes):
    return [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes)) if boxes[i].overlaps(boxes[j])]


def _plan_table():
    """A plan table as aggregate_loans_with_range gives it: one row per plan and lender."""
    return pd.DataFrame({
        "plan": [1, 2, 2, 3, 3, 4, 4, 5, 6],
        "lender": ["Soviet bloc", "China", "Soviet bloc", "China", "Soviet bloc", "China", "China (military)",
                   "China", "China"],
        "committed": [63.5e6, 20e6, np.nan, 348e6, 75e6, 873e6, 30.7e6, 811e6, 306e6],
        "requested": [np.nan, 12.5e6, 125e6, np.nan, np.nan, 278e6, np.nan, np.nan, np.nan],
        "committed_low": [63.5e6, 20e6, np.nan, 313e6, 75e6, 518e6, 25e6, 537e6, 300e6],
        "committed_high": [63.5e6, 20e6, np.nan, 778e6, 75e6, 873e6, 36e6, 886e6, 312.5e6],
        "committed_evidence": ["L0001 line 310", "L0010 line 1074", "", "L0021 line 2727; L0034 line 3826",
                               "L0025 line 3100", "L0040 line 4041", "A0003 line 4500", "L0054 line 5881",
                               "L0065 line 7316"],
        "committed_note": [""] * 8 + ["1975 ruble rate is an interval 0.72-0.75"],
    })


def _rendered(fig):
    """Every text of the chart that must stand clear: x tick labels and the texts inside the axes."""
    texts = [t for ax in fig.axes for t in ax.get_xticklabels() if t.get_text()]
    return texts + [t for ax in fig.axes for t in ax.texts if t.get_text()]


@pytest.mark.parametrize("width", [None, 6.0])
def test_no_two_labels_overlap_on_a_crowded_plan_chart(width):
    fig = plot_aid_by_plan(_plan_table(), ylabel="USD")
    if width:  # even squeezed into a narrow report column, labels keep clear of each other
        fig.set_size_inches(width, 4.8)
        fig.tight_layout()
    assert _pairs_overlapping(_boxes(fig, _rendered(fig))) == []


def test_a_value_label_never_sits_on_a_neighbouring_bar():
    fig = plot_aid_by_plan(_plan_table(), ylabel="USD")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    bars = [(p, p.get_window_extent(renderer)) for p in _bars(fig)]
    for text in ax.texts:
        box = matplotlib.text.Text.get_window_extent(text, renderer)
        hit = [p.get_label() for p, b in bars if box.overlaps(b) and p is not getattr(text, "bar", None)]
        assert hit == [], text.get_text()


def test_plan_labels_are_written_on_two_lines():
    fig = plot_aid_by_plan(_plan_table(), ylabel="USD")
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks[2] == "3rd plan\n1961-65" and len(ticks) == 6
    assert wrap_tick("3rd plan 1961-65") == "3rd plan\n1961-65"


def test_the_notebook_call_with_one_row_per_plan_and_lender_gives_one_bar_per_lender():
    from aidcalc.evidence.plans import plan_label

    table = _plan_table().assign(committed_per_capita=lambda t: t["committed"] / 1.6e6)
    fig = plot_grouped_bars(table.assign(plan=table["plan"].map(plan_label)), "plan", ["committed_per_capita"],
                            title="Aid committed per inhabitant, by plan", ylabel="USD per person")
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert len(ticks) == len(set(ticks)) == 6  # one label per plan, none repeated
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["China", "China (military)", "Soviet bloc"]
    drawn = sorted(round(p.get_height(), 6) for p in _bars(fig))
    assert drawn == sorted(round(v / 1.6e6, 6) for v in table["committed"].dropna())
    # the 3rd plan's two bars sit on either side of its tick, inside its group
    third = {c.get_label() for c in ax.containers for p in c if abs(p.get_x() + p.get_width() / 2 - 2) < 0.5}
    assert third == {"China", "Soviet bloc"}


def test_per_capita_names_each_lender_with_several_series():
    table = pd.DataFrame({"plan": [3, 3], "lender": ["China", "Soviet bloc"], "a": [1.0, 2.0], "b": [3.0, 4.0]})
    fig = plot_grouped_bars(table, "plan", ["a", "b"], title="t", ylabel="u", by="lender",
                            labels={"a": "committed", "b": "requested"})
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["China: committed", "Soviet bloc: committed", "China: requested", "Soviet bloc: requested"]


def test_every_series_has_its_own_fill_and_hatch():
    table = pd.DataFrame({"plan": ["3rd"], **{c: [float(k + 1)] for k, c in enumerate(
        ("requested", "promised", "agreed", "approved", "granted", "completed", "delivered"))}})
    fig = plot_grouped_bars(table, "plan", [c for c in table if c != "plan"], title="t", ylabel="projects (count)")
    looks = {(matplotlib.colors.to_hex(p.get_facecolor()), p.get_hatch() or "") for p in _bars(fig)}
    assert len(looks) == 7


def test_a_range_without_a_central_value_is_drawn_as_a_whisker_alone():
    table = pd.DataFrame({"plan": [2], "lender": ["Soviet bloc"], "committed": [np.nan], "requested": [np.nan],
                          "committed_low": [40e6], "committed_high": [60e6]})
    fig = plot_aid_by_plan(table, ylabel="USD")
    assert _bars(fig) == []
    segments = [seg for c in fig.axes[0].collections if hasattr(c, "get_segments") for seg in c.get_segments()]
    ends = sorted(y for seg in segments for _, y in seg)
    assert ends[0] == pytest.approx(40e6) and ends[-1] == pytest.approx(60e6)


def test_whiskers_stand_out_over_a_black_bar():
    fig = plot_aid_by_plan(_plan_table(), ylabel="USD")
    lines = [c for c in fig.axes[0].collections if hasattr(c, "get_segments") and c.get_segments()]
    assert lines and all(c.get_path_effects() for c in lines)


def test_a_note_puts_a_dagger_over_its_bar_and_the_note_under_the_chart():
    fig = plot_aid_by_plan(_plan_table(), ylabel="USD")
    assert any(t.get_text().endswith(DAGGER) for t in fig.axes[0].texts)
    footer = [t.get_text() for t in fig.texts]
    assert f"{DAGGER} 1975 ruble rate is an interval 0.72-0.75" in footer
    assert SOURCE_LINE in footer


def test_the_svg_bar_of_plan_3_carries_its_rows_as_a_tooltip(tmp_path):
    fig = plot_aid_by_plan(_plan_table(), ylabel="USD")
    china = fig.axes[0].get_legend_handles_labels()[1].index("China")
    bar = next(p for p in fig.axes[0].containers[china] if abs(p.get_x() + p.get_width() / 2 - 2) < 0.5)
    svg = next(p for p in save_figure(fig, tmp_path, "aid") if p.suffix == ".svg")
    root = ET.parse(svg).getroot()
    ns = {"svg": "http://www.w3.org/2000/svg"}
    group = root.find(f".//svg:g[@id='{bar.get_gid()}']", ns)
    title = group.find("svg:title", ns)
    assert list(group)[0] is title  # the tooltip is the group's first child
    assert "L0021 line 2727" in title.text and "3rd plan 1961-65" in title.text


def test_log_ticks_of_the_implied_rates_are_readable_numbers():
    conversions = pd.DataFrame({
        "id": [f"C{k:03d}" for k in range(6)], "date": ["1956-07", "1962-01", "1962-01", "1970-10", "1970-10",
                                                        "1970-10"],
        "line": [1105, 3821, 3826, 5881, 5881, 5812], "from_currency": [None, "RUB", "RUB", "CNY", "CNY", "CNY"],
        "to_currency": [None, "USD", "USD", "RUB", "USD", "RUB"],
        "implied_over_official": [4.0, 1.0, 1.0, 1.6, 1.5, 1.62]})
    fig = plot_implied_rates(conversions)
    ax = fig.axes[0]
    fig.canvas.draw()
    shown = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert {"0.25", "0.5", "1", "2", "4"} <= set(shown)
    assert all(re.fullmatch(r"[0-9.]+", s) for s in shown)  # no 10^x, no empty major ticks
    labels = [t for t in ax.texts if t.get_text().startswith("line ")]
    # one label per line of the source: the two conversions printed on line 5881 share one
    assert sorted(t.get_text() for t in labels) == ["line 1105", "line 3821", "line 3826", "line 5812",
                                                    "line 5881 (2 conversions)"]
    assert _pairs_overlapping(_boxes(fig, labels + [t for t in ax.get_xticklabels() if t.get_text()])) == []
    legend = ax.get_legend().get_window_extent(fig.canvas.get_renderer())
    assert not any(b.overlaps(legend) for b in _boxes(fig, labels))


def test_the_legend_covers_no_bar_whisker_or_value_label():
    table = _plan_table()
    table.loc[3, "committed_high"] = 960e6  # a whisker that reaches the top, where the legend sits
    fig = plot_aid_by_plan(table, ylabel="USD")
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    assert not any(legend.overlaps(b) for b in _boxes(fig, list(ax.texts)))
    assert not any(legend.overlaps(p.get_window_extent(renderer)) for p in _bars(fig))
    for whiskers in (c for c in ax.collections if hasattr(c, "get_segments")):
        tops = [ax.transData.transform(seg)[:, 1].max() for seg in whiskers.get_segments()]
        xs = [ax.transData.transform(seg)[0, 0] for seg in whiskers.get_segments()]
        assert not any(legend.x0 <= x <= legend.x1 and top >= legend.y0 for x, top in zip(xs, tops, strict=True))


def test_drawing_a_chart_leaves_the_callers_matplotlib_settings_as_they_were():
    before = dict(matplotlib.rcParams)
    plot_aid_by_plan(_plan_table(), ylabel="USD")
    changed = [k for k, v in matplotlib.rcParams.items() if before[k] != v]
    assert changed == []


def test_a_year_without_a_delivery_gets_no_flat_bar():
    from aidcalc.publish.charts import plot_tonnage

    table = pd.DataFrame({"year": [1967, 1968, 1969], "delivered": [np.nan, 99_000.0, 0.0],
                          "delivered_cumulative": [0.0, 99_000.0, 99_000.0]})
    fig = plot_tonnage(table, title="t")
    assert [p.get_height() for p in fig.axes[0].patches] == [99_000.0]


def test_each_point_of_the_implied_rates_has_its_own_tooltip(tmp_path):
    conversions = pd.DataFrame({"id": ["C001", "C002"], "date": ["1962-01", "1970-10"], "line": [3821, 5881],
                                "from_currency": ["RUB", "RUB"], "to_currency": ["USD", "USD"],
                                "implied_over_official": [1.0, 0.9]})
    fig = plot_implied_rates(conversions)
    svg = next(p for p in save_figure(fig, tmp_path, "rates") if p.suffix == ".svg").read_text()
    titles = re.findall(r"<title>([^<]*)</title>", svg)
    assert [t.split(":")[0] for t in titles if t.startswith("C0")] == ["C001 (line 3821)", "C002 (line 5881)"]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "official rate of the date", "rubles (after the 1961 reform) per US dollar"]
