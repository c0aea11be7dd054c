"""The landing page of the reports: what each report answers, its key figure, main chart and files.

Someone who never ran the project reads the findings here (``reports/index.html``); every
report's page is written by :mod:`aidcalc.publish.pages`.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from aidcalc.publish.pages import (
    PROJECT,
    _file_links,
    _read_or_none,
    _value,
    data_digest_of,
    first_sentences,
    page_head,
    parameters,
    run_date_of,
    title_and_summary,
)


def _col(frame, base: str):
    """Find the column ``base``, or ``base_<UNIT>`` as :func:`aidcalc.publish.export.to_csv` names it."""
    if base in frame:
        return base, ""
    for name in frame.columns:
        rest = str(name)[len(base) + 1:]
        if str(name).startswith(base + "_") and rest[:1].isupper():
            return name, rest
    raise KeyError(base)


def _fmt(value, scale: float = 1.0, decimals: int = 0) -> str:
    return f"{value / scale:,.{decimals}f}"


def _range(low, high) -> str:
    a, b = _fmt(low, 1e6, 1), _fmt(high, 1e6, 1)
    return "no range: one reading" if a == b else f"{a}–{b}"


def _key_aid(folder: Path, params: dict) -> str:

    from aidcalc.evidence.plans import plan_label

    t = pd.read_csv(folder / "aid_by_plan.csv")
    name, tag = _col(t, "committed")
    low, _ = _col(t, "committed_low")
    high, _ = _col(t, "committed_high")
    unit = tag.replace("_", " ") or params.get("currency", "USD")
    if not tag and params.get("price_basis") == "constant":
        unit = f"constant {params.get('price_year', 1990)} {unit}"
    china = t[(t["lender"] == "China") & t[name].notna()]
    rows = "".join(
        f"<tr><td>{html.escape(plan_label(int(r['plan'])))}</td><td class=num>{_fmt(r[name], 1e6, 1)}</td>"
        f"<td class=num>{_range(r[low], r[high])}</td></tr>"
        for _, r in china.iterrows())
    return (f"<p><strong>China's committed aid per plan</strong>, million {html.escape(unit)} "
            "(the range spans the exchange-rate intervals and the judged readings of the source):</p>"
            f"<table><thead><tr><th>plan</th><th class=num>committed</th><th class=num>low–high</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>")


def _key_arms(folder: Path, params: dict) -> str:

    t = pd.read_csv(folder / "tonnage_by_year.csv")
    delivered, _ = _col(t, "delivered_cumulative")
    requested, _ = _col(t, "requested_cumulative")
    stated, _ = _col(t, "stated_total")
    parts = [f"<p><strong>{_fmt(t[requested].max())} t</strong> of arms requested in all; the loads the "
             f"source reports delivered sum to <strong>{_fmt(t[delivered].max())} t</strong>, against its "
             f"own cumulative statement of <strong>{_fmt(t[stated].max())} t</strong> "
             "(it reports only some loads).</p>"]
    items = folder / "items.csv"
    if items.exists():
        i = pd.read_csv(items)
        both = i[i["requested"].notna() & i["promised"].notna()]
        if len(both):
            parts.append("<p>Requested against promised: " + "; ".join(
                f"{html.escape(str(r['item']))} {_fmt(r['requested'])} / {_fmt(r['promised'])}"
                for _, r in both.iterrows()) + ".</p>")
    return "".join(parts)


def _key_projects(folder: Path, params: dict) -> str:

    from aidcalc.evidence.plans import plan_label

    t = pd.read_csv(folder / "projects_by_plan.csv")
    last = t.dropna(subset=["committed_cumulative"]).iloc[-1]
    text = (f"<p><strong>{_fmt(last['committed_cumulative'])} industrial projects</strong> committed by "
            f"China up to the {html.escape(plan_label(int(last['plan'])))}")
    if "stated_total" in t and t["stated_total"].notna().any():
        s = t.dropna(subset=["stated_total"]).iloc[-1]
        text += (f"; the source's own cumulative count is {_fmt(s['stated_total'])} "
                 f"({html.escape(plan_label(int(s['plan'])))})")
    return text + ".</p>"


def _key_audit(folder: Path, params: dict) -> str:

    t = pd.read_csv(folder / "claims_verdicts.csv")
    counts = t["verdict"].value_counts()
    return (f"<p><strong>{len(t)} derived statements</strong> of the sources recomputed: "
            + ", ".join(f"{n} {html.escape(str(v))}" for v, n in counts.items()) + ".</p>")


#: Key figure readers, by the CSV table they need.
KEY_FIGURES = {"aid_by_plan.csv": _key_aid, "tonnage_by_year.csv": _key_arms,
               "projects_by_plan.csv": _key_projects, "claims_verdicts.csv": _key_audit}
#: The main chart of a report, by the CSV table beside it (else the first chart saved).
MAIN_CHART = {"aid_by_plan.csv": "aid_by_plan.png", "tonnage_by_year.csv": "tonnage_by_year.png",
              "projects_by_plan.csv": "projects_by_plan.png",
              "claims_verdicts.csv": "implied_vs_official.png"}


def key_figure(folder: Path, params: dict | None = None) -> str:
    """Return the headline of one run as HTML, read from its CSV tables (a row count at least)."""
    folder = Path(folder)
    for csv, reader in KEY_FIGURES.items():
        if (folder / csv).exists():
            try:
                return reader(folder, params or {})
            except Exception:  # noqa: BLE001 - an unexpected table still gets the plain count
                continue
    counts = []
    for csv in sorted(folder.glob("*.csv"))[:4]:
        try:
            counts.append(f"{len(pd.read_csv(csv)):,} rows in {html.escape(csv.stem.replace('_', ' '))}")
        except Exception:  # noqa: BLE001
            continue
    return f"<p>{'; '.join(counts)}.</p>" if counts else ""


def main_chart(folder: Path) -> Path | None:
    """Return the run's main chart (PNG): the known one for its table, else the first saved."""
    folder = Path(folder)
    for csv, png in MAIN_CHART.items():
        if (folder / csv).exists() and (folder / png).exists():
            return folder / png
    pngs = sorted(folder.glob("*.png"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    return pngs[0] if pngs else None


# --------------------------------------------------------------------------------------------
# the landing page


def _inline_markdown(text: str) -> str:
    """Render one paragraph of markdown (code, bold, italics, links) without a wrapping ``<p>``."""
    import mistune

    rendered = mistune.html(text).strip()
    return re.sub(r"^<p>(.*)</p>$", r"\1", rendered, flags=re.S)


def _grouped_links(folder: Path, base: str) -> str:
    """Links to a run's files, grouped: page, notebook, tables (CSV), charts (SVG)."""
    e = html.escape
    groups: dict[str, list[str]] = {}
    for kind, name, href in _file_links(folder, set(), base):
        if name.endswith(".png"):
            continue
        label = {"page": "page", "notebook": "notebook"}.get(kind, Path(name).stem.replace("_", " "))
        groups.setdefault(kind, []).append(f'<a href="{e(href)}">{e(label)}</a>')
    parts = []
    for kind, links in groups.items():
        if kind in ("page", "notebook"):
            parts.extend(links)
        else:
            plural = kind.replace("table", "tables").replace("chart", "charts")
            parts.append(f"{e(plural)}: {', '.join(links)}")
    return " · ".join(parts)


def _runs(reports_dir: Path) -> dict[str, list[Path]]:
    runs: dict[str, list[Path]] = {}
    for notebook in sorted(p for p in reports_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        sets = [p for p in notebook.iterdir() if p.is_dir() and not p.name.startswith(".")]
        if sets:
            runs[notebook.name] = sorted(sets, key=lambda p: (p.name != "default", p.name))
    return runs


def render_index(reports_dir, manifest: dict | None = None, *, generated: str | None = None) -> str:
    """Return the landing page's HTML for the runs under ``reports_dir`` (see :func:`write_index`)."""
    reports_dir = Path(reports_dir)
    manifest = manifest or {}
    e = html.escape
    sections, digests, dates = [], set(), set()
    for stem, folders in _runs(reports_dir).items():
        first = folders[0]
        ipynb = next(iter(sorted(first.glob("*.ipynb"))), None)
        title, summary = stem.replace("_", " "), ""
        nb = _read_or_none(ipynb) if ipynb else None
        if nb is not None:
            heading, summary = title_and_summary(nb)
            title = heading or title
        set_rows = []
        for folder in folders:
            key = f"{stem}/{folder.name}"
            info = manifest.get(key, {})
            nb_path = next(iter(sorted(folder.glob("*.ipynb"))), None)
            nb = _read_or_none(nb_path) if nb_path else None
            rows = parameters(nb_path, nb, info.get("parameters")) if nb is not None else []
            digest = info.get("data_digest") or (data_digest_of(nb) if nb else None)
            date = info.get("run_date") or (run_date_of(nb) if nb else None)
            digests.update([digest] if digest else [])
            dates.update([str(date)] if date else [])
            given = ", ".join(f"{r['name']} = {_value(r['value'])}" for r in rows if r["set"]) or \
                "the notebook's defaults"
            links = _grouped_links(folder, f"{stem}/{folder.name}/")
            set_rows.append(f"<tr><td><strong>{e(folder.name)}</strong></td><td>{e(given)}</td>"
                            f"<td>{links}</td></tr>")
        params = {r["name"]: r["value"] for r in parameters(ipynb, nb)} if nb is not None else {}
        chart = main_chart(first)
        page = next(iter(sorted(first.glob("*.html"))), None)
        figure = ""
        if chart:
            href = f"{stem}/{first.name}/{(page or chart).name}"
            what = e(chart.stem.replace("_", " "))
            figure = (f'<figure><a href="{e(href)}"><img src="{e(f"{stem}/{first.name}/{chart.name}")}" '
                      f'alt="{what} chart" loading="lazy"></a>'
                      f"<figcaption>{what} ({e(first.name)})</figcaption></figure>")
        heading = (f'<a href="{e(f"{stem}/{first.name}/{page.name}")}">{e(title)}</a>' if page else e(title))
        sections.append(
            f'<section class="report" id="{e(stem)}"><div><h2>{heading}</h2>'
            f"<p>{_inline_markdown(first_sentences(summary))}</p>"
            f'<div class="key">{key_figure(first, params)}</div></div>{figure}'
            f'<table class="sets"><thead><tr><th>parameter set</th><th>values</th><th>files</th></tr>'
            f"</thead><tbody>{''.join(set_rows)}</tbody></table></section>")
    generated = generated or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    made = ", ".join(sorted(dates)) or "unknown"
    data = ", ".join(f"<code>{e(d)}</code>" for d in sorted(digests)) or "unknown"
    return f"""{page_head(f"aidcalc reports · {PROJECT}")}
<body>
<header>
<p class="kicker">aidcalc reports</p>
<h1>{e(PROJECT)}<span class="set">What China, and before it the Soviet bloc, gave Albania: loans, arms,
industrial projects and people, and how far the sources' own figures hold up</span></h1>
<div class="facts">
<p>Every figure is a row of the project's tables (<code>data/</code>), each tied to its line in
the source (Marku, <em>Sino-Albanian Relations During the Cold War</em>). Amounts are given with a
low–high range: the exchange-rate intervals, the readings of ambiguous passages and the source's own
restatements of an event. A dash (–) marks a figure no row of the source states.</p>
<p>Reports run on <strong>{e(made)}</strong> from data with digest {data}; this page written
{e(generated)}. Regenerate with <code>make report</code>.</p>
</div>
</header>
<main>
{"".join(sections) or "<p>No reports yet: run <code>make report</code>.</p>"}
</main>
<footer>
<p>Each report: a page to read (HTML), the executed notebook with its code (.ipynb), its tables (CSV, the
unit in each column's name) and its charts (SVG for print, PNG for screens).</p>
</footer>
</body>
</html>
"""


def write_index(reports_dir, manifest: dict | None = None, *, generated: str | None = None) -> Path:
    """Write ``reports_dir/index.html``: what each report answers, its key figure and its files.

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
