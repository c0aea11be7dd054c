"""The landing page explains every report with its key figure and links its files."""

import re

import pandas as pd
import pytest
from test_pages import executed_notebook

from aidcalc.publish import landing, pages


@pytest.fixture
def reports(tmp_path):
    root = tmp_path / "reports"
    for set_name in ("default", "rubles"):
        path = executed_notebook(root / "01_aid_by_plan" / set_name)
        pages.write_page(path)
    pd.DataFrame({
        "plan": [2, 3, 4], "lender": ["China"] * 3,
        "committed_USD": [20_000_000, 348_095_835, 873_460_449],
        "committed_low_USD": [20_000_000, 314_586_501, 520_033_333],
        "committed_high_USD": [20_000_000, 778_638_889, 874_731_560],
    }).to_csv(root / "01_aid_by_plan" / "default" / "aid_by_plan.csv", index=False)
    audit = executed_notebook(root / "04_source_audit" / "default", stem="04_source_audit",
                              files=("implied_vs_official.png",))
    pd.DataFrame({"id": ["C1", "C2", "C3"], "verdict": ["consistent", "inconsistent", "consistent"]}).to_csv(
        audit.parent / "claims_verdicts.csv", index=False)
    other = executed_notebook(root / "05_corroboration" / "default", stem="05_corroboration", files=())
    pd.DataFrame({"a": range(7)}).to_csv(other.parent / "matches.csv", index=False)
    (root / ".staging-old").mkdir()
    return root


def test_index_explains_each_report_with_its_key_figure(reports):
    index = landing.write_index(reports, generated="2026-11-25 09:00 UTC")
    html = index.read_text()
    assert index == reports / "index.html"
    assert "What China committed, plan by plan. Every figure is a row of <code>data/loans.csv</code>." in html
    assert "A third sentence" not in html  # two sentences per report
    assert "China's committed aid per plan" in html and "million USD" in html
    assert "348.1" in html and "314.6–778.6" in html and "3rd plan 1961-65" in html
    assert "3 derived statements" in html and "2 consistent" in html
    assert "7 rows in matches" in html  # a report the page knows nothing about still gets a count
    assert "4d01abd74b071e58" in html and "2026-11-25" in html
    assert "staging" not in html


def test_index_links_resolve_and_show_thumbnails(reports):
    html = landing.write_index(reports).read_text()
    hrefs = re.findall(r'(?:href|src)="([^"#]+)"', html)
    assert hrefs
    for href in hrefs:
        assert (reports / href).exists(), href
    assert 'src="01_aid_by_plan/default/aid_by_plan.png"' in html
    for kind in ("01_aid_by_plan.html", "01_aid_by_plan.ipynb", "readings.csv", "aid_by_plan.svg"):
        assert f'href="01_aid_by_plan/rubles/{kind}"' in html
    assert "currency = RUB" in html  # what the set changes
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_index_takes_the_manifest_over_the_notebooks(reports):
    html = landing.render_index(reports, {"01_aid_by_plan/default": {"data_digest": "cafe0001"}})
    assert "cafe0001" in html


def test_index_of_an_empty_folder_says_how_to_make_reports(tmp_path):
    assert "make report" in landing.render_index(tmp_path)
