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
    assert page.count("<tr>") == 3 and "2025Q1" in page and "2025Q2" in page
    only_q2 = c.get("/runs?period=2025Q2").text
    assert only_q2.count("<tr>") == 2 and f'/runs/{ws.run_id}"' not in only_q2
    assert c.get("/runs?ruleset=other").text.count("<tr>") == 0


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
