"""The HTML of the reports: each run as an article, and a landing page that explains them all.

:func:`render_page` turns an executed report notebook into a self-contained page that reads
like an article: the notebook's title and the parameter set in ``<title>`` and ``<h1>``, its
narrative (markdown) and results (outputs), no input code, no internal paths (the
``injected-parameters`` cell and any output naming the staging folder or a ``PosixPath`` are
dropped), nothing fetched from the network (nbconvert's ``basic`` template in a shell of our
own with inline CSS; images stay embedded as data URIs), and a header stating the parameters,
the run date and the digest of the data read.

:func:`write_index` writes ``reports/index.html``: what each report answers (from its first
markdown cell), its key figure read from its CSV tables, a thumbnail of its main chart, and
links to the page, notebook, tables and charts of every parameter set; it says when and from
which data the reports were made.
"""

from __future__ import annotations

import ast
import copy
import html
import re
from datetime import UTC, datetime
from pathlib import Path

#: In the ``<head>`` of every page written here (how a test tells them from nbconvert's own).
GENERATOR = '<meta name="generator" content="aidcalc.publish.pages">'
#: Above every page: what the project is.
PROJECT = "Chinese and Soviet-bloc aid to Albania, 1947–1978"
#: Tags of cells that never reach a page.
HIDDEN_TAGS = {"injected-parameters", "parameters", "remove-cell", "remove_cell"}
#: Outputs holding any of these are internal (paths of the run), not results.
INTERNAL = (".staging", "PosixPath(", "WindowsPath(")
#: The line ``ReportSession.describe()`` prints; the page header says the same.
DESCRIBE = re.compile(r"^Parameters: .*Run on \d{4}-\d{2}-\d{2} with data (?P<digest>\w+)\.\s*$", re.M)
#: Bare object reprs, which say nothing to a reader.
REPR = re.compile(r"^\s*(<.* at 0x[0-9a-f]+>|<Figure size [^>]*>|\[?<matplotlib[^>]*>\]?)\s*$")
#: What a link to each kind of file is called.
KINDS = {".html": "page", ".ipynb": "notebook", ".csv": "table (CSV)", ".svg": "chart (SVG)",
         ".png": "chart (PNG)"}

CSS = """
:root{--ink:#1d1d1d;--muted:#5b5b5b;--rule:#d0d0d0;--accent:#7a1f1f;--paper:#fdfcf9}
*{box-sizing:border-box}
html{background:var(--paper)}
body{margin:0 auto;max-width:60rem;padding:2rem 1.5rem 4rem;color:var(--ink);
  font:1.0625rem/1.6 Georgia,"Iowan Old Style","Palatino Linotype","Times New Roman",serif}
h1,h2,h3,h4{font-family:"Helvetica Neue",Arial,"Liberation Sans",sans-serif;line-height:1.25;
  color:#111;margin:2rem 0 0.6rem}
h1{font-size:2rem;margin-top:0.4rem}
h1 .set{display:block;font-size:1.05rem;font-weight:normal;color:var(--muted);margin-top:0.3rem}
h2{font-size:1.4rem;border-bottom:1px solid var(--rule);padding-bottom:0.2rem}
h3{font-size:1.15rem}
a{color:var(--accent)}
a.anchor-link{display:none}
p,li{max-width:46rem}
code{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:0.85em;background:#f1efe8;
  padding:0 0.2em;border-radius:2px}
.kicker{font-family:"Helvetica Neue",Arial,sans-serif;font-size:0.85rem;letter-spacing:0.04em;
  text-transform:uppercase;color:var(--muted);margin:0}
.kicker a{color:var(--muted)}
.facts{font-size:0.95rem;color:#333;border-top:1px solid var(--rule);border-bottom:1px solid var(--rule);
  padding:0.6rem 0;margin:1rem 0 1.5rem}
.facts p{margin:0.2rem 0;max-width:none}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:0.9rem;line-height:1.35}
th,td{padding:0.25rem 0.6rem;border:none;border-bottom:1px solid var(--rule);text-align:left;
  vertical-align:top}
thead th{border-bottom:1.5px solid #333;vertical-align:bottom}
table.dataframe{border:none}
table.dataframe td,table.dataframe th{text-align:right}
table.params{margin:0.4rem 0}
table.params td:first-child{font-family:"DejaVu Sans Mono",Menlo,monospace;font-size:0.85rem}
table.params tr.set td{font-weight:bold}
.output_html,.output_subarea{overflow-x:auto;max-width:100%}
.output_area{margin:0.6rem 0 1.2rem}
.output_png img,.output_area img{max-width:100%;height:auto;display:block;margin:0.5rem 0}
pre{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:0.85rem;white-space:pre-wrap;
  background:#f4f2ec;border-left:3px solid var(--rule);padding:0.4rem 0.7rem;margin:0.5rem 0}
.files{font-size:0.95rem}
.files li{margin:0.15rem 0}
footer{margin-top:3rem;border-top:1px solid var(--rule);padding-top:0.6rem;font-size:0.85rem;
  color:var(--muted)}
.report{display:grid;grid-template-columns:minmax(0,1fr) 24rem;gap:0 1.5rem;align-items:start;
  border-top:1px solid var(--rule);padding:1.2rem 0 1.6rem}
.report figure{margin:2.4rem 0 0}
.report .sets{grid-column:1 / -1}
.report h2{border:none;margin-top:0}
.report img{width:100%;height:auto;border:1px solid var(--rule);background:#fff}
.report figcaption{font-size:0.8rem;color:var(--muted)}
.key{background:#f4f2ec;padding:0.5rem 0.8rem;margin:0.6rem 0;font-size:0.95rem}
.key p{margin:0.2rem 0}
.key table{margin:0.3rem 0;background:transparent}
td.num,th.num{text-align:right}
td.num{white-space:nowrap}
.sets{font-size:0.9rem;margin:0.6rem 0 0}
.sets td{vertical-align:top}
.sets td:first-child,.sets th{white-space:nowrap}
@media (max-width:44rem){.report{grid-template-columns:1fr}}
"""


