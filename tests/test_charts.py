import matplotlib
import numpy as np
import pandas as pd
import pytest

from aidcalc.evidence.aggregation import aggregate_loans
from aidcalc.evidence.audit import run_audit
from aidcalc.publish.charts import (
    SOURCE_LINE,
    format_amount,
    plot_aid_by_plan,
    plot_grouped_bars,
    plot_implied_rates,
    save_figure,
)
from aidcalc.tables.context import load_table

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    """Close each test's figures, so that a long run does not keep them all open."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize(
    ("value", "text"),
    [(1_560_000_000, "1.56 bn"), (254_000_000, "254 m"), (90_000, "90 k"), (450, "450"), (0.25, "0.25")],
)
def test_amounts_are_written_short_with_their_scale(value, text):
    assert format_amount(value) == text


def _bars(fig):
    return [p for p in fig.axes[0].patches if p.get_height() > 0]


def test_a_missing_value_gets_no_bar_rather_than_a_zero_one():
    table = pd.DataFrame({"plan": ["1st", "2nd"], "committed": [5.0, np.nan], "requested": [3.0, 4.0]})
    fig = plot_grouped_bars(table, "plan", ["committed", "requested"], title="t", ylabel="USD")
    assert sorted(p.get_height() for p in _bars(fig)) == [3.0, 4.0, 5.0]  # three bars, not four


def test_every_chart_carries_its_title_unit_and_source():
    agg = aggregate_loans(load_table("loans"))
    fig = plot_aid_by_plan(agg.table, ylabel=agg.label)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Aid committed to Albania by five-year plan"
    assert ax.get_ylabel() == "USD (official rates via USD, gold basis)"
    assert SOURCE_LINE in [t.get_text() for t in fig.texts]


def test_aid_by_plan_draws_what_each_lender_committed_beside_what_was_asked_of_it():
    agg = aggregate_loans(load_table("loans"))
    fig = plot_aid_by_plan(agg.table, ylabel=agg.label)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["China", "Soviet bloc", "China: requested", "Soviet bloc: requested"]
    heights = {round(p.get_height()) for p in _bars(fig)}
    # the first plan's bloc total: 254 million old rubles at 4.00 per USD = 63.5 million USD
    assert 63_500_000 in heights
    # the second plan's requests, one bar per lender, never added together: 500 million old
    # rubles from the bloc (L0016) / 4.00 = 125 million USD; 50 million from China (L0008) / 4.00 = 12.5
    assert {125_000_000, 12_500_000} <= heights
    assert (500_000_000 + 50_000_000) / 4.00 not in heights


@pytest.mark.parametrize("currency", ["USD", "RUB"])
def test_each_lender_has_one_fill_in_every_parameter_set(currency):
    from aidcalc.publish.chart_style import LENDER_LOOKS

    agg = aggregate_loans(load_table("loans"), to=currency)
    fig = plot_aid_by_plan(agg.table, ylabel=currency)
    ax = fig.axes[0]
    for handle, text in zip(ax.get_legend().legend_handles, ax.get_legend().get_texts(), strict=False):
        if text.get_text() in LENDER_LOOKS:
            fill, hatch = LENDER_LOOKS[text.get_text()]
            assert matplotlib.colors.to_hex(handle.get_facecolor()) == fill
            assert (handle.get_hatch() or "") == hatch


def test_implied_rates_draw_one_point_per_conversion_that_has_a_ratio():
    conversions = run_audit().conversions
    fig = plot_implied_rates(conversions)
    drawn = sum(len(c.get_offsets()) for c in fig.axes[0].collections)
    assert drawn == conversions["implied_over_official"].notna().sum()
    assert fig.axes[0].get_yscale() == "log"


def test_nothing_is_written_without_an_output_folder(tmp_path):
    fig = plot_grouped_bars(pd.DataFrame({"plan": ["1st"], "v": [1.0]}), "plan", ["v"], title="t", ylabel="u")
    assert save_figure(fig, "", "chart") == []
    written = save_figure(fig, tmp_path, "chart")
    assert [p.name for p in written] == ["chart.png", "chart.svg"]
    assert all(p.stat().st_size > 1000 for p in written)


def test_importing_the_charts_changes_no_matplotlib_setting():
    code = ("import matplotlib, json; before = dict(matplotlib.rcParams); import aidcalc.publish.charts; "
            "print(json.dumps(sorted(k for k, v in matplotlib.rcParams.items() if before[k] != v)))")
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _overlaps(fig):
    """Pairs of tick labels or annotations whose drawn boxes intersect."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [t for ax in fig.axes for t in ax.get_xticklabels() if t.get_text()]
    texts += [t for ax in fig.axes for t in ax.texts]
    boxes = [matplotlib.text.Text.get_window_extent(t, renderer) for t in texts]
    return [(texts[i].get_text(), texts[j].get_text()) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
            if boxes[i].overlaps(boxes[j])]


