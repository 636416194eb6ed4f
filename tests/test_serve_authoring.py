"""Authoring in the workspace: the rulesets list, problems, tests, coverage, preview, saving."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tests.serve_support import Workspace, build

PATH = "court/court.yaml"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return build(tmp_path)


def _file(ws: Workspace) -> Path:
    return ws.rulesets / "court" / "court.yaml"


def test_rulesets_list_shows_validation_status(ws: Workspace) -> None:
    (ws.rulesets / "court" / "broken.yaml").write_text("kaohe: 1\nid: broken\nname: x\n", encoding="utf-8")
    c = ws.client("office")
    page = c.get("/rulesets").text
    assert "court/court.yaml" in page and "court/broken.yaml" in page
    assert "有效" in page and "个错误" in page
    assert ws.client("unit-a").get("/rulesets").status_code == 403


def test_ruleset_page_runs_the_tests_and_shows_coverage(ws: Workspace) -> None:
    page = ws.client("office").get(f"/ruleset?path={PATH}").text
    assert "规则集有效" in page and "2 个通过，0 个失败" in page
    assert "integrity_veto" in page and "有测试触发" in page
    assert 'id="editor"' in page and "closure_rate" in page  # the file in the editor


def test_a_broken_ruleset_shows_line_message_hint_and_marks_the_line(ws: Workspace) -> None:
    text = _file(ws).read_text(encoding="utf-8").replace("formula: closed / received", "formula: clsoed / received")
    _file(ws).write_text(text, encoding="utf-8")
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "clsoed" in s)
    panel = ws.client("office").get(f"/ruleset/panel?path={PATH}").text
    assert f'data-error-lines="{line}"' in panel
    assert f"第 {line} 行" in panel and "clsoed" in panel and "closed" in panel  # the did-you-mean hint
    assert "测试用例" not in panel  # tests need a valid ruleset
    assert "court/court.yaml 第" in panel and str(ws.rulesets) not in panel  # named inside the folder


def test_failing_test_case_is_shown_with_expected_and_got(ws: Workspace) -> None:
    text = _file(ws).read_text(encoding="utf-8").replace("expect: {grade: 优秀}", "expect: {grade: 称职}")
    _file(ws).write_text(text, encoding="utf-8")
    panel = ws.client("office").get(f"/ruleset/panel?path={PATH}").text
    assert "1 个通过，1 个失败" in panel and "期望 称职，实际 优秀" in panel


def test_preview_on_a_stored_run_stores_nothing(ws: Workspace) -> None:
    c = ws.client("office")
    text = _file(ws).read_text(encoding="utf-8").replace("{name: 优秀, min: 90}", "{name: 优秀, min: 75}")
    _file(ws).write_text(text, encoding="utf-8")
    panel = c.get(f"/ruleset/panel?path={PATH}&source=run:{ws.run_id}").text
    assert "2025Q1" in panel and "刑一庭" in panel and "优秀 " in panel
    assert len(c.get("/api/runs").json()) == 1
    page = c.get(f"/ruleset?path={PATH}&source=run:{ws.run_id}").text
    assert f'<option value="run:{ws.run_id}" selected>' in page
    missing = c.get(f"/ruleset/panel?path={PATH}&source=run:nope").text
    assert "找不到预览数据" in missing


def test_status_changes_when_the_file_or_a_parent_changes(ws: Workspace) -> None:
    c = ws.client("office")
    before = c.get(f"/ruleset/status?path={PATH}").json()
    (ws.rulesets / "court" / "other.yaml").write_text("kaohe: 1\n", encoding="utf-8")
    middle = c.get(f"/ruleset/status?path={PATH}").json()
    assert middle["folder"] != before["folder"] and middle["file"] == before["file"]
    _file(ws).write_text(_file(ws).read_text(encoding="utf-8") + "\n", encoding="utf-8")
    after = c.get(f"/ruleset/status?path={PATH}").json()
    assert after["file"] != middle["file"]


def test_save_is_atomic_audited_and_detects_conflicts(ws: Workspace) -> None:
    c = ws.client("office")
    fp = c.get(f"/ruleset/source?path={PATH}").json()["fingerprint"]
    new = _file(ws).read_text(encoding="utf-8").replace("name: 法院考核", "name: 新法院考核")
    mode = _file(ws).stat().st_mode
    r = c.post("/ruleset/save", data={"path": PATH, "content": new, "fingerprint": fp},
               headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["saved"]
    assert _file(ws).read_text(encoding="utf-8") == new and _file(ws).stat().st_mode == mode
    assert not [p for p in _file(ws).parent.iterdir() if p.name.endswith(".tmp")]
    stale = c.post("/ruleset/save", data={"path": PATH, "content": "kaohe: 1\n", "fingerprint": fp},
                   headers={"Accept": "application/json"})
    assert stale.status_code == 409 and "已被修改" in stale.json()["message"]
    assert _file(ws).read_text(encoding="utf-8") == new
    assert "ruleset_save" in ws.client("admin").get("/admin/audit").text


def test_a_reader_never_sees_a_half_written_file(ws: Workspace) -> None:
    from kaohe.engine.serve.rulesets import save_atomically

    big_a, big_b = "a: 1\n" * 200_000, "b: 2\n" * 200_000
    target = _file(ws)
    save_atomically(target, big_a)
    seen: set[int] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.add(len(target.read_text(encoding="utf-8")))

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(20):
        save_atomically(target, big_b if i % 2 == 0 else big_a)
    stop.set()
    reader.join()
    assert seen <= {len(big_a), len(big_b)}


def test_a_failed_save_leaves_the_old_file(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    from kaohe.engine.serve import rulesets

    old = _file(ws).read_text(encoding="utf-8")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        rulesets.save_atomically(_file(ws), "kaohe: 1\n")
    assert _file(ws).read_text(encoding="utf-8") == old
    assert sorted(p.name for p in _file(ws).parent.iterdir()) == ["court.yaml"]


@pytest.mark.parametrize("path", ["../kaohe.db", "/etc/passwd", "court/../../2025Q1.csv", "../../../../etc/hostname.yaml",
                                  "court", ""])
def test_authoring_paths_cannot_leave_the_folder(ws: Workspace, path: str) -> None:
    c = ws.client("office")
    for url in (f"/ruleset?path={path}", f"/ruleset/panel?path={path}", f"/ruleset/status?path={path}",
                f"/ruleset/source?path={path}"):
        assert c.get(url).status_code == 404, url
    r = c.post("/ruleset/save", data={"path": path, "content": "x"})
    assert r.status_code == 404
    assert (ws.root / "kaohe.db").stat().st_size > 0


def test_save_needs_the_csrf_token_and_the_office_role(ws: Workspace) -> None:
    office = ws.client("office")
    office.headers.pop("X-CSRF-Token")
    assert office.post("/ruleset/save", data={"path": PATH, "content": "x"}).status_code == 403
    unit = ws.client("unit-a")
    assert unit.post("/ruleset/save", data={"path": PATH, "content": "x"}).status_code == 403
    assert unit.get(f"/ruleset?path={PATH}").status_code == 404  # it shows every unit (preview, what-if)
    assert "kaohe: 1" in _file(ws).read_text(encoding="utf-8")