# --------------------------------------------------------------------------------------------
# reading an executed notebook


def page_head(title: str) -> str:
    """Return the start of a page up to ``</head>``: its title, the house style, nothing remote."""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{GENERATOR}
<title>{html.escape(title)}</title>
<style>{CSS}</style>
</head>"""


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


def _clean(nb, output_dir: str = ""):
    """Return a copy of ``nb`` fit for readers: no hidden cells, no internal or empty outputs."""
    nb = copy.deepcopy(nb)
    internal = [s for s in (*INTERNAL, output_dir) if s]
    kept = []
    for cell in nb.cells:
        if HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "code":
            outputs = []
            for output in cell.get("outputs", []):
                text = _text(output)
                if any(s in text for s in internal):
                    continue
                if output.output_type == "stream":
                    if output.get("name") == "stderr":
                        continue  # warnings stay in the executed notebook beside the page
                    output.text = DESCRIBE.sub("", output.text).strip("\n")
                    if not output.text.strip():
                        continue
                    output.text += "\n"
                data = output.get("data") or {}
                if output.output_type in ("execute_result", "display_data") and set(data) <= {"text/plain"} \
                        and REPR.match(str(data.get("text/plain", ""))):
                    continue
                outputs.append(output)
            cell.outputs = outputs
        kept.append(cell)
    nb.cells = kept
    return nb


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
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix in KINDS and p.name not in exclude]
    files.sort(key=lambda p: (order.index(p.suffix), p.name))
    return [(KINDS[p.suffix], p.name, base + p.name) for p in files]


def render_page(executed_ipynb, *, title: str | None = None, parameter_set: str | None = None,
                params: dict | None = None, data_digest: str | None = None,
                run_date: str | None = None, index_href: str | None = "../../index.html") -> str:
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

    Returns
    -------
    str
        The page: no input code, no internal paths, nothing fetched from the network.

    """
    from nbconvert import HTMLExporter

    path = Path(executed_ipynb)
    nb = _read(path)
    heading, _ = title_and_summary(nb)
    title = title or heading or path.stem.replace("_", " ")
    parameter_set = parameter_set or path.parent.name
    rows = parameters(path, nb, params)
    data_digest = data_digest or data_digest_of(nb) or "unknown"
    run_date = run_date or run_date_of(nb) or datetime.now(UTC).date().isoformat()
    output_dir = str(((nb.metadata.get("papermill") or {}).get("parameters") or {}).get("output_dir") or "")

    clean = _clean(nb, output_dir)
    _drop_title(clean)
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(clean)
    body = strip_remote(body)

    e = html.escape
    param_rows = "".join(
        f'<tr class="{"set" if r["set"] else ""}"><td>{e(r["name"])}</td><td>{e(_value(r["value"]))}</td>'
        f'<td>{e(r["help"])}{" <em>(set by this parameter set)</em>" if r["set"] else ""}</td></tr>'
        for r in rows)
    params_html = (f'<table class="params"><thead><tr><th>parameter</th><th>value</th><th>meaning</th>'
                   f"</tr></thead><tbody>{param_rows}</tbody></table>" if rows
                   else "<p>This report takes no parameters.</p>")
    links = _file_links(path.parent, {path.with_suffix(".html").name})
    files = "".join(f'<li>{e(kind)}: <a href="{e(href)}">{e(name)}</a></li>' for kind, name, href in links)
    back = f'<a href="{e(index_href)}">All reports</a> · ' if index_href else ""
    return f"""{page_head(f"{title} — {parameter_set} · aidcalc")}
<body>
<header>
<p class="kicker">{back}aidcalc report · {e(PROJECT)}</p>
<h1>{e(title)}<span class="set">Parameter set “{e(parameter_set)}”</span></h1>
<div class="facts">
<p>Run on <strong>{e(run_date)}</strong> from data with digest <code>{e(data_digest)}</code>
(a fingerprint of every table in <code>data/</code> the run read).</p>
{params_html}
</div>
</header>
<main>
{body}
</main>
<footer>
<p>Files of this run (the executed notebook holds the code behind every figure):</p>
<ul class="files">{files}</ul>
<p>Made by aidcalc from <code>notebooks/{e(path.name)}</code>; regenerate with <code>make report</code>.</p>
</footer>
</body>
</html>
"""


def write_page(executed_ipynb, **kwargs) -> Path:
    """Render ``executed_ipynb`` (see :func:`render_page`) into the ``.html`` beside it."""
    path = Path(executed_ipynb)
    target = path.with_suffix(".html")
    target.write_text(render_page(path, **kwargs), encoding="utf-8")
    return target


# --------------------------------------------------------------------------------------------
# key figures for the landing page, read from each run's CSV tables
