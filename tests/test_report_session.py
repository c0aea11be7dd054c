"""A report notebook shows the chart it just saved as that file, not drawn again; pages reuse their parts."""
import base64

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from aidcalc.publish.appendix import write_appendix
from aidcalc.publish.chart_style import STYLE
from aidcalc.publish.charts import plot_aid_by_plan, save_figure
from aidcalc.report.session import _png_size, _saved_or_drawn


@pytest.fixture
def saved(tmp_path):
    """A chart saved as a report saves it, marked as :func:`aidcalc.report.session.show_saved` marks it."""
    table = pd.DataFrame({"plan": [3], "lender": ["China"], "committed": [348e6], "requested": [None]})
    fig = plot_aid_by_plan(table, ylabel="USD")
    png, _ = save_figure(fig, tmp_path, "aid")
    fig._aidcalc_saved_png, fig._aidcalc_saved_dpi = png, STYLE["savefig.dpi"]
    fig.stale = False
    yield fig, png
    plt.close(fig)


def drawn(fig):
    return "drawn again"


def test_a_saved_chart_is_shown_as_its_file_at_the_size_the_inline_backend_draws(saved):
    fig, png = saved
    data, size = _saved_or_drawn(drawn)(fig)
    assert base64.b64decode(data) == png.read_bytes()
    width, height = _png_size(png.read_bytes())
    # saved at 200 dots per inch, shown at the figure's 110: 110/200 of each side, rounded
    assert size == {"width": round(width * 110 / 200), "height": round(height * 110 / 200)}
    assert fig.dpi == 110 and STYLE["savefig.dpi"] == 200


@pytest.mark.parametrize("change", [
    lambda fig: fig.axes[0].set_title("changed after saving"),  # the file no longer shows the figure
    lambda fig: delattr(fig, "_aidcalc_saved_png"),  # a figure never saved
])
def test_a_chart_changed_after_saving_or_never_saved_is_drawn_as_usual(saved, change):
    fig, _ = saved
    change(fig)
    assert _saved_or_drawn(drawn)(fig) == "drawn again"


def test_the_appendix_is_rendered_once_per_data_link_and_date(tmp_path):
    one, two, three = (tmp_path / n for n in ("one", "two", "three"))
    for folder in (one, two, three):
        folder.mkdir()
    write_appendix(one, generated="2026-01-02 10:00 UTC")
    write_appendix(two, generated="2026-01-02 10:00 UTC")
    write_appendix(three, generated="2026-01-03 10:00 UTC")
    first, second, third = ((f / "evidence.html").read_text() for f in (one, two, three))
    assert first == second
    assert "2026-01-02 10:00 UTC" in first and "2026-01-03 10:00 UTC" in third and first != third
