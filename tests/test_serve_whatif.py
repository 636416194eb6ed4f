"""The authoring page's what-if: the edited ruleset against the stored current run (``kaohe diff RUN --ruleset``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.serve_support import FACTS, Workspace, build

PATH = "court/court.yaml"


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return build(tmp_path)


def _file(ws: Workspace) -> Path:
    return ws.rulesets / "court" / "court.yaml"


def _edit(ws: Workspace, old: str, new: str) -> None:
    text = _file(ws).read_text(encoding="utf-8")
    assert old in text
    _file(ws).write_text(text.replace(old, new), encoding="utf-8")


def _whatif(panel: str) -> str:
    start = panel.index('<section class="whatif" id="whatif">')
    return panel[start:panel.index("</section>", start)]


def _matrix(section: str) -> list[list[str]]:
    table = section[section.index('<table class="small matrix">'):]
    table = table[:table.index("</table>")]
    return [re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row) for row in table.split("<tr>")[1:]]


def test_an_unchanged_ruleset_changes_nothing(ws: Workspace) -> None:
    panel = ws.client("office").get(f"/ruleset/panel?path={PATH}&source=run:{ws.run_id}").text
    section = _whatif(panel)
    assert f'<a href="/runs/{ws.run_id}">' in section and "与 2025Q1 的现行运行相比" in section
    assert "共 5 个单位：等次变化 0 个，排名变化 0 个，结果不变 5 个" in section
    assert 'id="whatif-none"' in section and "规则变化" not in section
    rows = _matrix(section)
    assert rows[0][:2] == ["修改前 \\ 修改后", "优秀"] and rows[-1][-1] == "5"


def test_the_what_if_shows_transitions_and_the_units_whose_grade_changes_with_causes(ws: Workspace, kaohe) -> None:  # type: ignore[no-untyped-def]
    _edit(ws, "score: {linear: {worst: 60, best: 90}}", "score: {linear: {worst: 60, best: 80}}")
    panel = ws.client("office").get(f"/ruleset/panel?path={PATH}&source=run:{ws.run_id}").text
    section = _whatif(panel)
    cli = kaohe("diff", ws.run_id, "--ruleset", str(_file(ws)), "--db", ws.db, "--json").json()
    moved = [u for u in cli["units"] if (u["old"] or {}).get("grade") != (u["new"] or {}).get("grade")]
    assert moved, "the edit must move some unit's grade"
    assert f"等次变化 {cli['summary']['grade_changed']} 个" in section
    assert f"等次变化的单位（{len(moved)} 个）" in section
    for u in moved:
        row = section[section.index(f'<span class="id">{u["unit"]}</span>'):]
        row = row[:row.index("</tr>")]
        assert f"{u['old']['grade']} → <strong>{u['new']['grade']}</strong>" in row
        assert "专家评分 +" in row  # the cause: the indicator whose scoring changed, with its share
    counts = {(t["from"], t["to"]): t["count"] for t in cli["transitions"]}
    rows = _matrix(section)
    header = rows[0][1:-1]
    for row in rows[1:-1]:
        for grade, n in zip(header, row[1:-1], strict=True):
            assert int(n) == counts.get((row[0], grade), 0), (row[0], grade)
    assert "规则变化 (1)" in section and "专家评分" in section[section.index("规则变化"):]  # in words


def test_the_what_if_follows_every_change_of_the_file(ws: Workspace) -> None:
    c = ws.client("office")
    url = f"/ruleset/panel?path={PATH}&source=run:{ws.run_id}"
    assert "等次变化 0 个" in _whatif(c.get(url).text)
    _edit(ws, "{name: 优秀, min: 90}", "{name: 优秀, min: 75}")
    changed = _whatif(c.get(url).text)
    assert "等次变化 1 个" in changed and "d01" in changed and "总分未变" in changed
    assert "等次「优秀」分数线：90 → 75" in changed
    _edit(ws, "{name: 优秀, min: 75}", "{name: 优秀, min: 90}")
    assert "等次变化 0 个" in _whatif(c.get(url).text)


def test_a_preview_on_an_upload_or_an_older_run_compares_with_the_current_run(ws: Workspace) -> None:
    c = ws.client("office")
    q1 = FACTS.replace("100,95,88", "100,96,88")
    r = c.post("/uploads", data={"ruleset": PATH, "period": "2025Q1"}, files={"facts": ("q1.csv", q1.encode())})
    upload = r.headers["location"].rsplit("/", 1)[1]
    _edit(ws, "{name: 优秀, min: 90}", "{name: 优秀, min: 75}")
    on_upload = _whatif(c.get(f"/ruleset/panel?path={PATH}&source=upload:{upload}").text)
    assert f'<a href="/runs/{ws.run_id}">' in on_upload and "等次变化 1 个" in on_upload
    newer = c.post("/api/runs", data={"ruleset": PATH, "period": "2025Q1"},
                   files={"facts": ("q1.csv", q1.encode())}).json()["run"]["id"]
    on_old_run = _whatif(c.get(f"/ruleset/panel?path={PATH}&source=run:{ws.run_id}").text)
    assert f'<a href="/runs/{newer}">' in on_old_run and f'<a href="/runs/{ws.run_id}">' not in on_old_run


def test_no_current_run_of_the_period_says_so(ws: Workspace) -> None:
    c = ws.client("office")
    r = c.post("/uploads", data={"ruleset": PATH, "period": "2025Q3"}, files={"facts": ("q3.csv", FACTS.encode())})
    upload = r.headers["location"].rsplit("/", 1)[1]
    panel = c.get(f"/ruleset/panel?path={PATH}&source=upload:{upload}").text
    assert 'id="whatif"' not in panel and "2025Q3 没有本规则集族（court）的现行运行" in panel


def test_what_the_run_cannot_give_is_a_problem_not_a_traceback(ws: Workspace) -> None:
    c = ws.client("office")
    _edit(ws, "  integrity_violations:", "  mediated: {label: 调解数, type: integer, min: 0}\n  integrity_violations:")
    facts = FACTS.replace("integrity_violations\n", "integrity_violations,mediated\n").replace(",0\n", ",0,3\n") \
        .replace(",1\n", ",1,3\n")
    r = c.post("/uploads", data={"ruleset": PATH, "period": "2025Q1"}, files={"facts": ("q1.csv", facts.encode())})
    assert r.status_code == 303, r.text
    upload = r.headers["location"].rsplit("/", 1)[1]
    panel = c.get(f"/ruleset/panel?path={PATH}&source=upload:{upload}")
    assert panel.status_code == 200
    section = _whatif(panel.text)
    assert 'class="problems"' in section and "mediated" in section and "Traceback" not in panel.text
    assert "table class=\"list preview\"" in panel.text  # the preview on the upload still shows


def test_the_api_gives_the_cli_diff_json(ws: Workspace, kaohe) -> None:  # type: ignore[no-untyped-def]
    _edit(ws, "default: {closure_rate: 60, expert_score: 40}", "default: {closure_rate: 20, expert_score: 80}")
    c = ws.client("office")
    served = c.get(f"/api/runs/{ws.run_id}/whatif?ruleset={PATH}").json()
    cli = kaohe("diff", ws.run_id, "--ruleset", str(_file(ws)), "--db", ws.db, "--json").json()
    assert served["new"].pop("source") == PATH
    cli["new"].pop("source")
    assert served == cli
    en = c.get(f"/api/runs/{ws.run_id}/whatif?ruleset={PATH}&lang=en").json()
    assert en["changes"][0]["text"] != served["changes"][0]["text"]
    assert len(ws.client("office").get("/api/runs?all=true").json()) == 1  # nothing stored


def test_api_errors_are_422_problems(ws: Workspace) -> None:
    c = ws.client("office")
    missing = c.get(f"/api/runs/{ws.run_id}/whatif")
    assert missing.status_code == 422
    assert missing.json()["error"]["problems"][0]["code"] == "serve.param.missing"
    (ws.rulesets / "court" / "broken.yaml").write_text("kaohe: 1\nid: x\n", encoding="utf-8")
    broken = c.get(f"/api/runs/{ws.run_id}/whatif?ruleset=court/broken.yaml")
    assert broken.status_code == 422 and broken.json()["error"]["exit_code"] == 1
    outside = c.get(f"/api/runs/{ws.run_id}/whatif?ruleset=../kaohe.db")
    assert outside.status_code == 422 and outside.json()["error"]["problems"][0]["code"] == "serve.no_ruleset"
    assert c.get(f"/api/runs/0000000000000000/whatif?ruleset={PATH}").status_code == 404


def test_unit_accounts_get_404_for_every_what_if_view(ws: Workspace, kaohe) -> None:  # type: ignore[no-untyped-def]
    a = ws.client("unit-a")
    for url in (f"/api/runs/{ws.run_id}/whatif?ruleset={PATH}", f"/ruleset/panel?path={PATH}&source=run:{ws.run_id}",
                f"/ruleset?path={PATH}&source=run:{ws.run_id}", f"/api/runs/{ws.run_id}/whatif"):
        r = a.get(url)
        assert r.status_code == 404, url
        assert "刑二庭" not in r.text and "c02" not in r.text
    token = kaohe("users", "token", "unit-a", "--db", ws.db).stdout.strip()
    r = ws.client().get(f"/api/runs/{ws.run_id}/whatif?ruleset={PATH}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404 and json.loads(r.text)["error"]["status"] == 404
