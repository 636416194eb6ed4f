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
    with tempfile.TemporaryDirectory(prefix="kaohe-cdp-", ignore_cleanup_errors=True) as profile:  # see pdf.py
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


# One line box per text node: a cell whose text is one word (no space, no punctuation) must not wrap.
_WRAPPED_WORDS = """
[...document.querySelectorAll('table td, table th')].filter(c => c.offsetParent !== null).flatMap(c => {
  const text = c.innerText.trim();
  if (!text || /[\\s，。；：、（）()·]/.test(text)) return [];
  const range = document.createRange();
  range.selectNodeContents(c);
  const vertical = getComputedStyle(c).writingMode.startsWith('vertical');
  // a new line starts where a fragment no longer overlaps the line before (superscripts overlap)
  const spans = [...range.getClientRects()].map(r => vertical ? [-r.right, -r.left] : [r.top, r.bottom])
      .sort((a, b) => a[0] - b[0]);
  let lines = 0, end = -Infinity;
  for (const [start, stop] of spans) { if (start >= end - 1) lines++; end = Math.max(end, stop); }
  return lines > 1 ? [text] : [];
})
"""
_SPLIT_LABELS = """
[...document.querySelectorAll('#summary li')].flatMap(li => {
  const out = [];
  const walker = document.createTreeWalker(li, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const re = /[^\\s，。；：、（）()·]+/g;
    let m;
    while ((m = re.exec(node.data))) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (tops.size > 1) out.push(m[0]);
    }
  }
  return out;
})
"""
_OVERALL_GRADES = """
[...document.querySelectorAll('table.ranking.overall tr')].slice(1).map(r => [r.cells[1].innerText, r.cells[4].innerText])
"""


@needs_chromium
def test_county_report_in_chromium(county_runs):
    """The county example as a director sees it: screenshot saved to build/county.png for review."""
    import base64

    outcome, history, region, folder = county_runs
    report = write_report(outcome.info, outcome.units, folder / "county.html", region_dir=region,
                          history=history).resolve()
    with tempfile.TemporaryDirectory(prefix="kaohe-cdp-", ignore_cleanup_errors=True) as profile:  # see pdf.py
        args = [*chromium_args(find_chromium(), profile), "--remote-debugging-port=0",
                "--window-size=1280,1800", "--hide-scrollbars", "about:blank"]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            cdp = DevTools(_page_ws(Path(profile) / "DevToolsActivePort"))
            for domain in ("Page", "Runtime", "Log", "Network"):
                cdp.call(f"{domain}.enable")
            cdp.events.clear()
            cdp.call("Page.navigate", url=report.as_uri())
            cdp.wait_for("Page.loadEventFired")

            def js(expression: str) -> object:
                return cdp.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"]["value"]

            summary = js("document.querySelector('#summary').innerText")
            wrapped = js(_WRAPPED_WORDS) + js(_SPLIT_LABELS)
            overall = js(_OVERALL_GRADES)
            board_rows = js("document.querySelectorAll('table.board tbody tr').length")
            shot = cdp.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                            clip={"x": 0, "y": 0, "width": 1280, "height": 1800, "scale": 1})
            # the same checks as printed: print styles, the width of an A4 page inside its margins
            cdp.call("Emulation.setEmulatedMedia", media="print")
            cdp.call("Emulation.setDeviceMetricsOverride", width=703, height=1000, deviceScaleFactor=1, mobile=False)
            wrapped += js(_WRAPPED_WORDS) + js(_SPLIT_LABELS)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    BUILD.mkdir(exist_ok=True)
    (BUILD / "county.png").write_bytes(base64.b64decode(shot["data"]))
    errors = [e for e in cdp.events if e.get("method") in ("Runtime.exceptionThrown", "Runtime.consoleAPICalled")
              or (e.get("method") == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")]
    assert errors == []
    assert "南桥镇：总分 97.05，因发生较大事故一票否决，等次为 不合格" in summary
    assert "李集镇：总分 92.38，位列第 4，超出 优秀 名额（20% × 18 = 3.6，取整为 3），评为 良好" in summary
    assert "较上期（2024）变化最大" in summary and "石桥镇" in summary
    assert board_rows == 18
    assert wrapped == []
    # the overall ranking: grades never go up again down the list, so the vetoed town comes after every 合格
    order = ["优秀", "良好", "合格", "不合格"]
    grades = [order.index(g.rstrip("※")) for _, g in overall]
    assert len(overall) == 18 and grades == sorted(grades)
    assert [name for name, _ in overall].index("南桥镇") > max(i for i, g in enumerate(grades) if g < 3)


@needs_chromium
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils (make sysdeps)")
def test_county_pdf_first_page_is_the_full_leader_summary(county_runs):
    outcome, history, region, folder = county_runs
    pdf = write_report(outcome.info, outcome.units, folder / "county.pdf", fmt="pdf", region_dir=region,
                       history=history)

    def page_text(n: int) -> str:
        return subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout

    first, second = page_text(1), page_text(2)
    assert "领导摘要" in first and "一票否决" in first and "较上期（2024）变化最大" in first
    assert "见后页" in first  # the summary's last line: it all fits on page 1
    assert "亮灯看板" in second and "领导摘要" not in second
    subprocess.run(["pdftoppm", "-r", "40", "-gray", "-f", "1", "-l", "1", str(pdf), str(folder / "p1")], check=True)
    data = _pgm_pixels(next(folder.glob("p1*.pgm")).read_bytes())
    half = len(data) // 2
    lower = sum(1 for p in data[half:int(half * 1.7)] if p < 200) / (half * 0.7)
    assert lower > 0.02, "the lower half of page 1 is (nearly) empty"
    BUILD.mkdir(exist_ok=True)
    shutil.copy(pdf, BUILD / "county.pdf")
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(BUILD / "county-page1")], check=True)


