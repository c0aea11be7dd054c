"""Report pages read as articles: title, parameters, narrative and results, nothing internal or remote."""

import base64
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from aidcalc.publish import pages

STAGING = "/work/main/reports/.staging-abc123/01_aid_by_plan/rubles"
# a 1x1 PNG
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc000000301010018dd8db40000000049454e44ae426082")).decode()


def executed_notebook(folder, stem="01_aid_by_plan",
                      files=("aid_by_plan.csv", "aid_by_plan.svg", "aid_by_plan.png", "readings.csv")):
    """An executed report notebook as papermill leaves it, with the files the run saved."""
    folder.mkdir(parents=True, exist_ok=True)
    cells = [
        new_markdown_cell("# Aid to Albania across the five-year plans\n\nWhat China committed, plan by "
                          "plan. Every figure is a row of `data/loans.csv`. A third sentence."),
        new_code_cell('currency = "USD"  # USD, RUB (1961 rubles) or CNY (1955 yuan)\n'
                      'include_military = False  # add the values of arms aid to the totals\n'
                      'output_dir = ""  # where charts and tables are saved',
                      metadata={"tags": ["parameters"]}),
        new_code_cell(f'# Parameters\ncurrency = "RUB"\ninclude_military = True\noutput_dir = "{STAGING}"\n',
                      metadata={"tags": ["injected-parameters"]}),
        new_code_cell("import aidcalc\nreport = aidcalc.start_report(...)\nprint(report.describe())",
                      outputs=[new_output("stream", name="stdout", text=(
                          "Parameters: currency='RUB', include_military=True. Run on 2026-11-25 with data "
                          "4d01abd74b071e58.\n"))]),
        new_markdown_cell("## Requested and committed"),
        new_code_cell("secret_code_line = by_plan.sum()\ndisplay(by_plan)\nreport.save_table(by_plan)",
                      outputs=[
                          new_output("stream", name="stdout", text="Amounts in RUB\n"),
                          new_output("stream", name="stderr", text="FutureWarning: something internal\n"),
                          new_output("display_data", data={"text/html": "<table><tr><td>348.1</td></tr></table>",
                                                           "text/plain": "table"}),
                          new_output("execute_result", data={"text/plain": f"PosixPath('{STAGING}/x.csv')"},
                                     execution_count=3),
                      ]),
        new_code_cell("fig = plot()\nreport.save_figure(fig)", outputs=[
            new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure size 880x506 with 1 Axes>"}),
            new_output("execute_result", data={"text/plain": "[PosixPath('/tmp/x/a.png')]"}, execution_count=4),
            new_output("execute_result", data={"text/plain": "<matplotlib.figure.Figure at 0x7f00deadbeef>"},
                       execution_count=5),
        ]),
    ]
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python (aidcalc)", "language": "python", "name": "aidcalc"},
        "language_info": {"name": "python"},
        "papermill": {"parameters": {"currency": "RUB", "include_military": True, "output_dir": STAGING},
                      "end_time": "2026-11-25T08:15:49.431854+00:00",
                      "input_path": "/work/main/notebooks/01_aid_by_plan.ipynb", "output_path": STAGING}})
    path = folder / f"{stem}.ipynb"
    nbformat.write(nb, path)
    for name in files:
        (folder / name).write_bytes(base64.b64decode(PNG) if name.endswith(".png") else b"x\n")
    return path


@pytest.fixture
def page(tmp_path):
    path = executed_notebook(tmp_path / "01_aid_by_plan" / "rubles")
    return path, pages.render_page(path)


def test_title_and_parameter_set_in_title_and_heading(page):
    _, html = page
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert "Aid to Albania across the five-year plans" in title and "rubles" in title
    assert "Notebook" not in title
    h1 = re.findall(r"<h1>(.*?)</h1>", html, re.S)
    assert len(h1) == 1 and "Aid to Albania" in h1[0] and "rubles" in h1[0]


