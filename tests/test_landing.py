"""The landing page explains every report with its key figure and links its files."""

import re

import pandas as pd
import pytest
from test_pages import executed_notebook

from aidcalc.publish import landing, pages
from aidcalc.publish.appendix import write_appendix


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


def test_index_leads_with_chinas_total_and_one_finding_per_report(reports):
    index = landing.write_index(reports, generated="2026-11-25 09:00 UTC")
    html = index.read_text()
    assert index == reports / "index.html"
    assert 'href="01_aid_by_plan/default/evidence.html"' in html  # the appendix beside the first page
    findings = html[html.index('class="findings"'):html.index('class="report"')]
    # 20,000,000 + 348,095,835 + 873,460,449 = 1,241,556,284; lows 20 + 314.6 + 520.0, highs 20 + 778.6 + 874.7
    assert "<strong>1,241.6</strong> million US dollars" in findings
    assert "(range 854.6–1,673.4)" in findings
    assert "348.1" in findings and "314.6–778.6" in findings and "3rd plan 1961-65" in findings
    # 2 of the 3 claims hold (C1, C3); C2 is inconsistent
    assert "2 of the 3 derived statements of the sources hold when recomputed (1 inconsistent)" in findings
    assert "rows in" not in html  # no row counts stand in for a finding
    assert "What China committed, plan by plan. Every figure is a row of <code>data/loans.csv</code>." in html
    assert "A third sentence" not in html  # two sentences per report
    assert "4d01abd74b071e58" in html and "2026-11-25" in html
    assert "staging" not in html


def test_a_headline_a_run_saves_leads_the_landing_page(reports):
    (reports / "05_corroboration" / "default" / "headline.json").write_text(
        '{"label": "China\'s total aid", "value": "2,358.7", "low": "1,691.5", "high": "2,871.6", '
        '"unit": "million US dollars", "against": "China\'s own accounts say more than 10 billion yuan."}')
    html = landing.render_index(reports)
    findings = html[html.index('class="findings"'):]
    assert findings.index("China&#39;s total aid: <strong>2,358.7</strong>") < findings.index("Committed over")
    assert "(range 1,691.5–2,871.6)" in findings and "more than 10 billion yuan" in findings


def test_chinas_total_beside_its_own_accounts_leads_once_a_run_saved_it(reports):
    folder = reports / "06_china_total" / "default"
    executed_notebook(folder, stem="06_china_total", files=())
    # key_figure of the reconciliation: 3,080,903,148 USD documented (2,260,065,086-4,939,086,821),
    # 61.6% of the 5,000,000,000 China reported (38.1-121.6%)
    pd.DataFrame({"documented_USD": [3_080_903_148], "documented_low_USD": [2_260_065_086],
                  "documented_high_USD": [4_939_086_821], "china_USD": [5_000_000_000],
                  "share": [61.6181], "share_low": [38.0505], "share_high": [121.5904], "currency": ["USD"],
                  "sentence": ["The thesis documents 3.08 billion USD of China's aid to Albania."]}).to_csv(
        folder / "china_total.csv", index=False)
    html = " ".join(landing.render_index(reports).split())
    findings = html[html.index('class="findings"'):]
    first = findings.index("<strong>3,080.9</strong> million US dollars (range 2,260.1–4,939.1)")
    assert first < findings.index("Committed over plans")
    assert "62% of the 5,000.0 million China itself reported giving (38–122% over both ranges)" in findings
    assert "The thesis documents 3.08 billion USD of China&#39;s aid to Albania." in findings


def test_index_links_resolve_and_show_thumbnails(reports):
    html = landing.write_index(reports).read_text()
    hrefs = re.findall(r'(?:href|src)="([^"#]+)"', html)
    assert hrefs
    for href in hrefs:
        assert (reports / href).exists(), href
    assert 'src="01_aid_by_plan/default/aid_by_plan.png"' in html
    for kind in ("01_aid_by_plan.html", "01_aid_by_plan.ipynb", "readings.csv", "aid_by_plan.svg"):
        assert f'href="01_aid_by_plan/rubles/{kind}"' in html
    assert "currency of the totals: rubles (after the 1961 reform)" in html  # what the set changes
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_index_takes_the_manifest_over_the_notebooks(reports):
    html = landing.render_index(reports, {"01_aid_by_plan/default": {"data_digest": "cafe0001"}})
    assert "cafe0001" in html


def test_index_of_an_empty_folder_says_how_to_make_reports(tmp_path):
    assert "make report" in landing.render_index(tmp_path)


def test_the_evidence_appendix_cites_each_row_by_chapter_footnote_and_archive(tmp_path):
    from aidcalc import paths

    html = write_appendix(tmp_path, generated="2026-11-25 09:00 UTC").read_text()
    entry = html[html.index('<article id="L0021"'):]
    entry = " ".join(entry[:entry.index("</article>")].split())
    # loans.csv L0021: line 2727, footnote 96, archive AQSH, F.14, AP-MPKK, V. 1961, D1; chapter two starts at 1952
    seeds = (paths.SEEDS_DIR / "003_d1637f23de3fa7fb.txt").exists()
    chapter = "ch. 2, " if seeds else ""
    assert (f"Marku, Sino-Albanian Relations During the Cold War (PhD thesis), {chapter}n. 96, "
            "citing AQSH, F.14, AP-MPKK, V. 1961, D1; line 2727") in entry
    assert "“500 million rubles”" in entry
    assert "500,000,000 rubles before the 1961 reform" in entry
    assert "L0021 read as rubles after the 1961 reform" in entry  # its alternative, in words
    if seeds:  # the source lines around the figure, the figure's own line marked
        assert '<span class="at"> 2727 China provided a loan of 500 million rubles' in entry
    assert "the tables of arms shipments, claims, independent, loans, other figures" in " ".join(html.split())
    assert 'id="A0017"' in html and 'id="C001"' in html and 'id="I0001"' in html


def test_the_runs_table_names_each_sets_choices_in_words_not_as_code(reports):
    html = landing.render_index(reports)
    # the tables of runs: each set's title over what it chooses, in small type
    runs = "".join(t for t in re.findall(r"<tbody>.*?</tbody>", html, re.S) if "<small>" in t)
    assert " = " not in runs  # no 'currency = RUB' of the notebook's parameters
    assert "<small>currency of the totals: rubles (after the 1961 reform)" in runs
