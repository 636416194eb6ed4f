"""The HTTP contract of ``kaohe serve`` (docs/serve.md), through the real application."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.serve_support import FACTS, Workspace, build


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return build(tmp_path)


def cli_json(kaohe, *args: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    r: CliResult = kaohe(*args)
    return json.loads(r.stdout)


def test_login_answers_303_with_an_httponly_samesite_cookie(ws: Workspace) -> None:
    c = ws.client()
    r = c.post("/login", data={"username": "office", "password": "correct horse 1"})
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "kaohe_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert c.get("/api/runs").status_code == 200


def test_every_page_and_api_needs_login(ws: Workspace) -> None:
    c = ws.client()
    for url in ("/", "/runs", f"/runs/{ws.run_id}", f"/runs/{ws.run_id}/units/c01", "/admin/audit"):
        r = c.get(url)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), url
    for url in ("/api/runs", f"/api/runs/{ws.run_id}", f"/api/runs/{ws.run_id}/units/c01/explain"):
        assert c.get(url).status_code == 401, url
    assert c.post("/api/runs", files={"facts": ("f.csv", FACTS)}, data={"ruleset": "court/court.yaml"}).status_code == 401


def test_api_run_is_the_cli_run_json(ws: Workspace, kaohe) -> None:  # type: ignore[no-untyped-def]
    c = ws.client("office")
    listed = c.get("/api/runs").json()
    assert [r["id"] for r in listed] == [ws.run_id]
    assert listed[0]["period"] == "2025Q1" and listed[0]["units"] == 5
    served = c.get(f"/api/runs/{ws.run_id}").json()
    cli = cli_json(kaohe, "run", str(ws.rulesets / "court" / "court.yaml"), "--facts", str(ws.root / "2025Q1.csv"),
                   "--period", "2025Q1", "--db", ws.db, "--json")
    assert served == cli


def test_api_runs_is_a_list_as_kaohe_runs_json(ws: Workspace, kaohe) -> None:  # type: ignore[no-untyped-def]
    c = ws.client("office")
    q1 = FACTS.replace("100,95,88", "100,96,88")
    r = c.post("/api/runs", data={"ruleset": "court/court.yaml", "period": "2025Q1", "reason": "更正刑一庭结案数"},
               files={"facts": ("q1.csv", q1.encode())})
    assert r.status_code == 201, r.text
    new = r.json()["run"]["id"]
    listed = c.get("/api/runs").json()
    assert isinstance(listed, list) and [e["id"] for e in listed] == [new]
    for query, args in (("", ()), ("?all=true", ("--all",))):
        served = c.get(f"/api/runs{query}").json()
        cli = cli_json(kaohe, "runs", "--db", ws.db, "--json", *args)["runs"]
        assert [{k: v for k, v in e.items() if k != "name"} for e in served] == cli
        assert all(e["name"].startswith("法院考核") for e in served)
    old = {e["id"]: e for e in c.get("/api/runs?all=1").json()}[ws.run_id]
    assert old["superseded_by"] == new and old["current"] is False
    assert c.get("/api/runs?all=true&period=2025Q2").json() == []
    assert [e["id"] for e in c.get("/api/runs?all=true&limit=1").json()] == [new]


@pytest.mark.parametrize(("query", "name", "zh", "en"), [
    ("limit=abc", "limit", "参数 `limit` 的值 `abc` 无效：应为整数", "parameter `limit`: `abc` is not valid: an integer is expected"),
    ("limit=0", "limit", "参数 `limit` 的值 `0` 无效：应不小于 1", "parameter `limit`: `0` is not valid: it must be at least 1"),
    ("limit=5000", "limit", "参数 `limit` 的值 `5000` 无效：应不大于 1000",
     "parameter `limit`: `5000` is not valid: it must be at most 1000"),
    ("all=maybe", "all", "参数 `all` 的值 `maybe` 无效：应为 true 或 false",
     "parameter `all`: `maybe` is not valid: true or false is expected"),
], ids=["not-a-number", "too-small", "too-big", "not-a-bool"])
def test_invalid_api_parameters_are_422_with_problems(ws: Workspace, query: str, name: str, zh: str, en: str) -> None:
    c = ws.client("office")
    r = c.get(f"/api/runs?{query}")
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["exit_code"] == 2 and len(error["problems"]) == 1
    problem = error["problems"][0]
    assert problem["code"] == "serve.param.bad" and problem["path"] == f"query.{name}"
    assert problem["message"] == zh and "docs/serve.md" in problem["hint"]
    assert c.get(f"/api/runs?{query}&lang=en").json()["error"]["problems"][0]["message"] == en


def test_explain_is_the_cli_explain_json(ws: Workspace, kaohe) -> None:  # type: ignore[no-untyped-def]
    c = ws.client("office")
    served = c.get(f"/api/runs/{ws.run_id}/units/c03/explain").json()
    cli = cli_json(kaohe, "explain", ws.run_id, "c03", "--db", ws.db, "--json")
    assert served == cli
    assert served["grade"] == "不称职" and served["fired"][0]["rule"] == "integrity_veto"


def test_a_unit_user_gets_only_its_own_unit(ws: Workspace) -> None:
    c = ws.client("unit-a")
    doc = c.get(f"/api/runs/{ws.run_id}").json()
    assert [u["unit"] for u in doc["units"]] == ["c01"]
    assert doc["run"]["id"] == ws.run_id
    assert [r["id"] for r in c.get("/api/runs").json()] == [ws.run_id]
    assert c.get(f"/api/runs/{ws.run_id}/units/c01/explain").json()["unit"] == "c01"


def test_post_runs_starts_a_run_201(ws: Workspace) -> None:
    c = ws.client("office")
    q2 = FACTS.replace("100,95,88", "100,97,90")
    r = c.post("/api/runs", data={"ruleset": "court/court.yaml", "period": "2025Q2"},
               files={"facts": ("2025Q2.csv", q2.encode(), "text/csv")})
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["run"]["period"] == "2025Q2" and len(doc["units"]) == 5
    assert doc["run"]["id"] in {x["id"] for x in c.get("/api/runs").json()}
    assert c.get(f"/api/runs/{doc['run']['id']}").json() == doc


def test_post_runs_bad_facts_422_with_the_cli_problems(ws: Workspace, kaohe) -> None:  # type: ignore[no-untyped-def]
    c = ws.client("office")
    bad = FACTS.replace("c02,刑二庭,criminal,100,80", "c02,刑二庭,criminal,100,八十")
    r = c.post("/api/runs", data={"ruleset": "court/court.yaml", "period": "2025Q2"},
               files={"facts": ("bad.csv", bad.encode(), "text/csv")})
    assert r.status_code == 422
    served = r.json()["error"]
    (ws.root / "bad.csv").write_text(bad, encoding="utf-8")
    cli = kaohe("run", str(ws.rulesets / "court" / "court.yaml"), "--facts", str(ws.root / "bad.csv"),
                "--period", "2025Q2", "--db", ws.db, "--json")
    assert cli.exit_code == 2
    expected = cli.json()["error"]
    for p in expected["problems"]:
        p["file"] = "bad.csv"
    assert served == expected
    assert served["problems"][0]["line"] == 3 and served["problems"][0]["column"] == 5
    assert len(c.get("/api/runs").json()) == 1  # nothing stored


def test_post_runs_bad_ruleset_422(ws: Workspace) -> None:
    c = ws.client("office")
    (ws.rulesets / "court" / "broken.yaml").write_text("kaohe: 1\nid: x\n", encoding="utf-8")
    r = c.post("/api/runs", data={"ruleset": "court/broken.yaml"}, files={"facts": ("f.csv", FACTS.encode())})
    assert r.status_code == 422 and r.json()["error"]["exit_code"] == 1
    assert r.json()["error"]["problems"][0]["file"].endswith("broken.yaml")
    missing = c.post("/api/runs", data={"ruleset": "court/nope.yaml"}, files={"facts": ("f.csv", FACTS.encode())})
    assert missing.status_code == 422 and missing.json()["error"]["problems"][0]["code"] == "serve.no_ruleset"
    no_file = c.post("/api/runs", data={"ruleset": "court/court.yaml"})
    assert no_file.status_code == 422 and no_file.json()["error"]["exit_code"] == 2


def test_unit_users_may_not_start_runs(ws: Workspace) -> None:
    r = ws.client("unit-a").post("/api/runs", data={"ruleset": "court/court.yaml"},
                                 files={"facts": ("f.csv", FACTS.encode())})
    assert r.status_code == 403


def test_bearer_token_needs_no_csrf_and_no_cookie(ws: Workspace, kaohe) -> None:  # type: ignore[no-untyped-def]
    r = kaohe("users", "token", "office", "--db", ws.db)
    assert r.exit_code == 0
    token = r.stdout.strip()
    assert r.stdout == token + "\n" and token.startswith("kh_")
    c = ws.client()
    h = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/runs", headers=h).status_code == 200
    q3 = FACTS.replace("100,95,88", "100,93,85")
    posted = c.post("/api/runs", headers=h, data={"ruleset": "court/court.yaml", "period": "2025Q3"},
                    files={"facts": ("q3.csv", q3.encode())})
    assert posted.status_code == 201
    assert c.get("/api/runs", headers={"Authorization": "Bearer kh_not-a-token"}).status_code == 401
    # a newer token replaces the older one
    newer = kaohe("users", "token", "office", "--db", ws.db).stdout.strip()
    assert c.get("/api/runs", headers=h).status_code == 401
    assert c.get("/api/runs", headers={"Authorization": f"Bearer {newer}"}).status_code == 200


def test_runs_and_logins_are_audited(ws: Workspace) -> None:
    c = ws.client("office")
    c.post("/api/runs", data={"ruleset": "court/court.yaml", "period": "2025Q2"},
           files={"facts": ("q2.csv", FACTS.encode())})
    ws.client().post("/login", data={"username": "office", "password": "wrong password"})
    admin = ws.client("admin")
    added = admin.post("/admin/users", data={"name": "unit-d", "role": "unit", "unit": "d01",
                                             "password": "another pw 2"})
    assert added.status_code == 303
    page = admin.get("/admin/audit").text
    for action in ("login", "run", "login_failed", "user_add"):
        assert f"audit-{action}" in page, action
    assert ws.client("office").get("/admin/audit").status_code == 403
