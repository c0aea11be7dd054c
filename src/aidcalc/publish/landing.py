"""The landing page of the reports: the findings first, then what each report answers and its files.

Someone who never ran the project reads the findings here (``reports/index.html``), on its first
screen: China's committed aid in all with its range, plan by plan, and one sentence per report
with its key figure (tonnes delivered against the source's statement, projects against the
source's count, claims that hold, independent figures that agree). Every report's page is written
by :mod:`aidcalc.publish.pages`, with the evidence appendix every row id links to beside it
(``<notebook>/<set>/evidence.html``, written by :func:`aidcalc.publish.appendix.write_appendix`).

The page leads with China's total beside China's own accounts once a run has saved it
(``china_total.csv``, the one-row table of
:func:`aidcalc.evidence.reconciliation.key_figure`); meanwhile it leads with the per-plan total.
Any run may also save a headline of its own as ``headline.json``: ``label`` (what the figure
is), ``value``, ``low``, ``high`` (in ``unit``), ``unit`` and, optionally, ``against`` (a
sentence comparing it with another account).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from aidcalc.publish.pages import (
    _file_links,
    _read_or_none,
    data_digest_of,
    first_sentences,
    parameters,
    run_date_of,
    title_and_summary,
)
from aidcalc.publish.words import choices_in_words, currency_name, set_title

#: The file a run may save to lead the landing page (see the module's docstring).
HEADLINE = "headline.json"


#: Words after a column's base name that make it another column (``committed_low``), not a unit.
QUALIFIERS = ("low", "high", "per", "rows", "cumulative", "evidence", "note", "by")


def _col(frame, base: str):
    """Find the column ``base``, or ``base_<UNIT>`` as :func:`aidcalc.publish.export.to_csv` names it."""
    if base in frame:
        return base, ""
    for name in frame.columns:
        rest = str(name)[len(base) + 1:]
        qualified = rest.split("_")[0] in QUALIFIERS
        if str(name).startswith(base + "_") and rest and not qualified:
            return name, rest
    raise KeyError(base)


def millions(value) -> str:
    """Write an amount in millions with one decimal, never ``-0.0``.

    Examples
    --------
    >>> millions(348_095_835), millions(-20_000), millions(float("nan"))
    ('348.1', '0.0', '–')

    """
    if value is None or pd.isna(value):
        return "–"
    text = f"{value / 1e6:,.1f}"
    return "0.0" if text == "-0.0" else text.replace("-", "\u2212")


def whole(value) -> str:
    """Write a count or tonnage as a whole number with separators ('–' when missing)."""
    return "–" if value is None or pd.isna(value) else f"{round(float(value)):,}"


def china_aid(folder: Path, params: dict) -> dict | None:
    """Return China's committed aid per plan and in all, with the ranges, from a run's ``aid_by_plan.csv``.

    The total's low and high are the sums of the plans' lows and highs: each reading moves the
    total of one plan only, so the extremes add up.
    """
    from aidcalc.evidence.plans import plan_label

    t = pd.read_csv(folder / "aid_by_plan.csv")
    name, tag = _col(t, "committed")
    low, _ = _col(t, "committed_low")
    high, _ = _col(t, "committed_high")
    china = t[(t["lender"] == "China") & t[name].notna()].sort_values("plan")
    if china.empty:
        return None
    code = (tag.split("_")[0] if tag else params.get("currency", "USD"))
    unit = currency_name(code)
    if "constant" in tag or params.get("price_basis") == "constant":
        unit = f"constant {params.get('price_year', 1990)} {unit}"
    plans = [{"plan": plan_label(int(r["plan"])), "value": millions(r[name]), "low": millions(r[low]),
              "high": millions(r[high]), "ranged": millions(r[low]) != millions(r[high])}
             for _, r in china.iterrows()]
    first, last = int(china["plan"].min()), int(china["plan"].max())
    return {"total": millions(china[name].sum()), "low": millions(china[low].sum()),
            "high": millions(china[high].sum()), "unit": f"million {unit}", "plans": plans,
            "span": f"plans {first} to {last}"}


def _key_china(folder: Path) -> str:
    return str(pd.read_csv(folder / "china_total.csv")["sentence"].iloc[0])


def _key_arms(folder: Path) -> str:
    t = pd.read_csv(folder / "tonnage_by_year.csv")
    delivered, _ = _col(t, "delivered_cumulative")
    requested, _ = _col(t, "requested_cumulative")
    stated, _ = _col(t, "stated_total")
    when = t.loc[t[stated].notna(), "year"]
    return (f"The loads of Chinese arms the source reports delivered sum to {whole(t[delivered].max())} t, "
            f"against its own cumulative statement of {whole(t[stated].max())} t"
            f"{f' ({int(when.iloc[-1])})' if len(when) else ''}; {whole(t[requested].max())} t were "
            "requested in all.")


def _key_projects(folder: Path) -> str:
    from aidcalc.evidence.plans import plan_label

    t = pd.read_csv(folder / "projects_by_plan.csv")
    last = t.dropna(subset=["committed_cumulative"]).iloc[-1]
    text = (f"China committed {whole(last['committed_cumulative'])} industrial projects up to the "
            f"{plan_label(int(last['plan']))}")
    if "stated_total" in t and t["stated_total"].notna().any():
        s = t.dropna(subset=["stated_total"]).iloc[-1]
        text += (f"; the source's own count is {whole(s['stated_total'])} by the "
                 f"{plan_label(int(s['plan']))}, so its parts and its total disagree")
    return text + "."


def _key_audit(folder: Path) -> str:
    t = pd.read_csv(folder / "claims_verdicts.csv")
    counts = t["verdict"].value_counts()
    rest = ", ".join(f"{n} {v}" for v, n in counts.items() if v != "consistent")
    return (f"{counts.get('consistent', 0)} of the {len(t)} derived statements of the sources hold when "
            f"recomputed{f' ({rest})' if rest else ''}.")


def _key_corroboration(folder: Path) -> str:
    t = pd.read_csv(folder / "corroboration.csv")
    counts = t["verdict"].value_counts()
    comparable = len(t) - counts.get("not comparable", 0)
    rest = ", ".join(f"{n} {v}" for v, n in counts.items() if v not in ("agrees", "not comparable"))
    return (f"{counts.get('agrees', 0)} of {comparable} comparable figures of independent sources agree "
            f"with the thesis{f' ({rest})' if rest else ''}; {counts.get('not comparable', 0)} more "
            "are context only.")


#: Key sentences, by the CSV table they need.
KEY_FIGURES = {"china_total.csv": _key_china, "tonnage_by_year.csv": _key_arms,
               "projects_by_plan.csv": _key_projects,
               "claims_verdicts.csv": _key_audit, "corroboration.csv": _key_corroboration}
#: The main chart of a report, by the CSV table beside it (else the first chart saved).
MAIN_CHART = {"aid_by_plan.csv": "aid_by_plan", "tonnage_by_year.csv": "tonnage_by_year",
              "projects_by_plan.csv": "projects_by_plan", "claims_verdicts.csv": "implied_vs_official",
              "corroboration.csv": "corroboration", "china_total.csv": "china_total"}


def key_sentence(folder: Path, params: dict | None = None) -> str:
    """Return one run's finding as a sentence, read from its CSV tables ('' when none is known)."""
    folder = Path(folder)
    if (folder / "aid_by_plan.csv").exists():
        try:
            aid = china_aid(folder, params or {})
        except (KeyError, ValueError):
            aid = None
        if aid:
            return (f"China committed {aid['total']} {aid['unit']} over {aid['span']} "
                    f"(range {aid['low']}–{aid['high']}).")
    for csv, reader in KEY_FIGURES.items():
        if (folder / csv).exists():
            try:
                return reader(folder)
            except (KeyError, ValueError, IndexError):
                continue
    return ""