def test_narrative_and_results_without_code_or_internal_paths(page):
    _, html = page
    assert "What China committed, plan by plan" in html
    assert "Requested and committed" in html and "348.1" in html and "Amounts in RUB" in html
    assert "data:image/png;base64," in html and "No description has been provided" not in html
    for hidden in ("secret_code_line", "report.save_table", "PosixPath(", ".staging", STAGING,
                   "FutureWarning", "<Figure size", "at 0x7f00", "output_dir ="):
        assert hidden not in html, hidden


def test_nothing_is_fetched_from_the_network(page):
    _, html = page
    assert not re.search(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)=["']?(https?:)?//""", html)
    assert "require.js" not in html and "mathjax" not in html.lower()


def test_page_states_the_choices_in_words_and_the_run_in_its_colophon(page):
    _, html = page
    head, colophon = html.split('id="colophon"')
    assert "Currency of the totals: <strong>rubles (after the 1961 reform)</strong>" in head
    assert "Military aid: <strong>included</strong>" in head
    assert "include_military" not in head and "4d01abd74b071e58" not in head  # codes go to the colophon
    assert "2026-11-25" in colophon and "4d01abd74b071e58" in colophon and "make report" in colophon
    assert "(currency = RUB, include_military = true)" in " ".join(colophon.split())
    # explicit arguments win over what the notebook says
    path, _ = page
    html = pages.render_page(path, title="Other", parameter_set="constant_1990_usd", data_digest="feed",
                             run_date="1999-01-01")
    assert "<title>Other — Constant 1990 US dollars · aidcalc</title>" in html
    assert "feed" in html and "1999-01-01" in html


def test_every_page_ends_with_how_to_cite_a_glossary_and_the_sources(page):
    import aidcalc

    _, html = page
    cite = html[html.index('id="cite"'):html.index('id="glossary"')]
    assert f"version {aidcalc.__version__}" in cite and "CC-BY-4.0" in cite and "MIT" in cite
    assert "reports of 2026-11-25" in cite
    assert "<dt>restatement</dt>" in html and "<dt>gold basis</dt>" in html
    # the bibliography is data/sources.csv: the thesis's full citation is in it
    assert "Ylber Marku, Sino-Albanian Relations During the Cold War, 1949-1978" in html


def test_outputs_are_kept_by_kind_not_by_their_text(tmp_path):
    """A table whose data holds '.staging' or 'PosixPath(' stays; a bare repr result goes."""
    path = executed_notebook(tmp_path / "01_aid_by_plan" / "default")
    nb = nbformat.read(path, as_version=4)
    nb.cells[5].outputs[2]["data"]["text/html"] = "<table><tr><td>Bank .staging PosixPath( 7</td></tr></table>"
    nbformat.write(nb, path)
    html = pages.render_page(path)
    assert "Bank .staging PosixPath( 7" in html
    assert STAGING not in html and "[PosixPath('/tmp/x/a.png')]" not in html


def test_every_table_gets_a_caption_and_every_row_id_a_link(tmp_path):
    path = executed_notebook(tmp_path / "01_aid_by_plan" / "default")
    nb = nbformat.read(path, as_version=4)
    nb.cells[5].outputs[2]["data"]["text/html"] = (
        "<table><tr><td>L0032 read part_of=L0034 (-33.3 million)</td></tr></table>")
    nbformat.write(nb, path)
    html = pages.render_page(path)
    assert "<caption>Table 1. Requested and committed</caption>" in html
    # the range note in words, each row id a link to its entry in the evidence appendix
    assert ('<a class="row" href="evidence.html#L0032">L0032</a> read as part of '
            '<a class="row" href="evidence.html#L0034">L0034</a> (−33.3 million)') in html


