"""The HTML report: built from the demo warehouse, escaped, self-contained, rendered by Chromium."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fixtures.stories import support
from typer.testing import CliRunner

from pipeline.analysis.report import ReportInput, build_report
from pipeline.cli import app
from pipeline.warehouse import connect

SPEC = ReportInput(
    date_from=date(2025, 5, 12),
    date_to=date(2025, 5, 20),
    generated_at=datetime(2025, 5, 21, tzinfo=UTC),
)
HOSTILE = '<script>alert("outlet")</script>'
HOSTILE_TITLE = '"><img src=x onerror=alert(1)> Istanbul talks'


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, pool: Executor) -> Path:
    return support.demo_db(tmp_path_factory.mktemp("demo"), pool)


@pytest.fixture(scope="session")
def hostile(demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo warehouse plus an outlet whose names, titles and URLs are attacks."""
    db = support.copy_db(demo, tmp_path_factory.mktemp("hostile"))
    with connect(db) as con:
        con.execute(
            "INSERT INTO articles BY NAME SELECT * REPLACE ("
            " 'hostile' || article_id[8:] AS article_id, ? AS outlet, ? AS title,"
            " 'javascript:alert(1)' AS url, published_at - INTERVAL 1 MINUTE AS published_at)"
            " FROM articles WHERE title ILIKE 'Russia and Ukraine meet%'",
            [HOSTILE, HOSTILE_TITLE],
        )
        con.execute(
            "INSERT INTO story_articles BY NAME SELECT * REPLACE ("
            " (SELECT article_id FROM articles WHERE outlet = ?) AS article_id)"
            " FROM story_articles WHERE article_id = (SELECT article_id FROM articles"
            "  WHERE title ILIKE 'Russia and Ukraine meet%')",
            [HOSTILE],
        )
        con.execute(
            "UPDATE stories SET title = ? WHERE story_id = (SELECT story_id FROM story_articles"
            " JOIN articles USING (article_id) WHERE outlet = ?)",
            [HOSTILE_TITLE, HOSTILE],
        )
        con.execute("UPDATE feeds SET last_error = ? WHERE last_error IS NOT NULL", [HOSTILE])
    return db


def test_report_escapes_hostile_text_and_loads_nothing_from_outside(hostile: Path) -> None:
    with connect(hostile, read_only=True) as con:
        page = build_report(con, SPEC)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert html_escaped(HOSTILE) in page and html_escaped(HOSTILE_TITLE) in page
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith(("http://", "https://")) for h in hrefs)
    assert "javascript:" not in " ".join(hrefs)
    # Nothing is fetched: no src attributes, stylesheets or CSS url() references.
    tags = re.findall(r"<[a-zA-Z][^>]*>", page)
    assert not [t for t in tags if re.search(r"\ssrc=|^<link\b|url\(", t)]
    assert "url(" not in page
    assert page.count("<svg") >= 2


def html_escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def test_report_cli_writes_the_file_and_rejects_bad_periods(demo: Path, tmp_path: Path) -> None:
    env = {"NEWSDESK_DB": str(demo)}
    out = tmp_path / "r.html"
    args = ["report", "--from", "2025-05-12", "--to", "2025-05-20", "--out", str(out)]
    ok = CliRunner().invoke(app, args, env=env)
    assert ok.exit_code == 0, ok.output
    assert "Russia-Ukraine" in out.read_text(encoding="utf-8")
    conflict = CliRunner().invoke(app, [*args, "--conflict", "sudan"], env=env)
    assert conflict.exit_code == 0, conflict.output
    with connect(demo, read_only=True) as con:
        row = con.execute(
            "SELECT count(*) FROM article_tags WHERE kind = 'conflict' AND value = 'Sudan'"
        ).fetchone()
    sudan = out.read_text(encoding="utf-8")
    assert row is not None and f'<div class="card"><b>{row[0]}</b>articles</div>' in sudan
    assert "Russia-Ukraine" not in sudan
    inverted = CliRunner().invoke(
        app, ["report", "--from", "2025-05-20", "--to", "2025-05-12", "--out", str(out)], env=env
    )
    assert inverted.exit_code == 2 and "before --from" in inverted.output
    bad = CliRunner().invoke(app, ["report", "--from", "May", "--to", "2025-05-12"], env=env)
    assert bad.exit_code == 2 and bad.output.strip().count("\n") == 0


