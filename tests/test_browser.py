"""The reports in a real browser: headless Chromium loads index.html, the evidence appendix and every report page.

For each page: no console error or uncaught exception, no request outside ``file:``/``data:``
(nothing from the network), every link and image resolves (the file exists; an in-page anchor
has its target), the screenshot is not blank, axe-core finds no serious or critical
accessibility violation, no page is wider than a 390 px phone, nothing is cut when printed on
A4, every image and chart has a real description and every table a caption. axe-core comes from
npm (``make axe``, run by ``make setup`` and ``.ci/run``). Chromium is driven over the DevTools
protocol (``websocket-client``). The reports are built once, by ``aidcalc.report.runner.run_reports``,
into a temporary folder. Skipped, saying why, when Chromium is not installed; ``.ci/run``
installs it, so CI always runs these tests.

Screenshots are kept in the session's temporary folder (the path is printed) and copied to
``$AIDCALC_SCREENSHOTS`` when that is set.
"""

import io
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from aidcalc import paths
from aidcalc.publish import pages

# the slow tier: `make check` leaves these out, `make test` (and CI) runs them
pytestmark = [pytest.mark.browser, pytest.mark.kernel]

NOTEBOOKS = sorted(p.name for p in paths.NOTEBOOKS_DIR.glob("*.ipynb"))
#: A second parameter set, so the index links more than one run of a notebook.
EXTRA_SET = ("constant_1990_usd", "01_aid_by_plan", {"price_basis": "constant", "price_year": 1990})
PAGES = ["index.html", f"{Path(NOTEBOOKS[0]).stem}/default/evidence.html"] + [f"{Path(n).stem}/default/{Path(n).stem}.html" for n in NOTEBOOKS]
if f"{EXTRA_SET[1]}.ipynb" in NOTEBOOKS:
    PAGES.append(f"{EXTRA_SET[1]}/{EXTRA_SET[0]}/{EXTRA_SET[1]}.html")
#: Chromium's flags for root in a sandbox, with no traffic of its own.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
         "--window-size=1280,900", "--remote-allow-origins=*", "--remote-debugging-port=0"]
LOCAL = ("file:", "data:", "blob:", "about:")


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


class DevTools:
    """A minimal DevTools-protocol client for one page target."""

    def __init__(self, ws_url: str):
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, **params) -> dict:
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        import websocket

        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["method"] == method:
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(method)
            self.ws.settimeout(left)
            try:
                message = json.loads(self.ws.recv())
            except websocket.WebSocketTimeoutException as err:
                raise TimeoutError(method) from err
            finally:
                self.ws.settimeout(60)
            if "method" in message:
                self.events.append(message)

    def drain(self, quiet: float = 0.7) -> None:
        """Collect events until none has come for ``quiet`` seconds."""
        import websocket

        self.ws.settimeout(quiet)
        try:
            while True:
                message = json.loads(self.ws.recv())
                if "method" in message:
                    self.events.append(message)
        except websocket.WebSocketTimeoutException:
            pass
        finally:
            self.ws.settimeout(60)

    def close(self) -> None:
        self.ws.close()


@pytest.fixture(scope="session")
def chromium():
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it for CI")
    pytest.importorskip("websocket", reason="websocket-client (the dev extra) drives Chromium")
    return path


@pytest.fixture(scope="session")
def built(chromium, tmp_path_factory):
    """Every notebook on its defaults, and 01 with a second set, built once by the runner."""
    from aidcalc.report.runner import run_reports

    out = tmp_path_factory.mktemp("browser-reports")
    sets = {"default": {}}
    if f"{EXTRA_SET[1]}.ipynb" in NOTEBOOKS:
        sets[EXTRA_SET[0]] = {"notebooks": [EXTRA_SET[1]], **EXTRA_SET[2]}
    config = paths.NOTEBOOKS_DIR / f".test-browser-{os.getpid()}.yaml"
    config.write_text(yaml.safe_dump({"notebooks": NOTEBOOKS, "parameter_sets": sets}))
    try:
        run_reports(config, out, progress=False)
    finally:
        config.unlink()
    return out


