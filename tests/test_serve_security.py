"""Security of ``kaohe serve``: unit isolation, CSRF, XSS, path traversal, sessions, lockout, tokens."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.serve_support import FACTS, PASSWORD, XSS, XSS_ATTR, Workspace, build


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return build(tmp_path, lockout_after=3, lockout_seconds=1.5)


def _second_run_without_c01(ws: Workspace) -> str:
    office = ws.client("office")
    facts = "\n".join(line for line in FACTS.splitlines() if not line.startswith("c01")) + "\n"
    r = office.post("/api/runs", data={"ruleset": "court/court.yaml", "period": "2025Q2"},
                    files={"facts": ("q2.csv", facts.encode())})
    assert r.status_code == 201
    return str(r.json()["run"]["id"])


def test_unit_a_never_sees_unit_b(ws: Workspace) -> None:
    other_run = _second_run_without_c01(ws)
    a = ws.client("unit-a")
    run = ws.run_id
    for url in (f"/runs/{run}/units/c02", f"/runs/{run}/units/c02/card.html",
                f"/api/runs/{run}/units/c02/explain", f"/runs/{run}/units/nosuch",
                f"/runs/{other_run}", f"/api/runs/{other_run}", f"/runs/{other_run}/units/c01",
                f"/api/runs/{other_run}/units/c01/explain", f"/runs/{other_run}/download/pdf",
                "/runs/0000000000000000", "/api/runs/0000000000000000"):
        assert a.get(url).status_code == 404, url
    assert other_run not in a.get("/runs").text and other_run not in a.get("/runs?all=1").text
    # the new views: the what-if shows every unit (404), publishing is the office's (403)
    for url in (f"/api/runs/{run}/whatif?ruleset=court/court.yaml", f"/ruleset/panel?path=court/court.yaml&source=run:{run}",
                f"/ruleset?path=court/court.yaml&source=run:{run}"):
        r = a.get(url)
        assert r.status_code == 404 and "c02" not in r.text, url
    assert a.post(f"/runs/{run}/publish").status_code == 403
    assert a.post(f"/api/runs/{run}/publish").status_code == 403
    assert [r["id"] for r in a.get("/api/runs?all=true").json()] == [run]
    assert [r["id"] for r in a.get("/api/runs").json()] == [run]
    # its own things answer, and never carry another unit's values
    own = a.get(f"/runs/{run}/units/c01")
    assert own.status_code == 200 and "刑二庭" not in own.text and "c02" not in own.text
    doc = a.get(f"/api/runs/{run}").json()
    assert [u["unit"] for u in doc["units"]] == ["c01"]
    assert a.get(f"/runs/{run}").headers["location"] == f"/runs/{run}/units/c01"
    md = a.get(f"/runs/{run}/download/md")
    assert md.status_code == 200 and "c01" in md.text and "c02" not in md.text and "刑二庭" not in md.text
    # the office-only pages
    for url in (f"/runs/{run}/report.html", f"/runs/{run}/analyze", "/admin/users", "/admin/audit"):
        assert a.get(url).status_code == 403, url


def test_post_without_csrf_token_is_403(ws: Workspace) -> None:
    office = ws.client("office")
    token = office.headers.pop("X-CSRF-Token")
    posts = [("/logout", {}), ("/api/runs", {"ruleset": "court/court.yaml"})]
    for url, data in posts:
        assert office.post(url, data=data).status_code == 403, url
        assert office.post(url, data={**data, "csrf_token": "forged"}).status_code == 403, url
    admin = ws.client("admin")
    admin.headers.pop("X-CSRF-Token")
    new_user = {"name": "evil", "role": "admin", "password": "password-123"}
    assert admin.post("/admin/users", data=new_user).status_code == 403
    assert admin.post("/admin/users/office/remove").status_code == 403
    assert "evil" not in admin.get("/admin/users").text
    # the right token from the form works, but not from a foreign page (Origin)
    page = admin.get("/admin/users").text
    form_token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert admin.post("/admin/users", data={**new_user, "csrf_token": form_token},
                      headers={"Origin": "http://evil.example"}).status_code == 403
    assert admin.post("/admin/users", data={**new_user, "csrf_token": form_token}).status_code == 303
    assert office.post("/logout", data={"csrf_token": token}).status_code == 303


def _pages(ws: Workspace, user: str, *extra: str) -> dict[str, str]:
    c = ws.client(user)
    run = ws.run_id
    urls = [*extra, "/runs", "/runs?all=1", f"/runs/{run}", f"/runs/{run}/report.html", f"/runs/{run}/units/c01",
            f"/runs/{run}/units/d01", f"/runs/{run}/units/c01/card.html", f"/runs/{run}/analyze",
            "/admin/users", "/admin/audit", "/login", f"/runs/{run}/download/html", f"/runs/{run}/download/md",
            "/rulesets", "/ruleset?path=court/court.yaml", f"/ruleset/panel?path=court/court.yaml&source=run:{run}",
            "/uploads", "/uploads/1"]
    out = {}
    for url in urls:
        r = c.get(url, follow_redirects=True)
        if r.status_code == 200 and r.headers["content-type"].startswith(("text/html", "text/markdown")):
            out[url] = r.text
    return out


@pytest.mark.parametrize("user", ["admin", "unit-a"])
def test_no_page_lets_unit_names_or_labels_through_as_markup(ws: Workspace, user: str) -> None:
    posted = ws.client("office").post("/uploads", data={"ruleset": "court/court.yaml", "period": "2025Q2"},
                                      files={"facts": (f"{XSS_ATTR}.csv", FACTS.encode())})
    assert posted.status_code == 303
    office = ws.client("office")
    assert office.post(f"/runs/{ws.run_id}/publish", data={"note": XSS}).status_code == 303
    q1 = FACTS.replace("100,95,88", "100,96,88")
    newer = office.post("/api/runs", data={"ruleset": "court/court.yaml", "period": "2025Q1", "reason": XSS_ATTR + XSS},
                        files={"facts": ("q1.csv", q1.encode())})
    assert newer.status_code == 201, newer.text
    ruleset = ws.rulesets / "court" / "court.yaml"  # the what-if moves d01, whose name is a payload
    ruleset.write_text(ruleset.read_text(encoding="utf-8").replace("{name: 优秀, min: 90}", "{name: 优秀, min: 75}"),
                       encoding="utf-8")
    new = newer.json()["run"]["id"]
    pages = _pages(ws, user, f"/runs/{new}", f"/runs/{new}/report.html", "/uploads/1",
                   "/ruleset/panel?path=court/court.yaml&source=upload:1")
    assert len(pages) >= (19 if user == "admin" else 4)
    if user == "admin":
        whatif = pages[f"/ruleset/panel?path=court/court.yaml&source=run:{ws.run_id}"]
        assert 'id="whatif"' in whatif and "等次变化 1 个" in whatif and "d01" in whatif
        assert "&lt;script&gt;" in pages["/runs?all=1"]  # the reason, escaped
    for url, html in pages.items():
        assert XSS not in html and "<img src=x" not in html, url
        assert "<script>alert" not in html, url
    if user == "admin":
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in pages[f"/runs/{ws.run_id}/units/c01"]


def test_every_response_carries_a_strict_content_security_policy(ws: Workspace) -> None:
    r = ws.client("office").get(f"/runs/{ws.run_id}")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0]
    assert r.headers["x-frame-options"] == "SAMEORIGIN" and r.headers["x-content-type-options"] == "nosniff"
    assert 'sandbox=""' in r.text  # the report frame runs no script whatever a template contains


@pytest.mark.parametrize("ruleset", ["../../etc/passwd", "/etc/passwd", "court/../../kaohe.db",
                                     "court/../../../../../../etc/hostname", "..%2f..%2fetc%2fpasswd",
                                     "court/court.yaml\x00.csv", "outside.yaml", "court/templates/x.yaml"])
def test_ruleset_paths_cannot_leave_the_folder(ws: Workspace, ruleset: str) -> None:
    (ws.root / "outside.yaml").write_text("kaohe: 1\n", encoding="utf-8")
    (ws.rulesets / "outside.yaml").symlink_to(ws.root / "outside.yaml")
    (ws.rulesets / "court" / "templates").mkdir()
    (ws.rulesets / "court" / "templates" / "x.yaml").write_text("kaohe: 1\n", encoding="utf-8")
    r = ws.client("office").post("/api/runs", data={"ruleset": ruleset}, files={"facts": ("f.csv", FACTS.encode())})
    assert r.status_code == 422
    assert r.json()["error"]["problems"][0]["code"] == "serve.no_ruleset"


@pytest.mark.parametrize("filename", ["../../evil.csv", "/tmp/x.csv", "..\\..\\x.csv", "a.sh", "noext"])
def test_uploaded_file_names_are_never_paths(ws: Workspace, filename: str) -> None:
    r = ws.client("office").post("/api/runs", data={"ruleset": "court/court.yaml", "period": "2025Q3"},
                                 files={"facts": (filename, FACTS.encode())})
    if filename.endswith(".csv"):
        assert r.status_code == 201
    else:
        assert r.status_code == 422 and r.json()["error"]["problems"][0]["code"] == "serve.facts_suffix"
    assert not (ws.root.parent / "evil.csv").exists() and not Path("/tmp/x.csv").exists()


def test_download_format_and_run_params_are_checked(ws: Workspace) -> None:
    c = ws.client("office")
    for url in (f"/runs/{ws.run_id}/download/..%2f..%2fkaohe.db", f"/runs/{ws.run_id}/download/exe",
                "/runs/..%2fkaohe.db", f"/runs/{ws.run_id[:6]}", "/static/../kaohe.db"):
        assert c.get(url).status_code == 404, url


def test_login_creates_a_new_session_and_kills_the_old_one(ws: Workspace) -> None:
    attacker = ws.client("unit-b")
    planted = attacker.cookies["kaohe_session"]
    victim = ws.client()
    victim.cookies.set("kaohe_session", planted, domain="testserver.local")  # fixation: the victim's browser carries the attacker's id
    r = victim.post("/login", data={"username": "office", "password": PASSWORD})
    assert r.status_code == 303
    fresh = victim.cookies["kaohe_session"]
    assert fresh != planted
    assert attacker.get("/api/me").status_code == 401  # the planted session is gone, not upgraded
    assert victim.get("/api/me").json()["name"] == "office"
    forged = ws.client()
    forged.cookies.set("kaohe_session", fresh.rsplit(".", 1)[0] + ".AAAA", domain="testserver.local")
    assert forged.get("/api/me").status_code == 401


def test_logout_and_password_change_end_sessions(ws: Workspace, kaohe) -> None:  # type: ignore[no-untyped-def]
    c = ws.client("office")
    cookie = c.cookies["kaohe_session"]
    assert c.post("/logout").status_code == 303
    replay = ws.client()
    replay.cookies.set("kaohe_session", cookie, domain="testserver.local")
    assert replay.get("/api/me").status_code == 401
    d = ws.client("admin")
    from typer.testing import CliRunner

    from kaohe.engine.cli import app

    r = CliRunner().invoke(app, ["users", "passwd", "admin", "--password-stdin", "--db", ws.db],
                           input="brand-new-pass\n")
    assert r.exit_code == 0
    assert d.get("/api/me").status_code == 401


def _expire_locks(ws: Workspace) -> None:
    """Let the lock time run out (instead of sleeping through it)."""
    import datetime as dt

    from sqlmodel import Session, select

    from kaohe.engine.serve.tables import ThrottleRow, open_database

    with Session(open_database(ws.db).engine) as s:
        for row in s.exec(select(ThrottleRow)).all():
            row.locked_until = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            s.add(row)
        s.commit()


def test_failed_logins_slow_down_then_lock(tmp_path: Path) -> None:
    ws = build(tmp_path, lockout_after=3, lockout_seconds=600, login_delay=0.2, login_delay_max=0.4)
    c = ws.client()
    timings = []
    for _ in range(3):
        t = time.perf_counter()
        assert c.post("/login", data={"username": "office", "password": "wrong!"}).status_code == 401
        timings.append(time.perf_counter() - t)
    assert timings[0] >= 0.2 and timings[1] >= 0.4
    locked = c.post("/login", data={"username": "office", "password": PASSWORD})
    assert locked.status_code == 429 and "已锁定" in locked.text and int(locked.headers["retry-after"]) > 500
    other = c.post("/login", data={"username": "admin", "password": PASSWORD})
    assert other.status_code == 303  # the lock is per account
    _expire_locks(ws)
    assert c.post("/login", data={"username": "office", "password": PASSWORD}).status_code == 303
    # unknown names are throttled the same way (the answer does not reveal which names exist)
    for _ in range(3):
        assert c.post("/login", data={"username": "nobody", "password": "x"}).status_code == 401
    assert c.post("/login", data={"username": "nobody", "password": "x"}).status_code == 429


def test_users_remove_revokes_tokens_and_sessions(ws: Workspace, kaohe) -> None:  # type: ignore[no-untyped-def]
    token = kaohe("users", "token", "office", "--db", ws.db).stdout.strip()
    api = ws.client()
    h = {"Authorization": f"Bearer {token}"}
    browser = ws.client("office")
    assert api.get("/api/runs", headers=h).status_code == 200
    assert kaohe("users", "remove", "office", "--db", ws.db).exit_code == 0
    assert api.get("/api/runs", headers=h).status_code == 401
    assert browser.get("/api/me").status_code == 401
    assert browser.get("/runs").status_code == 303


def test_login_redirect_stays_on_this_site(ws: Workspace) -> None:
    c = ws.client()
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        r = c.post("/login", data={"username": "office", "password": PASSWORD, "next": target})
        assert r.headers["location"] == "/", target
    r = c.post("/login", data={"username": "office", "password": PASSWORD, "next": f"/runs/{ws.run_id}"})
    assert r.headers["location"] == f"/runs/{ws.run_id}"


def test_login_from_a_foreign_origin_is_refused(ws: Workspace) -> None:
    r = ws.client().post("/login", data={"username": "office", "password": PASSWORD},
                         headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "kaohe_session" not in r.headers.get("set-cookie", "")


def test_xss_payloads_are_in_the_fixture(ws: Workspace) -> None:
    assert XSS in FACTS and XSS_ATTR in FACTS  # the XSS tests above are only as good as this