@needs_chromium
@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="needs poppler-utils (make sysdeps)")
def test_leader_summary_of_a_large_population_still_prints_on_one_page(mini_runs, tmp_path):  # noqa: F811
    """300 units, many of them vetoed, demoted or red: the summary's lists are cut, so it stays one A4 page."""
    import dataclasses

    from kaohe.engine.results import IndicatorResult

    store, info, units, region = mini_runs
    many = []
    for i in range(300):
        base = units[i % len(units)]
        red = {k: IndicatorResult(r.value, r.score, "red", r.weight) for k, r in base.indicators.items()}
        many.append(dataclasses.replace(base, unit=f"u{i:03d}", name=f"第{i:03d}号示范性综合服务中心",
                                        indicators=red if i % 2 else base.indicators,
                                        cap_grade="不称职" if i % 3 == 0 else None, band_grade="称职",
                                        grade="不称职" if i % 3 == 0 else ["优秀", "称职", "基本称职"][i % 3],
                                        quota_note="优秀" if i % 3 == 1 else None))
    (region / "templates").mkdir()
    (region / "templates" / "report.html.j2").write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>{% include "report.css" %}</style></head>'
        '<body><header><h1>{{ run.name }} · {{ run.period }} {{ t.title }}</h1><p class="meta">{{ t.period }} '
        '{{ run.period }} · {{ t.units }} {{ run.units }} · {{ t.run }} <code>{{ run.id }}</code></p>'
        '<p class="legend">{{ t.legend }}</p></header>{% include "_summary.html.j2" %}</body></html>', encoding="utf-8")
    earlier = {u.unit: dataclasses.replace(u, score=(u.score or 0) - i % 7 + 3, grade="称职") for i, u in enumerate(many)}
    pdf = write_report(info, many, tmp_path / "summary.pdf", fmt="pdf", region_dir=region,
                       history={"periods": ["2025Q1"], "units": {"2025Q1": earlier}})
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Pages: 1 " in " ".join(pages.split()) + " "
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "见后页" in text and "另有" in text and "较上期（2025Q1）变化最大" in text and "等 " in text