def china_total(folder: Path) -> dict | None:
    """Return China's total documented by the thesis beside China's own, from a run's ``china_total.csv``.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = pd.DataFrame({"documented_USD": [3080903148], "documented_low_USD": [2260065086],
    ...         "documented_high_USD": [4939086821], "china_USD": [5e9], "share": [61.6181],
    ...         "share_low": [38.0505], "share_high": [121.5904]}).to_csv(f"{d}/china_total.csv", index=False)
    ...     found = china_total(Path(d))
    >>> found["value"], found["low"], found["high"], found["unit"]
    ('3,080.9', '2,260.1', '4,939.1', 'million US dollars')
    >>> found["against"]
    '62% of the 5,000.0 million China itself reported giving (38–122% over both ranges).'

    """
    path = Path(folder) / "china_total.csv"
    if not path.exists():
        return None
    t = pd.read_csv(path)
    name, tag = _col(t, "documented")
    row = t.iloc[0]
    low, high, china = (row[_col(t, c)[0]] for c in ("documented_low", "documented_high", "china"))
    share = (f"{row['share']:.0f}% of the {millions(china)} million China itself reported giving "
             f"({row['share_low']:.0f}–{row['share_high']:.0f}% over both ranges).")
    return {"label": "China's aid to Albania, 1954-78, as the thesis documents it",
            "value": millions(row[name]),
            "low": millions(low), "high": millions(high), "unit": f"million {currency_name(tag or 'USD')}",
            "against": share}


