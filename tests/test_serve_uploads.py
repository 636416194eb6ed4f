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


SOURCES = {"received": "审判管理办", "closed": "审判管理办", "expert": "专家组", "integrity_violations": "纪检组"}


def _fill_form(path: Path, values: dict[str, dict[str, str]], target: Path) -> None:
    """Fill a ``kaohe form`` workbook as the departments would: every input column of every sheet."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    filled = 0
    for name in wb.sheetnames:
        ws = wb[name]
        if ws.sheet_state != "visible" or ws.cell(1, 1).value != "unit":
            continue
        for col in range(5, ws.max_column + 1):
            fact = str(ws.cell(1, col).value)
            if fact.startswith("#"):  # a grey reference column of the last period
                continue
            for row in range(3, ws.max_row + 1):
                ws.cell(row, col).value = values[str(ws.cell(row, 1).value)][fact]
                filled += 1
    assert filled == 5 * 4
    wb.save(target)


def test_a_filled_kaohe_form_uploads_and_runs_like_the_same_csv(ws: Workspace, kaohe) -> None:  # type: ignore[no-untyped-def]
    import csv

    from openpyxl import load_workbook

    ruleset = ws.rulesets / "court" / "court.yaml"
    text = ruleset.read_text(encoding="utf-8")
    for fact, source in SOURCES.items():
        line = next(x for x in text.splitlines() if x.startswith(f"  {fact}: {{"))
        text = text.replace(line, line[:-1] + f", source: {source}}}")
    ruleset.write_text(text, encoding="utf-8")
    form = ws.root / "填报表.xlsx"
    made = kaohe("form", str(ruleset), "--run", ws.run_id, "--out", str(form), "--db", ws.db)
    assert made.exit_code == 0, made.stderr
    sheets = load_workbook(form).sheetnames
    assert sheets == ["填报说明", "审判管理办", "专家组", "纪检组", "_kaohe"]
    assert "#上期.received" in [c.value for c in load_workbook(form)["审判管理办"][1]]  # reference columns
    q2 = FACTS.replace("100,95,88", "100,97,91").replace("100,60,50", "100,66,58")
    rows = {r["unit"]: {k: int(v) for k, v in r.items() if k in SOURCES} for r in csv.DictReader(io.StringIO(q2))}
    _fill_form(form, rows, ws.root / "filled.xlsx")

    c = ws.client("office")
    r = c.post("/uploads", data={"ruleset": "court/court.yaml", "period": ""},
               files={"facts": ("填报表-已填.xlsx", (ws.root / "filled.xlsx").read_bytes())})
    assert r.status_code == 303, r.text
    page = c.get(r.headers["location"]).text
    assert "2025Q2" in page and "填报表-已填.xlsx" in page
    started = c.post(r.headers["location"] + "/run")
    assert started.status_code == 303
    served = c.get(f"/api/runs/{started.headers['location'].rsplit('/', 1)[1]}").json()
    (ws.root / "q2.csv").write_text(q2, encoding="utf-8")
    cli = kaohe("run", str(ruleset), "--facts", str(ws.root / "q2.csv"), "--period", "2025Q2",
                "--db", f"sqlite:///{ws.root / 'csv.db'}", "--json").json()
    assert served["run"]["period"] == "2025Q2" and served["units"] == cli["units"]

    bad = {**rows, "c02": {**rows["c02"], "closed": "八十"}}
    _fill_form(form, bad, ws.root / "bad.xlsx")
    rejected = c.post("/uploads", data={"ruleset": "court/court.yaml", "period": ""},
                      files={"facts": ("填报表-有误.xlsx", (ws.root / "bad.xlsx").read_bytes())})
    assert rejected.status_code == 422
    assert "填报表-有误.xlsx[审判管理办]" in rejected.text and "第 4 行" in rejected.text and "八十" in rejected.text
    assert _count(ws) == 1


def test_an_upload_is_checked_by_the_ruleset_checks_as_kaohe_run_does(ws: Workspace) -> None:
    ruleset = ws.rulesets / "court" / "court.yaml"
    ruleset.write_text(ruleset.read_text(encoding="utf-8").replace(
        "indicators:", "checks:\n  - when: closed > received\n    message: 结案数不能多于收案数\nindicators:", 1),
        encoding="utf-8")
    bad = FACTS.replace("c02,刑二庭,criminal,100,80,70", "c02,刑二庭,criminal,100,180,70")
    r = _upload(ws.client("office"), "q2.csv", bad.encode())
    assert r.status_code == 422 and "结案数不能多于收案数" in r.text and "c02" in r.text and _count(ws) == 0
