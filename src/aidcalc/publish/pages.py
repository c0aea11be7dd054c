"""The HTML of the reports: each run as an article a historian can read, cite and print.

:func:`render_page` turns an executed report notebook into a self-contained page
(``templates/page.html.j2``, Jinja2 with automatic escaping): the notebook's title and the
parameter set's title in ``<h1>``, the choices of the run in words, its narrative (markdown) and
results (outputs), no input code, no internal paths, nothing fetched from the network. Outputs are
kept or dropped by their kind and the cell they come from, never by their text: the
``injected-parameters`` cell and the cell that starts the report are dropped, so are stderr and
bare ``execute_result`` reprs. Each chart the cell saved is inlined as SVG (its tooltips work in
the page, it scales with the page and carries its description); every table gets a caption; every
row id links to the evidence appendix; the project's codes are written in words. The page ends
with how to cite it, a glossary, the sources and a colophon (digest, run date, regeneration).
"""

from __future__ import annotations

import ast
import copy
import functools
import html
import re
from datetime import UTC, datetime
from pathlib import Path

#: In the ``<head>`` of every page written here (how a test tells them from nbconvert's own).
GENERATOR = '<meta name="generator" content="aidcalc.publish.pages">'
#: Tags of cells that never reach a page.
HIDDEN_TAGS = {"injected-parameters", "parameters", "remove-cell", "remove_cell"}
#: A code cell that starts the report: its output (the run's parameters and digest) goes to the colophon.
STARTS_REPORT = re.compile(r"\bstart_report\(")
#: A code cell that saves a chart: ``save_figure(fig, "name")``; its SVG replaces the PNG on the page.
SAVES_CHART = re.compile(r"save_figure\(\s*\w+\s*,\s*[\"'](?P<name>[^\"']+)[\"']")
#: The line ``ReportSession.describe()`` prints; the page header says the same.
DESCRIBE = re.compile(r"^Parameters: .*Run on \d{4}-\d{2}-\d{2} with data (?P<digest>\w+)\.\s*$", re.M)
#: The evidence appendix beside every page (:func:`aidcalc.publish.appendix.write_appendix`).
EVIDENCE = "evidence.html"
#: What a link to each kind of file is called.
KINDS = {".html": "page", ".ipynb": "notebook", ".csv": "table (CSV)", ".svg": "chart (SVG)",
         ".png": "chart (PNG)"}


def _read(executed_ipynb):
    import nbformat

    return nbformat.read(str(executed_ipynb), as_version=4)


def _read_or_none(executed_ipynb):
    """Read a notebook for the landing page; None where it is not one (a folder from an older run)."""
    try:
        return _read(executed_ipynb)
    except Exception:  # nbformat raises OSError, ValueError or a jsonschema error for a non-notebook
        return None


def _text(output) -> str:
    """Every string an output holds (stream text, each mime bundle, error text)."""
    parts = [output.get("text", "")]
    for value in (output.get("data") or {}).values():
        parts.append(value if isinstance(value, str) else str(value))
    parts.extend(output.get("traceback") or [])
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def title_and_summary(nb) -> tuple[str, str]:
    r"""Return the notebook's title (its first ``#`` heading) and the first paragraph after it.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Arms\n\nTonnage. Counts.")])
    >>> title_and_summary(nb)
    ('Arms', 'Tonnage. Counts.')

    """
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        match = re.search(r"^#\s+(.+)$", cell.source, re.M)
        rest = cell.source[match.end():] if match else cell.source
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", rest) if p.strip()]
        return (match.group(1).strip() if match else ""), (paragraphs[0] if paragraphs else "")
    return "", ""


def first_sentences(text: str, n: int = 2) -> str:
    """Return the first ``n`` sentences of ``text``.

    Examples
    --------
    >>> first_sentences("One. Two, e.g. `data/x.csv`. Three.", 2)
    'One. Two, e.g. `data/x.csv`.'

    """
    sentences = re.split(r"(?<!e\.g\.)(?<!i\.e\.)(?<=[.!?;])\s+(?=[A-Z`'\"(])", " ".join(text.split()))
    return " ".join(sentences[:n])


