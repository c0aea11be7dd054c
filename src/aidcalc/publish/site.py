"""What every page shares: its templates (Jinja2, escaped by default) and its back matter.

The back matter of every page: how to cite the reports (title, version, date, licences), a
glossary of the few terms the pages use, the bibliography built from ``data/sources.csv``, and a
colophon (each template fills in its own: digest, run date, how to regenerate).
"""

from __future__ import annotations

import functools

from aidcalc.publish.citation import bibliography, dataset_citation
from aidcalc.publish.words import GLOSSARY

#: Above every page: what the project is.
PROJECT = "Chinese and Soviet-bloc aid to Albania, 1947–1978"


@functools.lru_cache(maxsize=1)
def environment():
    """Return the Jinja2 environment of the page templates (``aidcalc/publish/templates``), autoescaped."""
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("aidcalc.publish", "templates"),
                              autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
                              trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)


def render(template: str, *, date: str, data=None, home: str | None = None,
           evidence_href: str | None = None, **context) -> str:
    """Render ``template`` with the back matter every page carries.

    Parameters
    ----------
    template : str
        The template's file name, e.g. ``"page.html.j2"``.
    date : str
        The date the reports were made (``YYYY-MM-DD``), cited in "How to cite".
    data : DataContext or path, optional
        Where ``sources.csv`` and ``datapackage.json`` are read.
    home, evidence_href : str, optional
        Links to the landing page and the evidence appendix, relative to the page.
    **context
        The template's own values; strings are escaped unless marked safe (``markupsafe.Markup``).

    Returns
    -------
    str
        The page's HTML.

    Examples
    --------
    >>> from markupsafe import Markup
    >>> html = render("page.html.j2", date="2026-01-02", page_title="<t>", project="P", title="T",
    ...               set_title="S", params=[], evidence_href="evidence.html", body=Markup("<p>b</p>"),
    ...               run_date="2026-01-02", digest="abc", notebook="n.ipynb", parameter_set="default",
    ...               given="", files=[])
    >>> "<title>&lt;t&gt;</title>" in html and "<p>b</p>" in html and "How to cite" in html
    True

    """
    return environment().get_template(template).render(
        cite=dataset_citation(date, data), glossary=GLOSSARY, bibliography=bibliography(data),
        home=home, evidence_href=evidence_href, **{"project": PROJECT, **context})