def _chart(name):
    """Draw one chart of the reports on the real tables, as its notebook does."""
    from aidcalc.evidence.aggregation import aggregate_projects, aggregate_tonnage
    from aidcalc.evidence.corroboration import corroborate
    from aidcalc.evidence.plans import plan_label
    from aidcalc.evidence.population import add_per_capita
    from aidcalc.evidence.ranges import aggregate_loans_with_range
    from aidcalc.publish.charts import plot_corroboration, plot_per_capita, plot_tonnage

    if name == "aid by plan, rubles with military":
        rubles = aggregate_loans_with_range(to="RUB", military=load_table("arms_shipments"))
        return plot_aid_by_plan(rubles.table, ylabel=rubles.label)
    usd = aggregate_loans_with_range()
    if name == "aid by plan, USD":
        return plot_aid_by_plan(usd.table, ylabel=usd.label)
    if name == "per head":
        return plot_per_capita(add_per_capita(usd.table, ["committed"]), ylabel="USD per person")
    if name == "per head, the notebook's old call":
        table = add_per_capita(usd.table, ["committed"])
        return plot_grouped_bars(table.assign(plan=table["plan"].map(plan_label)), "plan", ["committed_per_capita"],
                                 title="Aid committed per inhabitant, by plan", ylabel="USD per person")
    if name == "projects":
        table = aggregate_projects(load_table("projects")).table
        series = [c for c in ("requested", "promised", "agreed", "approved", "granted", "completed") if c in table]
        return plot_grouped_bars(table.assign(plan=table["plan"].map(plan_label)), "plan", series,
                                 title="Industrial projects by five-year plan, by event", ylabel="projects (count)")
    if name == "implied rates":
        return plot_implied_rates(run_audit().conversions)
    if name == "corroboration":
        return plot_corroboration(corroborate())
    return plot_tonnage(aggregate_tonnage(load_table("arms_shipments")).table, title="t")


CHARTS = ["aid by plan, rubles with military", "aid by plan, USD", "per head", "per head, the notebook's old call",
          "projects", "implied rates", "corroboration", "tonnage"]


@pytest.mark.parametrize("name", CHARTS)
def test_no_two_labels_of_a_chart_overlap(name):
    assert _overlaps(_chart(name)) == [], name


@pytest.mark.parametrize("name", CHARTS)
def test_every_chart_keeps_a_title_a_unit_and_the_source_line(name):
    fig = _chart(name)
    ax = fig.axes[0]
    assert ax.get_title(loc="left") and ax.get_ylabel()
    assert any(t.get_text().startswith("Source") for t in fig.texts)


def test_the_per_head_chart_draws_one_bar_per_plan_and_lender_and_names_the_lender():
    from aidcalc.publish.charts import plot_per_capita

    table = pd.DataFrame({"plan": [3, 3, 4], "lender": ["China", "Soviet bloc", "China"],
                          "committed_per_capita": [70.0, 40.0, 400.0]})
    fig = plot_per_capita(table, ylabel="USD per person")
    assert sorted(p.get_height() for p in _bars(fig)) == [40.0, 70.0, 400.0]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["China", "Soviet bloc"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["3rd plan\n1961-65", "4th plan\n1966-70"]


def test_whiskers_end_at_the_low_and_high_of_each_total():
    # sixth plan: 225 million rubles / 0.735 (R048), between / 0.75 and / 0.72
    table = pd.DataFrame({"plan": [6], "lender": ["China"], "committed": [225e6 / 0.735], "requested": [np.nan],
                          "committed_low": [225e6 / 0.75], "committed_high": [225e6 / 0.72],
                          "committed_note": ["rests on interval rate rows R048"]})
    fig = plot_aid_by_plan(table, ylabel="USD")
    segments = [seg for c in fig.axes[0].collections if hasattr(c, "get_segments") for seg in c.get_segments()]
    ends = sorted(y for seg in segments for _, y in seg)
    assert ends[0] == pytest.approx(225e6 / 0.75) and ends[-1] == pytest.approx(225e6 / 0.72)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(text.startswith("range:") for text in legend)
    assert any("R048" in t.get_text() for t in fig.texts)  # the dagger's note under the chart


def test_each_bar_of_the_svg_names_the_rows_and_lines_behind_it(tmp_path):
    from aidcalc.evidence.ranges import aggregate_loans_with_range

    fig = plot_aid_by_plan(aggregate_loans_with_range().table, ylabel="USD")
    svg = next(p for p in save_figure(fig, tmp_path, "aid") if p.suffix == ".svg").read_text()
    # 348.1 million USD at official rates; low 314.6 (L0032 read as part of L0034), high 778.6 (L0021 as new rubles)
    assert ("<title>China, 3rd plan 1961-65: 348 m USD (range 315 m to 779 m USD); rows: L0015 (line 1761); "
            "L0021 (line 2727)") in svg
    # the chart's own title and a description naming every bar, for readers who do not see it
    assert '<title id="chart-title">Aid committed to Albania by five-year plan</title>' in svg
    assert "Bar chart. Vertical axis: USD. " in svg


@pytest.mark.parametrize("name", ["Bank $\\foo$", "50$ and 60$", "a_b^c"])
def test_chart_text_from_the_data_is_drawn_as_written_not_as_mathtext(tmp_path, name):
    table = pd.DataFrame({"plan": ["3rd plan 1961-65"] * 2, "lender": [name, "China"], "v": [70.0, 40.0]})
    fig = plot_grouped_bars(table, "plan", ["v"], title=f"Loans of {name}", ylabel="USD", by="lender")
    svg = next(p for p in save_figure(fig, tmp_path, "x") if p.suffix == ".svg").read_text()
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert name in legend
    import html

    assert html.escape(name, quote=False) in svg


@pytest.mark.kernel
def test_every_chart_of_a_notebook_is_shown_not_only_the_first(tmp_path):
    # the inline backend turns interactive mode on when the first figure is drawn; restoring the
    # house style must not turn it off again, or the second chart of a notebook is never shown
    import nbformat
    import papermill

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import pandas as pd\nfrom aidcalc.publish.charts import plot_grouped_bars\n"
        "table = pd.DataFrame({'plan': ['1st'], 'v': [1.0]})"),
        nbformat.v4.new_code_cell("fig = plot_grouped_bars(table, 'plan', ['v'], title='a', ylabel='u')"),
        nbformat.v4.new_code_cell("fig = plot_grouped_bars(table, 'plan', ['v'], title='b', ylabel='u')")]
    nbformat.write(nb, tmp_path / "in.ipynb")
    papermill.execute_notebook(str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"), kernel_name="python3",
                               progress_bar=False, log_output=False)
    cells = nbformat.read(tmp_path / "out.ipynb", as_version=4).cells
    shown = [any("image/png" in o.get("data", {}) for o in c.outputs) for c in cells[1:]]
    assert shown == [True, True]