@pytest.fixture(scope="session")
def browser(chromium, tmp_path_factory):
    profile = tempfile.mkdtemp(prefix="aidcalc-chromium-")
    proc = subprocess.Popen([chromium, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        port, deadline = None, time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
            match = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            port = match and int(match.group(1))
        if port is None:
            pytest.fail(f"Chromium did not start its DevTools endpoint (exit code {proc.poll()})")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as response:
            targets = json.load(response)
        page = next(t for t in targets if t.get("type") == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log", "Network"):
            tools.send(f"{domain}.enable")
        shots = tmp_path_factory.mktemp("screenshots")
        print(f"\nbrowser screenshots: {shots}")
        yield tools, shots, {}
        tools.close()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the group this test started, by its id
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        proc.stderr.close()
        shutil.rmtree(profile, ignore_errors=True)


LINKS_JS = """JSON.stringify(
  Array.from(document.querySelectorAll('a[href], img[src], link[href], script[src], source[src]'))
       .map(e => ({tag: e.tagName, url: e.href || e.src,
                   raw: e.getAttribute('href') || e.getAttribute('src')})))"""


def visit(browser, built, page: str) -> dict:
    """Load ``page`` once; return its errors, requests, links and screenshot."""
    tools, shots, cache = browser
    if page in cache:
        return cache[page]
    out = built
    url = (out / page).as_uri()
    tools.send("Emulation.clearDeviceMetricsOverride")  # as a desktop screen shows it
    tools.send("Emulation.setEmulatedMedia", media="")
    tools.events.clear()
    tools.send("Page.navigate", url=url)
    tools.wait_for("Page.loadEventFired")
    tools.drain()
    links = json.loads(tools.send("Runtime.evaluate", expression=LINKS_JS, returnByValue=True)["result"]["value"])
    ids = set(json.loads(tools.send("Runtime.evaluate", returnByValue=True, expression=(
        "JSON.stringify(Array.from(document.querySelectorAll('[id],[name]')).map(e => e.id || e.name))"))
        ["result"]["value"]))
    size = tools.send("Page.getLayoutMetrics")["cssContentSize"]
    shot = tools.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                      clip={"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 12000),
                            "scale": 1})
    png = __import__("base64").b64decode(shot["data"])
    target = shots / (page.replace("/", "__") + ".png")
    target.write_bytes(png)
    if os.environ.get("AIDCALC_SCREENSHOTS"):
        Path(os.environ["AIDCALC_SCREENSHOTS"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(target, Path(os.environ["AIDCALC_SCREENSHOTS"]) / target.name)
    events = list(tools.events)
    errors = [e["params"] for e in events if e["method"] == "Runtime.exceptionThrown"]
    errors += [e["params"] for e in events
               if e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert")]
    errors += [e["params"]["entry"] for e in events
               if e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"]
    requests = [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]
    failed = [e["params"] for e in events if e["method"] == "Network.loadingFailed"]
    cache[page] = {"url": url, "errors": errors, "requests": requests, "failed": failed, "links": links,
                   "ids": ids, "png": png, "file": target}
    return cache[page]


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_console_errors(browser, built, page):
    seen = visit(browser, built, page)
    assert seen["errors"] == [], seen["errors"]
    assert seen["failed"] == [], seen["failed"]


@pytest.mark.parametrize("page", PAGES)
def test_page_makes_no_network_request(browser, built, page):
    seen = visit(browser, built, page)
    assert seen["requests"], "the page itself was not requested"
    outside = [u for u in seen["requests"] if not u.startswith(LOCAL)]
    assert outside == [], outside


@pytest.mark.parametrize("page", PAGES)
def test_every_link_resolves(browser, built, page):
    seen = visit(browser, built, page)
    out = built
    broken = []
    for link in seen["links"]:
        parsed = urllib.parse.urlsplit(link["url"])
        if parsed.scheme == "data":
            continue
        if parsed.scheme != "file":
            broken.append(f"{link['raw']} (not a local file)")
            continue
        target = Path(urllib.parse.unquote(parsed.path))
        if not target.exists():
            broken.append(f"{link['raw']} -> {target} missing")
        elif parsed.fragment and target == out / page and parsed.fragment not in seen["ids"]:
            broken.append(f"{link['raw']}: no element with that id")
    assert broken == [], broken


@pytest.mark.parametrize("page", PAGES)
def test_screenshot_is_not_blank(browser, built, page):
    from PIL import Image

    seen = visit(browser, built, page)
    image = Image.open(io.BytesIO(seen["png"])).convert("RGB")
    assert image.width >= 800 and image.height >= 600, image.size
    assert len(image.getcolors(maxcolors=1 << 24)) > 1, seen["file"]


AXE = paths.PROJ_ROOT / ".venv" / "node" / "node_modules" / "axe-core" / "axe.min.js"
#: A4 less the print margins (210 mm - 2 x 12 mm) at 96 CSS pixels per inch.
A4_WIDTH = round((210 - 24) / 25.4 * 96)
PHONE = 390


def load(browser, built, page: str, *, width: int = 1280, height: int = 900, media: str = "",
         mobile: bool = False) -> "DevTools":
    """Load ``page`` afresh at a given width and media; return the DevTools client."""
    tools, _, cache = browser
    cache.clear()  # the cached visit was at another width
    tools.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
               mobile=mobile)
    tools.send("Emulation.setEmulatedMedia", media=media)
    tools.events.clear()
    tools.send("Page.navigate", url=(built / page).as_uri())
    tools.wait_for("Page.loadEventFired")
    tools.drain(0.3)
    return tools


def evaluate(tools, expression: str, awaited: bool = False):
    result = tools.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=awaited)
    if "exceptionDetails" in result:
        raise RuntimeError(result["exceptionDetails"])
    return result["result"].get("value")


@pytest.fixture(scope="session")
def axe_source():
    if not AXE.exists():
        if shutil.which("npm"):
            pytest.fail(f"axe-core is missing at {AXE}: run `make axe` (make setup runs it when npm is there)")
        pytest.skip("npm is not installed, so axe-core is not either (.ci/run installs both)")
    return AXE.read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES)
def test_axe_core_finds_no_serious_or_critical_violation(browser, built, axe_source, page):
    tools = load(browser, built, page)
    evaluate(tools, axe_source)
    found = json.loads(evaluate(tools, """axe.run(document, {resultTypes: ['violations']}).then(r =>
        JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                               first: v.nodes[0] && v.nodes[0].html.slice(0, 160)}))))""",
                                awaited=True))
    print(f"axe-core on {page}: {len(found)} violations {[(v['id'], v['impact']) for v in found]}")
    serious = [v for v in found if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


@pytest.mark.parametrize("page", PAGES)
def test_no_page_is_wider_than_a_phone(browser, built, page):
    tools = load(browser, built, page, width=PHONE, height=844, mobile=True)
    wide = evaluate(tools, """JSON.stringify({page: document.documentElement.scrollWidth,
        over: Array.from(document.querySelectorAll('body *')).filter(e => {
            const r = e.getBoundingClientRect(); if (r.width === 0) return false;
            for (let a = e.parentElement; a; a = a.parentElement) {
              if (getComputedStyle(a).overflowX !== 'visible') return false; }
            return r.right > WIDTH + 1; }).slice(0, 5).map(e => e.tagName + '.' + e.className)})"""
                    .replace("WIDTH", str(PHONE)))
    wide = json.loads(wide)
    assert wide["page"] <= PHONE, wide


@pytest.mark.parametrize("page", PAGES)
def test_nothing_is_cut_when_printed_on_a4(browser, built, page):
    """Print media at the width of an A4 page: every column of every table within the page."""
    tools = load(browser, built, page, width=A4_WIDTH, height=1123, media="print")
    cut = json.loads(evaluate(tools, """JSON.stringify({page: document.documentElement.scrollWidth,
        tables: Array.from(document.querySelectorAll('table')).map(t => {
            const r = t.getBoundingClientRect();
            return {caption: t.caption ? t.caption.textContent.slice(0, 60) : '', right: r.right,
                    scroll: t.scrollWidth, width: t.clientWidth}; })
          .filter(t => t.right > WIDTH + 1 || t.scroll > t.width + 1)})""".replace("WIDTH", str(A4_WIDTH))))
    assert cut["page"] <= A4_WIDTH and cut["tables"] == [], cut
    if page == PAGES[2]:  # one page printed to PDF, kept beside the screenshots
        _, shots, _ = browser
        pdf = tools.send("Page.printToPDF", paperWidth=8.27, paperHeight=11.69, preferCSSPageSize=True)
        (shots / (page.replace("/", "__") + ".pdf")).write_bytes(__import__("base64").b64decode(pdf["data"]))


@pytest.mark.parametrize("page", PAGES)
def test_every_image_and_chart_is_described_and_every_table_captioned(browser, built, page):
    tools = load(browser, built, page)
    found = json.loads(evaluate(tools, """JSON.stringify({
        images: Array.from(document.images).map(i => i.alt),
        charts: Array.from(document.querySelectorAll('svg[role=img]')).map(s =>
            (s.getAttribute('aria-labelledby') || '').split(' ').map(id => {
                const e = document.getElementById(id); return e ? e.textContent : ''; }).join(' ')),
        tables: Array.from(document.querySelectorAll('table')).map(t => t.caption ? t.caption.textContent : ''),
        headers: Array.from(document.querySelectorAll('thead th')).filter(th => !th.hasAttribute('scope')).length,
        tips: Array.from(document.querySelectorAll('svg[role=img] g[id] > title')).length})"""))
    assert all(len(a) > 20 and "No description" not in a for a in found["images"]), found["images"]
    assert all(len(d) > 40 for d in found["charts"]), found["charts"]
    assert all(c.strip() for c in found["tables"]), found["tables"]
    assert found["headers"] == 0
    if "/" in page and not page.endswith("evidence.html"):  # a report page: charts inline, tooltips
        assert found["charts"] and found["tips"] >= len(found["charts"]), found


def test_pages_are_articles(built):
    """No code, no internal paths, the title and set in the heading: as the browser shows them."""
    out = built
    for page in PAGES[2:]:
        text = (out / page).read_text(encoding="utf-8")
        assert "<title>Notebook</title>" not in text
        assert ".staging" not in text and "PosixPath(" not in text, page
        assert "report = aidcalc.start_report" not in text, page
        assert re.search(r"<h1>.+<span class=\"set\">", text), page


def test_report_runner_renders_every_page_and_the_index_with_pages(built):
    written = [*sorted(built.glob("*/*/*.html")), built / "index.html"]
    assert len(written) > len(NOTEBOOKS)
    for page in written:
        assert pages.GENERATOR in page.read_text(encoding="utf-8"), page