# --- a real headless Chromium, driven over the DevTools protocol -------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class DevTools:
    """A minimal DevTools-protocol client: one page session over the browser's websocket."""

    def __init__(self, ws_url: str) -> None:
        from websockets.sync.client import connect as ws_connect

        # Closed explicitly by `chromium()` below, hence not a context manager.
        self.ws = ws_connect(ws_url, max_size=64 * 2**20, legacy=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv(timeout=30))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def page(self, method: str, **params: Any) -> dict[str, Any]:
        return self.call(method, session=True, **params)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(method)
            self.events.append(json.loads(self.ws.recv(timeout=timeout)))

    def evaluate(self, expression: str) -> Any:
        result = self.page(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")


@contextmanager
def chromium(profile: Path) -> Iterator[DevTools]:
    assert CHROMIUM is not None
    proc = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--window-size=1280,2000",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chromium did not start (exit {proc.poll()})")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        tools = DevTools(f"ws://127.0.0.1:{port}{path}")
        try:
            yield tools
        finally:
            tools.ws.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(demo: Path, tmp_path: Path) -> None:
    pytest.importorskip("websockets.sync.client", reason="websockets is not installed")
    report = tmp_path / "report.html"
    with connect(demo, read_only=True) as con:
        report.write_text(build_report(con, SPEC), encoding="utf-8")
    with chromium(tmp_path / "profile") as tools:
        for domain in ("Page", "Runtime", "Log", "Network"):
            tools.page(f"{domain}.enable")
        tools.page("Emulation.setDeviceMetricsOverride", width=1280, height=2000,
                   deviceScaleFactor=1, mobile=False)  # fmt: skip
        tools.page("Page.navigate", url=report.as_uri())
        tools.wait_for("Page.loadEventFired")
        charts = tools.evaluate(
            "Array.from(document.querySelectorAll('svg.chart')).map(s => {"
            " const r = s.getBoundingClientRect();"
            " return [r.width, r.height, s.querySelectorAll('polyline, rect.bar').length]; })"
        )
        shot = tools.page("Page.captureScreenshot", format="png")["data"]
        # Chromium decodes its own screenshot on a canvas: how varied are the pixels?
        stats = tools.evaluate(
            "new Promise(done => { const img = new Image(); img.onload = () => {"
            " const c = document.createElement('canvas'); c.width = img.width;"
            " c.height = img.height; const g = c.getContext('2d'); g.drawImage(img, 0, 0);"
            " const d = g.getImageData(0, 0, c.width, c.height).data; let n = 0, s = 0, q = 0;"
            " const colours = new Set();"
            " for (let i = 0; i < d.length; i += 4) { const v = (d[i] + d[i+1] + d[i+2]) / 3;"
            "  n++; s += v; q += v * v; if (i % 64 === 0) colours.add(d[i] << 16 | d[i+1] << 8"
            "  | d[i+2]); }"
            " done({width: c.width, height: c.height, variance: q / n - (s / n) ** 2,"
            "  colours: colours.size}); };"
            f" img.src = 'data:image/png;base64,{shot}'; }})"
        )
        errors = [
            e
            for e in tools.events
            if (e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error")
            or e.get("method") == "Runtime.exceptionThrown"
            or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
        ]
        requests = [
            e["params"]["request"]["url"]
            for e in tools.events
            if e.get("method") == "Network.requestWillBeSent"
        ]
    (tmp_path / "report.png").write_bytes(base64.b64decode(shot))
    assert errors == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    assert len(charts) == 2
    for width, height, marks in charts:
        assert width > 300 and height > 100 and marks > 0
    assert stats["width"] == 1280 and stats["height"] >= 1000
    assert stats["variance"] > 100 and stats["colours"] > 10, stats
