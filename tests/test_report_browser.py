"""The HTML report as a person sees it (headless Chromium over DevTools) and the PDF's Chinese text.

Needs Debian ``chromium``, ``fonts-noto-cjk`` and ``poppler-utils`` (``make sysdeps``,
run by ``make test``).  Saves build/report.png for review.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from kaohe.engine.report import load_history, write_report
from kaohe.engine.report.pdf import chromium_args, find_chromium
from tests.test_report import mini_runs  # noqa: F401  (fixture)

BUILD = Path(__file__).resolve().parent.parent / "build"
needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None, reason="run `make sysdeps`")


class DevTools:
    """A minimal Chrome DevTools Protocol client over one page's websocket."""

    def __init__(self, ws_url: str):
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=20)
        self.next_id = 0
        self.events: list[dict] = []  # type: ignore[type-arg]

    def call(self, method: str, **params: object) -> dict:  # type: ignore[type-arg]
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                assert "error" not in msg, msg
                return msg.get("result", {})  # type: ignore[no-any-return]
            self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 20) -> None:
        end = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            assert time.monotonic() < end, f"timed out waiting for {method}"
            self.events.append(json.loads(self.ws.recv()))


def _page_ws(port_file: Path, timeout: float = 20) -> str:
    end = time.monotonic() + timeout
    while not port_file.exists() or not port_file.read_text().strip():
        assert time.monotonic() < end, "chromium did not start"
        time.sleep(0.05)
    port = port_file.read_text().splitlines()[0]
    targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
    return next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")


@needs_chromium
def test_html_report_loads_offline_without_errors(mini_runs, tmp_path):  # noqa: F811
    store, info, units, region = mini_runs
    report = write_report(info, units, tmp_path / "report.html", region_dir=region,
                          history=load_history(store, info)).resolve()
    with tempfile.TemporaryDirectory(prefix="kaohe-cdp-") as profile:
        args = [*chromium_args(find_chromium(), profile), "--remote-debugging-port=0",
                "--window-size=1280,2000", "about:blank"]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            cdp = DevTools(_page_ws(Path(profile) / "DevToolsActivePort"))
            for domain in ("Page", "Runtime", "Log", "Network"):
                cdp.call(f"{domain}.enable")
            cdp.events.clear()
            cdp.call("Page.navigate", url=report.as_uri())
            cdp.wait_for("Page.loadEventFired")
            title = cdp.call("Runtime.evaluate", expression="document.title")["result"]["value"]
            svgs = cdp.call("Runtime.evaluate", expression="document.querySelectorAll('svg').length")
            shot = cdp.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    import base64

    BUILD.mkdir(exist_ok=True)
    (BUILD / "report.png").write_bytes(base64.b64decode(shot["data"]))
    errors = [e for e in cdp.events if e.get("method") in ("Runtime.exceptionThrown", "Runtime.consoleAPICalled")
              or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
    requests = [e["params"]["request"]["url"] for e in cdp.events if e.get("method") == "Network.requestWillBeSent"]
    assert errors == []
    assert [u for u in requests if u != report.as_uri() and not u.startswith("data:")] == []
    assert "考核结果报告" in title and svgs["result"]["value"] >= 3
    assert (BUILD / "report.png").stat().st_size > 10_000


@needs_chromium
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (make sysdeps)")
def test_pdf_shows_chinese_text(mini_runs, tmp_path):  # noqa: F811
    _, info, units, region = mini_runs
    pdf = write_report(info, units, tmp_path / "report.pdf", fmt="pdf", region_dir=region)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "考核" in text and "等级分布" in text
    subprocess.run(["pdftoppm", "-r", "60", "-gray", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True)
    page = next(tmp_path.glob("page*.pgm"))
    pixels = _pgm_pixels(page.read_bytes())
    dark = sum(1 for p in pixels if p < 128) / len(pixels)
    # Text and charts, not a blank page; tofu boxes would be outlines, and pdftotext would find no 考核.
    assert 0.005 < dark < 0.5
    BUILD.mkdir(exist_ok=True)
    shutil.copy(pdf, BUILD / "report.pdf")


def _pgm_pixels(data: bytes) -> bytes:
    """The pixel bytes of a binary (P5) 8-bit PGM file."""
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P5" and fields[3] == b"255"
    return data[pos + 1:]
