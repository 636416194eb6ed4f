"""The workspace in real headless Chromium (Playwright from pip, Debian's /usr/bin/chromium).

One test walks the flows of the issue and saves a screenshot of each page under
``build/serve-screens/`` (they are looked at when the pages change):
log in as office; publish a run; open a ruleset; break it in the editor and
see the error line within 1 s; fix it and see the tests pass, the preview and
the what-if table; edit a grade line and see the what-if follow; change the
file on disk and see the page follow; upload a facts file with a bad cell and
see the error; upload a good one and start a run; start a correction of the
published run and be asked for the reason; see the superseded run behind the
runs page's switch; log in as a unit and see only its own card.
"""

from __future__ import annotations

import re
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
    from playwright.sync_api import expect

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
    page.fill("#publish-form input[name=note]", "院务公开栏")
    page.click("#publish")
    page.wait_for_selector("#standing .badge.pub")
    assert "已公示" in page.inner_text("#standing") and page.locator("#publish-form").count() == 0
    shot(page, "02b-run-published")
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

    # what-if: the edit against the stored current run of 2025Q1, refreshed with the panel
    assert "等次变化 0 个" in page.inner_text("#whatif-summary")
    editor.fill(good.replace("{name: 优秀, min: 90}", "{name: 优秀, min: 75}"))
    page.click("#save")
    page.wait_for_selector("#whatif-summary:has-text('等次变化 1 个')", timeout=2000)
    # the poll may swap the panel in once more (the folder changed too): assertions that retry
    expect(page.locator("table.matrix")).to_have_count(1)
    moved = page.locator("table.whatif-units")
    expect(moved).to_contain_text("d01")
    expect(moved).to_contain_text("称职 → 优秀")
    expect(moved).not_to_contain_text("c02")
    shot(page, "07b-author-whatif")
    editor.fill(good)
    page.click("#save")
    page.wait_for_selector("#whatif-summary:has-text('等次变化 0 个')", timeout=2000)

    # the author's own editor changes the file: the page follows within 1 s
    ruleset.write_text(good.replace("expect: {grade: 优秀}", "expect: {grade: 称职}"), encoding="utf-8")
    started = time.monotonic()
    page.wait_for_selector("#tests-summary.error", timeout=1000)
    assert time.monotonic() - started < 1.0
    assert "期望 称职，实际 优秀" in page.inner_text("#panel")
    # the editor's text is fetched beside the panel: it may arrive a moment after the panel
    expect(editor).to_have_value(re.compile(re.escape("expect: {grade: 称职}")), timeout=1000)
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

    # -- a correction of the published 2025Q1: the reason is asked for -------
    page.goto(f"{base}/uploads")
    corrected = FACTS.replace("c02,刑二庭,criminal,100,80,70", "c02,刑二庭,criminal,100,85,70")
    page.set_input_files("input[name=facts]", files=[{"name": "2025Q1-更正.csv", "mimeType": "text/csv",
                                                      "buffer": corrected.encode()}])
    page.fill("input[name=period]", "2025Q1")
    page.click("#upload-form button")
    page.wait_for_selector("#supersede-note")
    assert "替代它必须说明原因" in page.inner_text("#supersede-note")
    page.click("#start-run")
    page.wait_for_selector("#run-problems")
    assert "替代它需要说明原因" in page.inner_text("#run-problems")
    shot(page, "09b-upload-needs-reason")
    page.fill("#reason", "更正刑二庭结案数")
    page.click("#start-run")
    page.wait_for_selector("iframe.report")
    assert "2025Q1" in page.inner_text("h1") and ws.run_id in page.inner_text("#standing")
    correction = page.url.rsplit("/", 1)[1]
    page.frame_locator("iframe.report").locator("#record").wait_for()
    assert "更正刑二庭结案数" in page.frame_locator("iframe.report").locator("#record").inner_text()
    page.frame_locator("iframe.report").locator("#record").scroll_into_view_if_needed()
    shot(page, "09c-correction")

    # -- runs: current by default, superseded ones on request ----------------
    page.goto(f"{base}/runs")
    assert page.locator(f"tr[data-run='{ws.run_id}']").count() == 0
    page.check("#show-all")
    page.click("#runs-filter button")
    page.wait_for_selector(f"tr.superseded[data-run='{ws.run_id}']")
    old_row = page.inner_text(f"tr[data-run='{ws.run_id}']")
    assert "已被替代" in old_row and "已公示" in old_row and "更正刑二庭结案数" in old_row
    shot(page, "13-runs-superseded")
    page.close()

    # -- a unit sees only its own card ---------------------------------------
    unit = login(browser, base, "unit-a")
    shot(unit, "10-unit-runs")
    assert unit.locator(f"a[href='/runs/{ws.run_id}/units/c01']").count() == 0  # superseded: behind the switch
    unit.click(f"a[href='/runs/{correction}/units/c01']")
    unit.wait_for_selector("article.card")
    text = unit.inner_text("main")
    assert "刑一庭" in text and "刑二庭" not in text and "c02" not in text
    shot(unit, "11-unit-card")
    for url in (f"{base}/runs/{correction}/units/c02", f"{base}/api/runs/{correction}/whatif?ruleset=court/court.yaml",
                f"{base}/ruleset?path=court/court.yaml&source=run:{correction}"):
        response = unit.goto(url)
        assert response is not None and response.status == 404, url
    unit.goto(f"{base}/runs/{correction}/units/c02")
    shot(unit, "12-unit-404")