def parameters(executed_ipynb, nb=None, overrides: dict | None = None) -> list[dict]:
    """Return the run's parameters: name, value, what it means, and whether the run set it.

    The values are the notebook's defaults (its ``parameters`` cell), replaced by those
    papermill injected and then by ``overrides``; ``output_dir`` (a path) is left out.
    """
    import papermill

    nb = nb or _read(executed_ipynb)
    injected = dict((nb.metadata.get("papermill") or {}).get("parameters") or {})
    injected.update(overrides or {})
    try:
        declared = papermill.inspect_notebook(str(executed_ipynb))
    except Exception:  # noqa: BLE001 - a notebook without a parameters cell shows what was given
        declared = {}
    rows = []
    for name in [*declared, *(k for k in injected if k not in declared)]:
        if name == "output_dir":
            continue
        spec = declared.get(name, {})
        if name in injected:
            value, given = injected[name], True
        else:
            try:
                value = ast.literal_eval(spec.get("default", "None"))
            except (ValueError, SyntaxError):
                value = spec.get("default")
            given = False
        rows.append({"name": name, "value": value, "help": spec.get("help") or "", "set": given})
    return rows


def data_digest_of(nb) -> str | None:
    """Return the data digest the run printed (``ReportSession.describe()``), if it did."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            match = DESCRIBE.search(_text(output))
            if match:
                return match.group("digest")
    return None


def run_date_of(nb) -> str | None:
    """Return the day papermill finished the run (``YYYY-MM-DD``), if it says."""
    end = (nb.metadata.get("papermill") or {}).get("end_time")
    return str(end)[:10] if end else None


def _clean(nb, folder: Path | None = None):
    """Return a copy of ``nb`` fit for readers, keeping or dropping each output by its kind, never its text.

    Dropped: cells tagged hidden (:data:`HIDDEN_TAGS`), the outputs of the cell that starts the
    report (its parameters and digest go to the colophon), stderr streams, errors, and results
    that are a bare ``text/plain`` repr (a returned list of paths, a figure object). A chart the
    cell saved (``save_figure(fig, "name")`` with ``name.svg`` in ``folder``) replaces the PNG the
    notebook shows, inlined as SVG, and is placed after the cell's outputs if the notebook showed
    none.
    """
    nb = copy.deepcopy(nb)
    kept = []
    for n, cell in enumerate(nb.cells):
        if HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "code":
            if STARTS_REPORT.search(cell.source):
                cell.outputs = []
            charts = [m["name"] for m in SAVES_CHART.finditer(cell.source)]
            outputs = []
            for output in cell.get("outputs", []):
                data = output.get("data") or {}
                if output.output_type == "error" or (output.output_type == "stream"
                                                     and output.get("name") == "stderr"):
                    continue  # warnings and errors stay in the executed notebook beside the page
                if output.output_type == "execute_result" and set(data) <= {"text/plain"}:
                    continue
                saved = folder / f"{charts[0]}.svg" if charts and folder is not None else None
                if "image/png" in data and saved is not None and saved.exists():
                    output = _inline_chart(folder, charts.pop(0), n)
                outputs.append(output)
            # a chart saved but not shown (a kernel whose figures do not display) is placed all the same
            outputs += [_inline_chart(folder, name, n) for name in charts
                        if folder is not None and (folder / f"{name}.svg").exists()]
            cell.outputs = outputs
        kept.append(cell)
    nb.cells = kept
    return nb


def _inline_chart(folder: Path, name: str, n: int):
    """Return the output that shows the saved chart ``name`` of cell ``n`` inline."""
    svg = (folder / f"{name}.svg").read_text(encoding="utf-8")
    return nbformat_output({"text/html": chart_figure(svg, f"chart{n}-{name}", name)})


def nbformat_output(data: dict):
    """Return a ``display_data`` output holding ``data`` (mime type -> content)."""
    import nbformat

    return nbformat.v4.new_output("display_data", data=data)


def chart_figure(svg: str, prefix: str, name: str = "") -> str:
    """Return a saved SVG chart as a ``<figure>`` to inline in a page: scaling, described, ids its own.

    The XML prologue goes; the root loses its fixed size (the page sets its width, its
    ``viewBox`` keeps the proportions) and becomes ``role="img"`` labelled by the chart's title
    and description (written by :func:`aidcalc.publish.chart_style.save_figure`); every ``id``
    and its references get ``prefix``, so that two charts on one page never share an id.

    Examples
    --------
    >>> svg = ('<?xml version="1.0"?><svg width="100pt" height="50pt" viewBox="0 0 100 50">'
    ...        '<title id="chart-title">T</title><desc id="chart-desc">D</desc>'
    ...        '<g id="a" clip-path="url(#c)"></g></svg>')
    >>> out = chart_figure(svg, "x")
    >>> 'width="100pt"' in out, 'id="x-a"' in out, 'url(#x-c)' in out, 'aria-labelledby="x-chart-title' in out
    (False, True, True, True)

    """
    svg = re.sub(r"^.*?(?=<svg\b)", "", svg, count=1, flags=re.S)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m[1]}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m[1]})", svg)
    svg = re.sub(r'(href)="#([^"]+)"', lambda m: f'{m[1]}="#{prefix}-{m[2]}"', svg)
    root = re.match(r"<svg\b[^>]*>", svg)
    head = root[0]
    width = re.search(r'\bwidth="([\d.]+)pt"', head)
    new = re.sub(r'\s(width|height)="[^"]*"', "", head)
    labels = " ".join(f"{prefix}-chart-{k}" for k in ("title", "desc") if f'id="{prefix}-chart-{k}"' in svg)
    style = f' style="max-width:{float(width[1]) * 4 / 3:.0f}px"' if width else ""
    new = new[:-1] + f' role="img"{f" aria-labelledby={chr(34)}{labels}{chr(34)}" if labels else ""}{style}>'
    svg = new + svg[root.end():]
    caption = re.search(rf'<title id="{re.escape(prefix)}-chart-title">(.*?)</title>', svg, re.S)
    shown = caption[1] if caption else html.escape(name.replace("_", " "))
    return (f'<figure class="chart" tabindex="0">{svg}<figcaption>{shown}. Hover over (or tap) a bar or '
            f'point for its value, range and rows; the chart as a file: '
            f'<a href="{html.escape(name)}.svg">SVG</a>, '
            f'<a href="{html.escape(name)}.png">PNG</a>.</figcaption></figure>')


def captioned(body: str) -> str:
    """Give every table in ``body`` without a caption one: the heading it stands under, and its number.

    Examples
    --------
    >>> captioned('<h2 id="x">Rows</h2><table><tr><td>1</td></tr></table>')
    '<h2 id="x">Rows</h2><table><caption>Table 1. Rows</caption><tr><td>1</td></tr></table>'

    """
    heading, count = "", 0

    def visit(m: re.Match) -> str:
        nonlocal heading, count
        if m["heading"] is not None:
            heading = re.sub(r"<a class=\"anchor-link\".*?</a>|<[^>]+>", "", m["heading"]).strip()
            return m[0]
        if m["img"] is not None:  # a chart without a saved SVG: where it stands, as its alternative text
            if re.search(r"\salt=", m[0]):
                return m[0]
            return f'<img alt="Chart of the section {html.escape(heading or "above")}"{m[0][4:]}'
        count += 1
        if m["caption"]:
            return m[0]
        return f"{m['table']}<caption>Table {count}. {heading or 'Results'}</caption>"

    return re.sub(r"<h[23][^>]*>(?P<heading>.*?)</h[23]>|(?P<table><table\b[^>]*>)(?P<caption>\s*<caption)?"
                  r"|(?P<img><img\b[^>]*>)", visit, body, flags=re.S)


def _drop_title(nb) -> None:
    """Remove the first ``#`` heading: the page's own ``<h1>`` carries it."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = re.sub(r"^#\s+.+\n?", "", cell.source, count=1, flags=re.M).lstrip("\n")
            return


