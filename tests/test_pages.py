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
    assert "data:image/png;base64," in html
    for hidden in ("secret_code_line", "report.save_table", "PosixPath(", ".staging", STAGING,
                   "FutureWarning", "<Figure size", "at 0x7f00", "output_dir ="):
        assert hidden not in html, hidden


def test_nothing_is_fetched_from_the_network(page):
    _, html = page
    assert not re.search(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)=["']?(https?:)?//""", html)
    assert "require.js" not in html and "mathjax" not in html.lower()


def test_page_states_parameters_run_date_and_data_digest(page):
    _, html = page
    assert "2026-11-25" in html and "4d01abd74b071e58" in html
    assert re.search(r"<td>currency</td><td>RUB</td>", html)
    assert re.search(r"<td>include_military</td><td>true</td>", html)
    assert "set by this parameter set" in html
    # explicit arguments win over what the notebook says
    path, _ = page
    html = pages.render_page(path, title="Other", parameter_set="p", data_digest="feed", run_date="1999-01-01")
    assert "<title>Other — p · aidcalc</title>" in html and "feed" in html and "1999-01-01" in html


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


def test_strip_remote_keeps_local_scripts():
    body = '<script src="https://cdn/x.js"></script><script src="//cdn/y.js"></script><script>1</script>'
    assert pages.strip_remote(body) == "<script>1</script>"
