"""The set-up of a report notebook: its parameters checked, its data opened, its outputs saved.

Every notebook calls :func:`start_report` once with the parameters it declares; the run
reads one data folder (``$AIDCALC_DATA`` when the report runner set a snapshot) and saves its
charts and tables into ``output_dir`` (nothing when it is empty, as in JupyterLab).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from aidcalc.money.basis import Basis
from aidcalc.tables.context import DataContext, open_data


@dataclass
class ReportSession:
    """What a report notebook needs: its parameters, data, conversion basis and plans."""

    params: dict
    data: DataContext
    basis: Basis | None = None
    plans: list = field(default_factory=list)

    @property
    def rates(self):
        """The rate table the session's basis converts at (:func:`aidcalc.evidence.readings.rates_for`)."""
        from aidcalc.evidence.readings import rates_for

        return rates_for(self.basis, self.data)

    @property
    def output_dir(self) -> str:
        """Where charts and tables are saved ('' for nowhere)."""
        return self.params.get("output_dir", "") or ""

    def in_plans(self, table, column: str = "plan"):
        """Return the rows of ``table`` whose plan is within the ``plan_range`` parameter."""
        return table[table[column].isin(self.plans)]

    def save_figure(self, fig, name: str) -> list[Path]:
        """Save a chart as PNG and SVG into ``output_dir`` (nothing without one).

        In a notebook, the chart is then shown as the PNG saved (:func:`show_saved`), not drawn again.
        """
        from aidcalc.publish.charts import save_figure

        saved = save_figure(fig, self.output_dir, name)
        if saved:
            show_saved(fig, saved[0])
        return saved

    def save_table(self, table, name: str, unit: str | None = None, **kinds) -> Path | None:
        """Save a table as CSV into ``output_dir`` (nothing without one), rounded, the unit in its headers.

        ``unit`` and ``kinds`` are those of :func:`aidcalc.publish.export.to_csv`.
        """
        if not self.output_dir:
            return None
        from aidcalc.publish.export import to_csv

        return to_csv(table, Path(self.output_dir) / f"{name}.csv", unit, **kinds)

    def show(self, table, **kwargs) -> None:
        """Display ``table`` formatted for people (:func:`aidcalc.publish.tables.format_table`).

        ``kwargs`` go to ``format_table``: ``unit``, ``money_columns``, ``missing_note``,
        ``notes``, ``caption``... Returns nothing, so a last line does not show it twice.
        """
        from aidcalc.publish.tables import format_table

        shown = format_table(table, data=kwargs.pop("data", self.data), **kwargs)
        try:
            from IPython.display import display
        except ImportError:  # outside IPython: the plain-text form
            print(shown)
        else:
            display(shown)

    def describe(self) -> str:
        """One line for the top of a report: parameters, date and data digest."""
        shown = ", ".join(f"{k}={v!r}" for k, v in self.params.items() if k != "output_dir")
        return (f"Parameters: {shown or 'none'}. Run on {date.today().isoformat()} "
                f"with data {self.data.digest}.")


def start_report(**params: object) -> ReportSession:
    """Check a notebook's parameters, open its data and make its conversion basis.

    Parameters
    ----------
    **params
        The notebook's parameters, as its ``parameters`` cell declares them: any of
        ``currency``, ``price_basis``, ``price_year``, ``rate_basis``, ``plan_range``,
        ``include_military``, ``output_dir``.

    Returns
    -------
    ReportSession

    Raises
    ------
    UnknownParameterError
        Naming the parameter, its value and the accepted values.

    Examples
    --------
    >>> s = start_report(currency="RUB", plan_range=[3, 5])
    >>> s.basis.currency, s.plans
    ('RUB', [3, 4, 5])
    >>> start_report(currency="USD", price_basis="constant", price_year=1990).basis.unit
    'constant 1990 USD'

    A notebook's ``price_year`` becomes ``session.basis.price_year``, and every aggregation
    given ``to=session.basis`` converts and deflates at it, bounds included.

    """
    from aidcalc.report.config import validate_parameters

    validate_parameters(params)
    data = open_data()
    session = ReportSession(dict(params), data)
    numbers = data.table("plans")["plan"].astype(int).tolist()
    first, last = params.get("plan_range", [min(numbers), max(numbers)])
    session.plans = [p for p in numbers if first <= p <= last]
    if "currency" in params:
        session.basis = Basis.for_report(params["currency"], params.get("price_basis", "nominal"),
                                         params.get("price_year"), params.get("rate_basis", "official"))
    return session


def _png_size(png: bytes) -> tuple[int, int]:
    """Return a PNG's width and height in pixels, from its header.

    Examples
    --------
    >>> _png_size(bytes.fromhex("89504e470d0a1a0a0000000d49484452000003e8000001f4"))
    (1000, 500)

    """
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _saved_or_drawn(draw):
    """Return a PNG formatter for figures: the file saved of a figure unchanged since, else ``draw(fig)``."""
    import base64

    def formatter(fig):
        png = getattr(fig, "_aidcalc_saved_png", None)
        if png is None or fig.stale:  # never saved, or changed after saving: drawn as usual
            return draw(fig)
        data = png.read_bytes()
        width, height = _png_size(data)
        scale = fig.dpi / fig._aidcalc_saved_dpi  # shown at the size the inline backend draws it
        return (base64.b64encode(data).decode("ascii"),
                {"width": round(width * scale), "height": round(height * scale)})

    formatter.aidcalc_saved = True
    return formatter


def show_saved(fig, png: Path) -> None:
    """Let a notebook show ``fig`` as the PNG just saved of it, instead of drawing it once more.

    The inline backend draws every open figure again after each cell (once because it changed,
    once more into a PNG for display) although the chart was just saved at a higher resolution;
    the page shows the saved SVG in its place. So the figure is marked as drawn, and the notebook's
    PNG formatter gives the saved file, at the size the backend would have drawn it. A figure
    changed after saving is drawn as before. Outside IPython, or without the inline backend's
    PNG formatter, nothing changes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The chart just saved.
    png : Path
        Its PNG file, written at ``savefig.dpi`` of the house style.

    """
    try:
        from IPython import get_ipython
        from matplotlib.figure import Figure
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        draw = formatter.lookup_by_type(Figure)
    except KeyError:  # figures are not shown as PNG here
        return
    if not getattr(draw, "aidcalc_saved", False):
        formatter.for_type(Figure, _saved_or_drawn(draw))
    from aidcalc.publish.chart_style import STYLE

    fig._aidcalc_saved_png, fig._aidcalc_saved_dpi = Path(png), STYLE["savefig.dpi"]
    fig.stale = False  # the files just saved are its latest drawing