def strip_remote(body: str) -> str:
    """Remove scripts, style sheets and frames fetched from elsewhere (``http:``, ``//host``).

    Examples
    --------
    >>> strip_remote('<p>a</p><script src="https://cdn.x/require.js"></script><p>b</p>')
    '<p>a</p><p>b</p>'

    """
    remote = r"""(?:https?:)?//"""
    body = re.sub(rf"""<script\b[^>]*\bsrc=["']?{remote}[^>]*>\s*</script>""", "", body, flags=re.I)
    body = re.sub(rf"""<link\b[^>]*\bhref=["']?{remote}[^>]*>""", "", body, flags=re.I)
    return re.sub(rf"""<iframe\b[^>]*\bsrc=["']?{remote}.*?</iframe>""", "", body, flags=re.I | re.S)


# --------------------------------------------------------------------------------------------
# one report page


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "–".join(str(v) for v in value) if len(value) == 2 else ", ".join(map(str, value))
    return str(value)


def _file_links(folder: Path, exclude: set[str], base: str = "") -> list[tuple[str, str, str]]:
    """Return (kind, name, href) for the run's files, page and notebook first, then by kind."""
    order = list(KINDS)
    files = [p for p in folder.iterdir()
             if p.is_file() and p.suffix in KINDS and p.name not in exclude and p.name != EVIDENCE]
    files.sort(key=lambda p: (order.index(p.suffix), p.name))
    return [(KINDS[p.suffix], p.name, base + p.name) for p in files]