def test_the_projects_chart_puts_each_plan_on_its_tick_beside_the_sources_own_count():
    from aidcalc.evidence.aggregation import aggregate_projects
    from aidcalc.publish.charts import plot_projects

    table = aggregate_projects(load_table("projects")).table
    fig = plot_projects(table)
    ax = fig.axes[0]
    ticks = ax.get_xticks()
    for bar in ax.patches:  # every plan's bars centred within half a tick of it, never between two plans
        centre = bar.get_x() + bar.get_width() / 2
        assert min(abs(centre - t) for t in ticks) < 0.4
    texts = [t.get_text() for t in ax.texts]
    # the projects China committed add up to 57 by the 6th plan (29 + 18 + 10); the thesis says 45 by the 4th
    assert "57" in texts and "45 (the source's count)" in texts


def test_each_bar_of_chinas_total_carries_its_figure_and_range(tmp_path):
    import re

    from aidcalc.evidence.reconciliation import reconcile_china_total
    from aidcalc.publish.charts import plot_china_total

    fig = plot_china_total(reconcile_china_total("USD").table)
    svg = next(p for p in save_figure(fig, tmp_path, "ct") if p.suffix == ".svg").read_text()
    tips = re.findall(r"<g id=\"aidcalc-\d+\"><title>([^<]*)</title>", svg)
    # the documented total: 3,080,903,148 USD, 2,260,065,086 to 4,939,086,821 by the readings
    assert "total, the thesis documents: 3.08 billion USD (range 2.26 to 4.94 billion USD)" in tips
    assert len(tips) == len([b for b in fig.axes[0].patches if b.get_width() > 0])


def _constrained_figure():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, layout="constrained", figsize=(6, 3))
    for ax in axes:
        ax.bar(["a long category", "another"], [1, 2], label="bars")
        ax.set_title("A title over the axes")
    fig.suptitle("A figure laid out by its constrained engine")
    return fig


def _best_legend_figure():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot([1, 2, 3], [3, 1, 2], label="line")
    ax.legend(loc="best")
    ax.set_xlabel("year")
    return fig


def _grouped_bars_figure():
    return plot_grouped_bars(pd.DataFrame({"plan": ["1st", "2nd"], "a": [1.0, 3.0], "b": [2.0, None]}),
                             "plan", ["a", "b"], title="Two measures", ylabel="million US dollars")


@pytest.mark.parametrize("make", [_constrained_figure, _best_legend_figure, _grouped_bars_figure])
def test_a_chart_saved_without_drawing_it_first_has_the_pixels_of_one_drawn_first(make, tmp_path):
    from PIL import Image

    ours = save_figure(make(), tmp_path / "saved", "chart")[0]
    drawn = make()
    drawn.draw_without_rendering()  # what savefig does first when asked for a tight box
    reference = save_figure(drawn, tmp_path / "drawn", "chart")[0]
    assert Image.open(ours).size == Image.open(reference).size
    assert (np.asarray(Image.open(ours)) == np.asarray(Image.open(reference))).all()
