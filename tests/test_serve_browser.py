"""The workspace in real headless Chromium (Playwright from pip, Debian's /usr/bin/chromium).

One test walks the flows of the issue and saves a screenshot of each page under
``build/serve-screens/`` (they are looked at when the pages change):
log in as office; open a ruleset; break it in the editor and see the error
line within 1 s; fix it and see the tests pass and the preview; change the
file on disk and see the page follow; upload a facts file with a bad cell and
see the error; upload a good one and start a run; log in as a unit and see
only its own card.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serve_support import FACTS, PASSWORD, Workspace, build

CHROMIUM = Path("/usr/bin/chromium")
SCREENS = Path(__file__).resolve().parent.parent / "build" / "serve-screens"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make sysdeps)")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Workspace, str]]:
    import uvicorn

    ws = build(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = ws.make_client().app
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield ws, f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--headless=new"])
        yield b
        b.close()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def login(browser, base: str, user: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(f"{base}/runs")
    assert "/login" in page.url
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/runs")
    return page


def test_the_workspace_in_chromium(server, browser) -> None:  # type: ignore[no-untyped-def]
    ws, base = server
    ruleset = ws.rulesets / "court" / "court.yaml"
    good = ruleset.read_text(encoding="utf-8")

    # -- office: runs, a run, a card -----------------------------------------
    page = login(browser, base, "office")
    shot(page, "01-runs")
    assert page.locator("table.list tr").count() == 2
    page.click(f"a[href='/runs/{ws.run_id}']")
    page.wait_for_selector("iframe.report")
    page.frame_locator("iframe.report").locator("h1").wait_for()
    shot(page, "02-run")
    page.goto(f"{base}/runs/{ws.run_id}/units/c03")
    assert "integrity_veto" in page.inner_text("pre.trace")
    shot(page, "03-card")

    # -- authoring: open, break, fix, preview --------------------------------
    page.goto(f"{base}/rulesets")
    shot(page, "04-rulesets")
    page.click("a[href='/ruleset?path=court/court.yaml']")
    page.wait_for_selector("#editor")
    page.select_option("#source", f"run:{ws.run_id}")
    page.click("#source-form button")
    page.wait_for_selector("table.preview")
    assert "2 个通过，0 个失败" in page.inner_text("#tests-summary")
    shot(page, "05-author")

    editor = page.locator("#editor")
    editor.fill(good.replace("formula: closed / received", "formula: clsoed / received"))
    line = next(i for i, s in enumerate(good.splitlines(), 1) if "closed / received" in s)
    page.click("#save")
    page.wait_for_selector("#save-status.ok")  # the file on disk has changed now
    started = time.monotonic()
    page.wait_for_selector(f".gutter span.bad:text-is('{line}')", timeout=1000)
    assert time.monotonic() - started < 1.0
    assert "clsoed" in page.inner_text("table.problems") and "closed" in page.inner_text("table.problems")
    shot(page, "06-author-broken")

    editor.fill(good)
    page.click("#save")
    page.wait_for_selector("#tests-summary", timeout=5000)
    assert page.locator(".gutter span.bad").count() == 0
    assert "2 个通过，0 个失败" in page.inner_text("#tests-summary")
    page.wait_for_selector("table.preview")
    shot(page, "07-author-fixed")

    # the author's own editor changes the file: the page follows within 1 s
    ruleset.write_text(good.replace("expect: {grade: 优秀}", "expect: {grade: 称职}"), encoding="utf-8")
    started = time.monotonic()
    page.wait_for_selector("#tests-summary.error", timeout=1000)
    assert time.monotonic() - started < 1.0
    assert "期望 称职，实际 优秀" in page.inner_text("#panel")
    assert "expect: {grade: 称职}" in editor.input_value()
    ruleset.write_text(good, encoding="utf-8")
    page.wait_for_selector("#tests-summary.ok", timeout=2000)

    # -- uploads: a bad cell, then a good file and a run ---------------------
    page.goto(f"{base}/uploads")
    bad = FACTS.replace("c02,刑二庭,criminal,100,80,70", "c02,刑二庭,criminal,100,80,七十")
    page.set_input_files("input[name=facts]", files=[{"name": "信访局.csv", "mimeType": "text/csv",
                                                      "buffer": bad.encode()}])
    page.fill("input[name=period]", "2025Q2")
    page.click("#upload-form button")
    page.wait_for_selector("#rejected")
    rejected = page.inner_text("#rejected")
    assert "第 3 行" in rejected and "第 6 列" in rejected and "七十" in rejected
    shot(page, "08-upload-rejected")
    page.set_input_files("input[name=facts]", files=[{"name": "2025Q2.csv", "mimeType": "text/csv",
                                                      "buffer": FACTS.encode()}])
    page.fill("input[name=period]", "2025Q2")
    page.click("#upload-form button")
    page.wait_for_selector("#start-run")
    shot(page, "09-upload")
    page.click("#start-run")
    page.wait_for_selector("iframe.report")
    assert "2025Q2" in page.inner_text("h1")
    page.close()

    # -- a unit sees only its own card ---------------------------------------
    unit = login(browser, base, "unit-a")
    shot(unit, "10-unit-runs")
    unit.click(f"a[href='/runs/{ws.run_id}/units/c01']")
    unit.wait_for_selector("article.card")
    text = unit.inner_text("main")
    assert "刑一庭" in text and "刑二庭" not in text and "c02" not in text
    shot(unit, "11-unit-card")
    response = unit.goto(f"{base}/runs/{ws.run_id}/units/c02")
    assert response is not None and response.status == 404
    shot(unit, "12-unit-404")