@functools.lru_cache(maxsize=1)
def _exporter():
    """Return the notebook-to-HTML exporter of every page, its templates compiled once per process.

    It is nbconvert's ``HTMLExporter`` without the pass that ends its ``from_notebook_node``: that
    pass parses the whole page with BeautifulSoup and writes it out again, to give images without
    alternative text a placeholder and the cells of the ``lab`` template a tab stop. The pages
    use the ``basic`` template, whose cells have no such stops, and :func:`captioned` gives every
    image its alternative text; the pass cost two thirds of a page's rendering (inlined charts
    are thousands of tags) and, the first time, ~0.1 s to compile its selectors.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PageExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            # HTMLExporter.from_notebook_node up to its BeautifulSoup pass
            language = nb.metadata.get("language_info", {})
            lexer = language.get("pygments_lexer", language.get("name", None))
            highlight = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            data_types = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                               resources=resources)
            self.register_filter("highlight_code", highlight)
            self.register_filter("filter_data_type", data_types)
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return PageExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True)


def warm(run_date: str | None = None) -> None:
    """Load what rendering pages needs, once per process: nbconvert's templates and filters, the site's.

    The report runner calls it in each worker while the worker's kernel starts, so that the
    first page costs what the others cost. With ``run_date`` (the date pages are stamped with),
    the evidence appendix of the data this process reads is rendered too.

    Examples
    --------
    >>> warm()
    >>> _exporter() is _exporter()
    True

    """
    import nbformat

    from aidcalc.publish import site

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T\n\nA `b`."),
                                         nbformat.v4.new_code_cell("1", outputs=[nbformat_output(
                                             {"text/html": "<table><tr><td>1 &amp; 2</td></tr></table>"})])])
    _exporter().from_notebook_node(nb)
    for template in ("page.html.j2", "evidence.html.j2"):
        site.environment().get_template(template)
    if run_date is not None:
        from aidcalc.publish.appendix import appendix_text

        appendix_text(generated=run_date)


def render_page(executed_ipynb, *, title: str | None = None, parameter_set: str | None = None,
                params: dict | None = None, data_digest: str | None = None,
                run_date: str | None = None, index_href: str | None = "../../index.html",
                evidence_href: str = EVIDENCE) -> str:
    """Render an executed report notebook as a self-contained article (HTML).

    Parameters
    ----------
    executed_ipynb : path
        The notebook papermill wrote; the files beside it (CSV, SVG, PNG) are linked.
    title : str, optional
        Defaults to the notebook's first ``#`` heading.
    parameter_set : str, optional
        The set's name; defaults to the notebook's folder name (``reports/<nb>/<set>/``).
    params : dict, optional
        The values the set gives (``Job.parameters``); the others are the notebook's defaults.
    data_digest : str, optional
        The digest of the data the run read; defaults to the one the run printed.
    run_date : str, optional
        When the run was made; defaults to papermill's end time.
    index_href : str or None
        The link back to the landing page (none when ``None``).
    evidence_href : str
        The evidence appendix, where every row id links (:func:`write_page` writes it beside
        the page, so that every run folder is complete on its own).

    Returns
    -------
    str
        The page: no input code, no internal paths, nothing fetched from the network.

    """
    from markupsafe import Markup

    from aidcalc.publish import site, words

    path = Path(executed_ipynb)
    nb = _read(path)
    heading, _ = title_and_summary(nb)
    title = title or heading or path.stem.replace("_", " ")
    parameter_set = parameter_set or path.parent.name
    rows = parameters(path, nb, params)
    data_digest = data_digest or data_digest_of(nb) or "unknown"
    run_date = run_date or run_date_of(nb) or datetime.now(UTC).date().isoformat()

    clean = _clean(nb, path.parent)
    _drop_title(clean)
    body, _ = _exporter().from_notebook_node(clean)
    from aidcalc.publish.citation import short_citation, sources_table

    try:
        sources = sources_table()
        names = {sid: short_citation(sid, sources) for sid in sources.index}
    except Exception:  # noqa: BLE001 - a page without the sources table keeps the source ids
        names = {}
    body = words.cells_in_words(words.words_in_html(captioned(strip_remote(body))), names)
    body = words.link_rows(body, evidence_href)
    # a table wider than the screen scrolls in its box: the box takes the keyboard's focus too
    body = re.sub(r'<div class="(output_html[^"]*)">', r'<div class="\1" tabindex="0">', body)
    if any(r["name"] == "price_basis" and r["value"] != "constant" for r in rows):
        rows = [r for r in rows if r["name"] != "price_year"]  # a year of constant prices only with them
    choices = [{"words": words.PARAMETER_WORDS.get(r["name"], r["name"].replace("_", " ")).capitalize(),
                "value": words.value_in_words(r["name"], r["value"])} for r in rows]
    given = ", ".join(f"{r['name']} = {_value(r['value'])}" for r in rows if r["set"])
    links = _file_links(path.parent, {path.with_suffix(".html").name})
    set_title = words.set_title(parameter_set, {r["name"]: r["value"] for r in rows if r["set"]})
    return site.render("page.html.j2", date=run_date, home=index_href, evidence_href=evidence_href,
                       page_title=f"{title} — {set_title} · aidcalc", title=title, set_title=set_title,
                       params=choices, body=Markup(body), run_date=run_date, digest=data_digest,
                       notebook=path.name, parameter_set=parameter_set, given=given, files=links)


def write_page(executed_ipynb, **kwargs) -> Path:
    """Render ``executed_ipynb`` (see :func:`render_page`) into the ``.html`` beside it, with its appendix.

    The evidence appendix every row id of the page links to is written beside it
    (:data:`EVIDENCE`), so that a run folder holds everything its page links.
    """
    from aidcalc.publish.appendix import write_appendix

    path = Path(executed_ipynb)
    target = path.with_suffix(".html")
    target.write_text(render_page(path, **kwargs), encoding="utf-8")
    write_appendix(path.parent, home=kwargs.get("index_href", "../../index.html"),
                   generated=kwargs.get("run_date"))
    return target


# --------------------------------------------------------------------------------------------
# key figures for the landing page, read from each run's CSV tables
