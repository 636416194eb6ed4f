"""Facts uploads: checked cell by cell, nothing kept when invalid, stored when accepted, run from."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import text

from tests.serve_support import FACTS, Workspace, build


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return build(tmp_path)


def _count(ws: Workspace) -> int:
    from kaohe.engine.serve.tables import open_database

    with open_database(ws.db).engine.connect() as conn:
        return int(conn.execute(text("select count(*) from serve_uploads")).scalar_one())


def _upload(c, name: str, data: bytes, period: str = "2025Q2"):  # type: ignore[no-untyped-def]
    return c.post("/uploads", data={"ruleset": "court/court.yaml", "period": period},
                  files={"facts": (name, data)})


def test_a_bad_cell_is_shown_with_row_and_column_and_nothing_is_kept(ws: Workspace) -> None:
    c = ws.client("office")
    bad = FACTS.replace("c02,刑二庭,criminal,100,80,70", "c02,刑二庭,criminal,100,80,七十")
    r = _upload(c, "信访局.csv", bad.encode())
    assert r.status_code == 422
    assert "未保存任何内容" in r.text and "信访局.csv" in r.text
    assert "第 3 行" in r.text and "第 6 列" in r.text and "七十" in r.text
    assert _count(ws) == 0
    assert "upload_rejected" in ws.client("admin").get("/admin/audit").text


def test_an_accepted_upload_is_stored_and_starts_a_run(ws: Workspace) -> None:
    c = ws.client("office")
    q2 = FACTS.replace("100,95,88", "100,96,89")
    r = _upload(c, "2025Q2.csv", q2.encode())
    assert r.status_code == 303
    page = c.get(r.headers["location"]).text
    import hashlib

    assert hashlib.sha256(q2.encode()).hexdigest() in page and "office" in page and "2025Q2" in page
    assert _count(ws) == 1
    upload_id = r.headers["location"].rsplit("/", 1)[1]
    assert c.get(f"/uploads/{upload_id}/file").content == q2.encode()
    started = c.post(f"/uploads/{upload_id}/run")
    assert started.status_code == 303
    run_id = started.headers["location"].rsplit("/", 1)[1]
    doc = c.get(f"/api/runs/{run_id}").json()
    assert doc["run"]["period"] == "2025Q2" and len(doc["units"]) == 5
    audit = ws.client("admin").get("/admin/audit").text
    assert "audit-upload" in audit and "audit-run" in audit
    # an upload is also a preview source of the authoring page
    panel = c.get(f"/ruleset/panel?path=court/court.yaml&source=upload:{upload_id}").text
    assert "2025Q2.csv" in panel and "刑二庭" in panel


def test_xlsx_uploads_are_checked_the_same_way(ws: Workspace) -> None:
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    for row in FACTS.strip().splitlines():
        sheet.append([int(x) if x.isdigit() else x for x in row.split(",")])
    sheet["E3"] = "很多"
    buf = io.BytesIO()
    wb.save(buf)
    r = _upload(ws.client("office"), "表.xlsx", buf.getvalue())
    assert r.status_code == 422 and "很多" in r.text and "第 3 行" in r.text and _count(ws) == 0


def test_unit_accounts_upload_only_their_own_rows_and_see_only_their_uploads(ws: Workspace) -> None:
    a = ws.client("unit-a")
    everyone = _upload(a, "all.csv", FACTS.encode())
    assert everyone.status_code == 422 and "只能上传本单位（c01）" in everyone.text and _count(ws) == 0
    own = "\n".join(FACTS.splitlines()[:2]) + "\n"
    r = _upload(a, "c01.csv", own.encode())
    assert r.status_code == 303
    upload_id = r.headers["location"].rsplit("/", 1)[1]
    assert a.get(f"/uploads/{upload_id}").status_code == 200
    assert a.post(f"/uploads/{upload_id}/run").status_code == 403  # the office starts runs
    b = ws.client("unit-b")
    for url in (f"/uploads/{upload_id}", f"/uploads/{upload_id}/file"):
        assert b.get(url).status_code == 404, url
    assert f"/uploads/{upload_id}" not in b.get("/uploads").text
    assert ws.client("office").get(f"/uploads/{upload_id}").status_code == 200


@pytest.mark.parametrize("name", ["x.exe", "facts", "../../x.csv.sh"])
def test_unsupported_files_are_refused(ws: Workspace, name: str) -> None:
    r = _upload(ws.client("office"), name, b"unit\nc01\n")
    assert r.status_code == 422 and "不支持的文件类型" in r.text and _count(ws) == 0


def test_uploads_need_csrf_and_valid_ids(ws: Workspace) -> None:
    c = ws.client("office")
    c.headers.pop("X-CSRF-Token")
    assert _upload(c, "f.csv", FACTS.encode()).status_code == 403
    assert _count(ws) == 0
    for url in ("/uploads/999", "/uploads/abc", "/uploads/1%2f..%2f..", "/uploads/-1/file"):
        assert c.get(url).status_code == 404, url


def test_too_big_uploads_are_refused(tmp_path: Path) -> None:
    ws = build(tmp_path, max_upload_bytes=100)
    r = _upload(ws.client("office"), "f.csv", FACTS.encode())
    assert r.status_code == 422 and "文件太大" in r.text and _count(ws) == 0


def test_a_run_from_an_upload_that_corrects_a_published_run_asks_for_the_reason(ws: Workspace) -> None:
    from kaohe.engine.store import Store

    c = ws.client("office")
    q1 = FACTS.replace("100,95,88", "100,96,88")
    upload_id = _upload(c, "2025Q1-更正.csv", q1.encode(), period="2025Q1").headers["location"].rsplit("/", 1)[1]
    page = c.get(f"/uploads/{upload_id}").text
    assert f"已有现行运行 {ws.run_id}" in page and 'name="reason"' in page and "必填" not in page
    assert c.post(f"/runs/{ws.run_id}/publish").status_code == 303
    page = c.get(f"/uploads/{upload_id}").text
    assert f"运行 {ws.run_id} 已于" in page and "替代原因（必填）" in page
    refused = c.post(f"/uploads/{upload_id}/run", data={"reason": "  "})
    assert refused.status_code == 422 and 'id="run-problems"' in refused.text
    assert "替代它需要说明原因" in refused.text and "--reason" in refused.text  # the CLI's own message
    assert len(Store(ws.db).list_runs(limit=10)) == 1
    started = c.post(f"/uploads/{upload_id}/run", data={"reason": "更正刑一庭结案数"})
    assert started.status_code == 303
    new = started.headers["location"].rsplit("/", 1)[1]
    info = Store(ws.db).get_run(new)
    assert info.supersedes == ws.run_id and info.reason == "更正刑一庭结案数"
    assert "更正说明" in c.get(f"/runs/{new}/report.html").text
    assert ws.client("unit-a").get(f"/uploads/{upload_id}").status_code == 404
