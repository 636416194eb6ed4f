"""The pages of ``kaohe serve`` (server-rendered): runs, report, unit card, analyze, downloads, admin."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tests.serve_support import FACTS, PASSWORD, Workspace, build


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return build(tmp_path)


def test_runs_list_filters_by_ruleset_and_period(ws: Workspace) -> None:
    c = ws.client("office")
    c.post("/api/runs", data={"ruleset": "court/court.yaml", "period": "2025Q2"},
           files={"facts": ("q2.csv", FACTS.encode())})
    page = c.get("/runs").text
    assert page.count("data-run=") == 2 and "2025Q1" in page and "2025Q2" in page
    only_q2 = c.get("/runs?period=2025Q2").text
    assert only_q2.count("data-run=") == 1 and f'/runs/{ws.run_id}"' not in only_q2
    assert c.get("/runs?ruleset=other").text.count("data-run=") == 0


def _rerun(c, reason: str = "", period: str = "2025Q1", change: str = "100,96,88"):  # type: ignore[no-untyped-def]
    facts = FACTS.replace("100,95,88", change)
    return c.post("/api/runs", data={"ruleset": "court/court.yaml", "period": period, "reason": reason},
                  files={"facts": ("q1.csv", facts.encode())})


def test_runs_page_lists_current_runs_and_shows_superseded_ones_on_request(ws: Workspace) -> None:
    c = ws.client("office")
    new = _rerun(c, "更正刑一庭结案数").json()["run"]["id"]
    page = c.get("/runs").text
    assert f'data-run="{new}"' in page and f'data-run="{ws.run_id}"' not in page
    assert "现行" in page and f"替代 <a href=\"/runs/{ws.run_id}\">" in page and "更正刑一庭结案数" in page
    everything = c.get("/runs?all=1").text
    row = everything[everything.index(f'<tr class="superseded" data-run="{ws.run_id}"'):]
    row = row[:row.index("</tr>")]
    assert "已被替代" in row and f'替代者 <a href="/runs/{new}">' in row and "原因：更正刑一庭结案数" in row
    created = ws.client("office").get(f"/api/runs/{new}").json()["run"]["id"]
    assert created == new
    en = c.get("/runs?all=1&lang=en").text
    assert "superseded by" in en and "show superseded runs" in en


def test_the_office_publishes_a_run_and_a_correction_needs_a_reason(ws: Workspace) -> None:
    c = ws.client("office")
    page = c.get(f"/runs/{ws.run_id}").text
    assert 'id="publish-form"' in page and "已公示" not in page
    r = c.post(f"/runs/{ws.run_id}/publish", data={"note": "院务公开栏"})
    assert r.status_code == 303 and r.headers["location"] == f"/runs/{ws.run_id}"
    page = c.get(f"/runs/{ws.run_id}").text
    assert "已公示" in page and 'id="publish-form"' not in page
    assert "已公示" in c.get("/runs").text
    assert "本结果已于" in c.get(f"/runs/{ws.run_id}/report.html").text  # the report knows it now
    refused = _rerun(c)
    assert refused.status_code == 422
    problem = refused.json()["error"]["problems"][0]
    assert problem["code"] == "store.published_needs_reason" and "需要说明原因" in problem["message"]
    corrected = _rerun(c, "更正刑一庭结案数")
    assert corrected.status_code == 201
    new = corrected.json()["run"]["id"]
    report = c.get(f"/runs/{new}/report.html").text
    assert "更正说明" in report and "更正刑一庭结案数" in report and "刑一庭" in report
    old_report = c.get(f"/runs/{ws.run_id}/report.html").text
    assert f"本运行已被运行 {new} 替代" in old_report  # the cached report followed
    assert _rerun(c, change="100,97,88").status_code == 201  # supersedes the correction, unpublished
    late = c.post(f"/runs/{new}/publish", data={})
    assert late.status_code == 422 and f"运行 {new} 已被" in late.text and "只能公示当前有效的运行" in late.text
    audit = ws.client("admin").get("/admin/audit").text
    assert "audit-publish" in audit


def test_publishing_needs_the_office_and_a_csrf_token(ws: Workspace, kaohe) -> None:  # type: ignore[no-untyped-def]
    assert ws.client("unit-a").post(f"/runs/{ws.run_id}/publish").status_code == 403
    assert ws.client("unit-a").post(f"/api/runs/{ws.run_id}/publish").status_code == 403
    office = ws.client("office")
    office.headers.pop("X-CSRF-Token")
    assert office.post(f"/runs/{ws.run_id}/publish").status_code == 403
    assert ws.client("office").post("/runs/0000000000000000/publish").status_code == 404
    token = kaohe("users", "token", "office", "--db", ws.db).stdout.strip()
    api = ws.client()
    r = api.post(f"/api/runs/{ws.run_id}/publish", headers={"Authorization": f"Bearer {token}"},
                 data={"note": "公示栏"})
    assert r.status_code == 200 and r.json()["new"] is True and r.json()["run"]["id"] == ws.run_id
    again = api.post(f"/api/runs/{ws.run_id}/publish", headers={"Authorization": f"Bearer {token}"})
    assert again.json()["new"] is False and again.json()["published_at"] == r.json()["published_at"]
    listed = api.get("/api/runs", headers={"Authorization": f"Bearer {token}"}).json()
    assert listed[0]["published_at"] == r.json()["published_at"]


def test_run_page_shows_the_report_and_downloads(ws: Workspace) -> None:
    c = ws.client("office")
    page = c.get(f"/runs/{ws.run_id}").text
    assert f'src="/runs/{ws.run_id}/report.html"' in page
    for fmt in ("html", "md", "xlsx", "pdf", "json"):
        assert f"/runs/{ws.run_id}/download/{fmt}" in page
    report = c.get(f"/runs/{ws.run_id}/report.html").text
    assert "考核结果报告" in report and "刑三庭" in report


@pytest.mark.parametrize("fmt", ["html", "md", "xlsx", "json"])
def test_downloads(ws: Workspace, fmt: str) -> None:
    r = ws.client("office").get(f"/runs/{ws.run_id}/download/{fmt}")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    if fmt == "xlsx":
        assert zipfile.is_zipfile(io.BytesIO(r.content))
    elif fmt == "json":
        assert r.json()["run"]["id"] == ws.run_id and len(r.json()["units"]) == 5
    else:
        assert "刑三庭" in r.text


def test_unit_card_with_trace_and_history(ws: Workspace) -> None:
    c = ws.client("office")
    q2 = FACTS.replace("c03,刑三庭,criminal,100,70,65,1", "c03,刑三庭,criminal,100,90,85,0")
    c.post("/api/runs", data={"ruleset": "court/court.yaml", "period": "2025Q2"},
           files={"facts": ("q2.csv", q2.encode())})
    page = c.get(f"/runs/{ws.run_id}/units/c03").text
    assert "刑三庭" in page and "不称职" in page
    assert "基础分 = Σ权重×得分" in page and "integrity_veto" in page  # the explain trace
    assert "历次结果" in page and "2025Q2" in page
    en = c.get(f"/runs/{ws.run_id}/units/c03?lang=en").text
    assert "base score = Σ weight×score" in en and "Earlier results" in en


def test_language_switch_is_remembered(ws: Workspace) -> None:
    c = ws.client("office")
    assert "运行记录" in c.get("/runs").text
    r = c.get("/lang/en?next=/runs")
    assert r.status_code == 303 and r.headers["location"] == "/runs"
    assert "Runs" in c.get("/runs").text and "运行记录" not in c.get("/runs").text


def test_analyze_page(ws: Workspace) -> None:
    page = ws.client("office").get(f"/runs/{ws.run_id}/analyze").text
    assert "Pearson" in page and "closure_rate" in page


def test_admin_adds_and_removes_users(ws: Workspace) -> None:
    admin = ws.client("admin")
    r = admin.post("/admin/users", data={"name": "d1", "role": "unit", "unit": "d01", "password": PASSWORD})
    assert r.status_code == 303
    assert ws.client("d1") is not None  # can sign in
    bad = admin.post("/admin/users", data={"name": "d2", "role": "unit", "password": "password-9"})
    assert bad.status_code == 422 and "必须用 --unit" in bad.text
    assert admin.post("/admin/users/d1/remove").status_code == 303
    assert "d1" not in admin.get("/admin/users").text
    assert admin.post("/admin/users/ghost/remove").status_code == 422


def test_unknown_pages_are_404_pages(ws: Workspace) -> None:
    r = ws.client("office").get("/nothing/here")
    assert r.status_code == 404 and "找不到" in r.text