def headline(runs: dict[str, list[Path]]) -> dict | None:
    """Return what leads the page: China's total against its own accounts, or a run's ``headline.json``."""
    for folders in runs.values():
        for folder in folders:
            try:
                found = china_total(folder)
            except (KeyError, ValueError, IndexError):
                found = None
            if found:
                return found
    for folders in runs.values():
        for folder in folders:
            path = folder / HEADLINE
            if path.exists():
                try:
                    found = json.loads(path.read_text(encoding="utf-8"))
                except ValueError:
                    continue
                if {"label", "value"} <= set(found):
                    return found
    return None


def main_chart(folder: Path) -> Path | None:
    """Return the run's main chart (SVG): the known one for its table, else the first saved."""
    folder = Path(folder)
    for csv, name in MAIN_CHART.items():
        if (folder / csv).exists() and (folder / f"{name}.svg").exists():
            return folder / f"{name}.svg"
    svgs = sorted(folder.glob("*.svg"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    return svgs[0] if svgs else None


def _chart_text(svg: Path) -> tuple[str, str]:
    """Return the title and description a saved chart carries (see ``chart_style.describe_chart``)."""
    import html

    text = svg.read_text(encoding="utf-8")
    title = re.search(r'<title id="chart-title">(.*?)</title>', text, re.S)
    desc = re.search(r'<desc id="chart-desc">(.*?)</desc>', text, re.S)
    return (html.unescape(title[1]) if title else svg.stem.replace("_", " "),
            html.unescape(desc[1]) if desc else f"Chart: {svg.stem.replace('_', ' ')}")


# --------------------------------------------------------------------------------------------
# the landing page


def _inline_markdown(text: str) -> str:
    """Render one paragraph of markdown (code, bold, italics, links) without a wrapping ``<p>``."""
    import mistune

    rendered = mistune.html(text).strip()
    return re.sub(r"^<p>(.*)</p>$", r"\1", rendered, flags=re.S)


def _grouped_links(folder: Path, base: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Links to a run's files, grouped: page, notebook, tables (CSV), charts (SVG)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for kind, name, href in _file_links(folder, set(), base):
        if name.endswith(".png") or name == HEADLINE:
            continue
        label = {"page": "page", "notebook": "notebook"}.get(kind, Path(name).stem.replace("_", " "))
        plural = {"table (CSV)": "tables (CSV)", "chart (SVG)": "charts (SVG)"}.get(kind, "")
        groups.setdefault(plural, []).append((label, href))
    return list(groups.items())


def _runs(reports_dir: Path) -> dict[str, list[Path]]:
    runs: dict[str, list[Path]] = {}
    for notebook in sorted(p for p in reports_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        sets = [p for p in notebook.iterdir() if p.is_dir() and not p.name.startswith(".")]
        if sets:
            runs[notebook.name] = sorted(sets, key=lambda p: (p.name != "default", p.name))
    return runs


def _report(stem: str, folders: list[Path], manifest: dict, seen: dict) -> dict:
    """Everything the landing page says of one report: title, summary, finding, chart, sets."""
    from markupsafe import Markup

    first = folders[0]
    ipynb = next(iter(sorted(first.glob("*.ipynb"))), None)
    nb = _read_or_none(ipynb) if ipynb else None
    title, summary = (title_and_summary(nb) if nb is not None else ("", ""))
    sets = []
    for folder in folders:
        info = manifest.get(f"{stem}/{folder.name}", {})
        nb_path = next(iter(sorted(folder.glob("*.ipynb"))), None)
        run_nb = _read_or_none(nb_path) if nb_path else None
        rows = parameters(nb_path, run_nb, info.get("parameters")) if run_nb is not None else []
        digest = info.get("data_digest") or (data_digest_of(run_nb) if run_nb else None)
        date = info.get("run_date") or (run_date_of(run_nb) if run_nb else None)
        seen["digests"].update([digest] if digest else [])
        seen["dates"].update([str(date)] if date else [])
        given = {r["name"]: r["value"] for r in rows if r["set"]}
        sets.append({"name": folder.name, "title": set_title(folder.name, given),
                     "given": choices_in_words(given) or "the defaults",
                     "links": _grouped_links(folder, f"{stem}/{folder.name}/")})
    params = {r["name"]: r["value"] for r in parameters(ipynb, nb)} if nb is not None else {}
    page = next(iter(sorted(first.glob("*.html"))), None)
    chart = main_chart(first)
    figure = None
    if chart is not None:
        chart_title, desc = _chart_text(chart)
        png = chart.with_suffix(".png")
        figure = {"src": f"{stem}/{first.name}/{(png if png.exists() else chart).name}",
                  "href": f"{stem}/{first.name}/{(page or chart).name}", "alt": desc, "title": chart_title}
    return {"id": stem, "title": title or stem.replace("_", " "),
            "href": f"{stem}/{first.name}/{page.name}" if page else None,
            "summary": Markup(_inline_markdown(first_sentences(summary))) if summary else "",
            "finding": key_sentence(first, params), "figure": figure, "sets": sets,
            "aid": china_aid(first, params) if (first / "aid_by_plan.csv").exists() else None}


def render_index(reports_dir, manifest: dict | None = None, *, generated: str | None = None) -> str:
    """Return the landing page's HTML for the runs under ``reports_dir`` (see :func:`write_index`)."""
    from aidcalc.publish import site

    reports_dir = Path(reports_dir)
    seen = {"digests": set(), "dates": set()}
    runs = _runs(reports_dir) if reports_dir.exists() else {}
    reports = [_report(stem, folders, manifest or {}, seen) for stem, folders in runs.items()]
    aid = next((r["aid"] for r in reports if r["aid"]), None)
    generated = generated or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    date = max(seen["dates"]) if seen["dates"] else generated[:10]
    appendix = next((f"{stem}/{f.name}/evidence.html" for stem, folders in runs.items() for f in folders
                     if (f / "evidence.html").exists()), None)
    return site.render("index.html.j2", date=date, evidence_href=appendix,
                       page_title=f"aidcalc reports · {site.PROJECT}", reports=reports, aid=aid,
                       headline=headline(runs), made=", ".join(sorted(seen["dates"])) or "unknown",
                       digests=sorted(seen["digests"]), generated=generated)


def write_index(reports_dir, manifest: dict | None = None, *, generated: str | None = None) -> Path:
    """Write ``reports_dir/index.html``: the findings, what each report answers and its files.

    Parameters
    ----------
    reports_dir : path
        The reports folder, ``<notebook>/<parameter-set>/`` under it.
    manifest : dict, optional
        Per run folder (``"01_aid_by_plan/default"``), any of ``parameters`` (the values the
        set gives), ``data_digest`` and ``run_date``; read from each executed notebook when
        left out.
    generated : str, optional
        When the page was written (default: now, UTC).

    Returns
    -------
    Path
        The ``index.html`` written.

    """
    reports_dir = Path(reports_dir)
    index = reports_dir / "index.html"
    index.write_text(render_index(reports_dir, manifest, generated=generated), encoding="utf-8")
    return index