def test_a_chart_saved_but_not_shown_by_the_kernel_is_placed_all_the_same(tmp_path):
    path = executed_notebook(tmp_path / "01_aid_by_plan" / "default", files=())
    (path.parent / "aid_by_plan.svg").write_text(
        '<svg width="10pt" height="5pt" viewBox="0 0 10 5"><title id="chart-title">Aid by plan</title>'
        '<desc id="chart-desc">Bar chart. China, 3rd plan 1961-65: 348 m USD.</desc></svg>')
    nb = nbformat.read(path, as_version=4)
    nb.cells[6].source = 'fig = plot()\nreport.save_figure(fig, "aid_by_plan")'
    nb.cells[6].outputs = []  # the kernel displayed no figure
    nbformat.write(nb, path)
    html = pages.render_page(path)
    assert '<figure class="chart" tabindex="0"><svg' in html and "Aid by plan" in html


def test_a_saved_chart_is_inlined_as_svg_with_its_description(tmp_path):
    import pandas as pd

    from aidcalc.publish.charts import plot_aid_by_plan, save_figure

    path = executed_notebook(tmp_path / "01_aid_by_plan" / "default", files=())
    fig = plot_aid_by_plan(pd.DataFrame({"plan": [3], "lender": ["China"], "committed": [348e6],
                                         "committed_low": [314.6e6], "committed_high": [778.6e6],
                                         "requested": [None], "committed_evidence": ["L0021 (line 2727)"]}),
                           ylabel="USD")
    save_figure(fig, path.parent, "aid_by_plan")
    nb = nbformat.read(path, as_version=4)
    nb.cells[6].source = 'fig = plot()\nreport.save_figure(fig, "aid_by_plan")'
    nbformat.write(nb, path)
    html = pages.render_page(path)
    assert "data:image/png" not in html  # the SVG replaces the PNG
    assert '<figure class="chart" tabindex="0"><svg' in html and 'role="img"' in html
    # 348e6 with its range 314.6e6 to 778.6e6, in the tooltip of the bar and in the description
    assert "China, 3rd plan 1961-65: 348 m USD (range 315 m to 779 m USD); rows: L0021 (line 2727)" in html
    assert 'aria-labelledby="chart6-aid_by_plan-chart-title chart6-aid_by_plan-chart-desc"' in html


def test_page_links_the_files_of_its_run(page):
    path, html = page
    for name in ("01_aid_by_plan.ipynb", "aid_by_plan.csv", "readings.csv", "aid_by_plan.svg"):
        assert f'href="{name}"' in html
        assert (path.parent / name).exists()
    assert 'href="../../index.html"' in html


def test_write_page_puts_the_html_beside_the_notebook(tmp_path):
    path = executed_notebook(tmp_path / "01_aid_by_plan" / "default")
    out = pages.write_page(path)
    assert out == path.with_suffix(".html") and out.read_text().startswith("<!doctype html>")
    # the appendix its row ids link to is beside it: a run folder holds everything its page links
    assert 'id="L0021"' in (path.parent / "evidence.html").read_text()


def test_strip_remote_keeps_local_scripts():
    body = '<script src="https://cdn/x.js"></script><script src="//cdn/y.js"></script><script>1</script>'
    assert pages.strip_remote(body) == "<script>1</script>"


def test_the_page_exporter_writes_what_nbconvert_writes_but_for_its_closing_soup_pass(tmp_path):
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed_notebook(tmp_path / "run"), as_version=4)
    ours, _ = pages._exporter().from_notebook_node(nb)
    theirs, _ = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                             exclude_output_prompt=True).from_notebook_node(nb)
    # nbconvert's pass writes the page again through BeautifulSoup and gives the image a placeholder
    # alternative text; the rest is the same page
    placeholder = ' alt="No description has been provided for this image"'
    assert placeholder in theirs and "No description" not in ours
    assert str(BeautifulSoup(ours, "html.parser")) == theirs.replace(placeholder, "")


def test_an_image_without_a_chart_file_gets_the_section_as_its_alternative_text():
    body = '<h2 id="a">Tonnage by year<a class="anchor-link" href="#a">¶</a></h2><img src="data:image/png;base64,x">'
    assert pages.captioned(body).endswith('<img alt="Chart of the section Tonnage by year" '
                                          'src="data:image/png;base64,x">')
    kept = '<img alt="A map" src="m.png">'
    assert pages.captioned(kept) == kept
