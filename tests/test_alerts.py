"""督办 follow-up: alerts open from the period first raised until a later run no longer raises them."""

from __future__ import annotations

import pytest

from tests.samples import MINI, Q1

RED = Q1  # c03 closes 70 of 100: red every quarter it appears like this
GREEN = Q1.replace("c03,刑三庭,criminal,100,70", "c03,刑三庭,criminal,100,90")
WITHOUT_C03 = "\n".join(line for line in Q1.splitlines() if not line.startswith("c03")) + "\n"


@pytest.fixture
def court(project):
    return project({"court/mini.yaml": MINI, "red.csv": RED, "green.csv": GREEN, "without.csv": WITHOUT_C03})


def _run(kaohe, court, facts, period, *extra):  # type: ignore[no-untyped-def]
    r = kaohe("run", court / "court/mini.yaml", "--facts", court / facts, "--period", period, "--json", *extra)
    assert r.exit_code == 0, r.stderr
    return r.json()["run"]["id"]


def _alerts(kaohe, *args) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    r = kaohe("alerts", "--json", *args)
    assert r.exit_code == 0, r.stderr
    return r.json()["alerts"]


def test_an_alert_stays_open_until_a_run_no_longer_raises_it(court, kaohe):
    _run(kaohe, court, "red.csv", "2025Q1")   # red once: red_twice not yet
    assert _alerts(kaohe) == []
    q2 = _run(kaohe, court, "red.csv", "2025Q2")   # red twice: 督办 raised
    _run(kaohe, court, "without.csv", "2025Q3")    # c03 not in the run: nothing changes
    q4 = _run(kaohe, court, "red.csv", "2025Q4")   # previous (Q3) had no c03: not raised, c03 present → cleared
    [alert] = _alerts(kaohe)
    assert (alert["unit"], alert["rule"], alert["level"]) == ("c03", "red_twice", "督办")
    assert (alert["opened"], alert["last_raised"], alert["cleared"]) == ("2025Q2", "2025Q2", "2025Q4")
    assert alert["periods_open"] == 1 and alert["status"] == "cleared" and alert["runs"] == [q2]
    assert _alerts(kaohe, "--open") == []
    q5 = _run(kaohe, court, "red.csv", "2026Q1")  # red after red: raised again, a new alert
    alerts = _alerts(kaohe)
    assert [a["opened"] for a in alerts] == ["2025Q2", "2026Q1"] and alerts[0]["id"] != alerts[1]["id"]
    assert [a["id"] for a in _alerts(kaohe, "--open")] == [alerts[1]["id"]]
    assert alerts[1]["runs"] == [q5] and q4 not in alerts[1]["runs"]


def test_periods_open_counts_the_periods_raised(court, kaohe):
    for p in ("2025Q1", "2025Q2", "2025Q3", "2025Q4"):
        _run(kaohe, court, "red.csv", p)
    [alert] = _alerts(kaohe)
    assert alert["opened"] == "2025Q2" and alert["cleared"] is None and alert["periods_open"] == 3
    _run(kaohe, court, "green.csv", "2026Q1")
    [alert] = _alerts(kaohe)
    assert alert["cleared"] == "2026Q1" and alert["periods_open"] == 3


def test_correcting_a_run_corrects_the_follow_up(court, kaohe):
    _run(kaohe, court, "red.csv", "2025Q1")
    _run(kaohe, court, "red.csv", "2025Q2")
    assert len(_alerts(kaohe, "--open")) == 1
    _run(kaohe, court, "green.csv", "2025Q2", "--reason", "刑三庭结案数更正")
    assert _alerts(kaohe) == []


def test_filters_and_the_text_table(court, kaohe, project):
    for p in ("2025Q1", "2025Q2"):
        _run(kaohe, court, "red.csv", p)
    other = project({"other/mini.yaml": MINI.replace("id: mini-court", "id: other-court")})
    for p in ("2025Q1", "2025Q2"):
        kaohe("run", other / "other/mini.yaml", "--facts", court / "red.csv", "--period", p)
    assert {a["family"] for a in _alerts(kaohe)} == {"mini-court", "other-court"}
    assert {a["family"] for a in _alerts(kaohe, "--family", "other-court")} == {"other-court"}
    assert _alerts(kaohe, "--unit", "刑三庭") == _alerts(kaohe, "--unit", "c03")
    assert _alerts(kaohe, "--unit", "c01") == []
    table = kaohe("alerts", "--open")
    assert table.exit_code == 0 and "督办" in table.stdout and "未销号" in table.stdout
    assert "no alerts" in kaohe("alerts", "--unit", "nobody", "--lang", "en").stdout


def test_a_note_of_the_measures_taken_is_kept_with_the_alert(court, kaohe, tmp_path):
    _run(kaohe, court, "red.csv", "2025Q1")
    q2 = _run(kaohe, court, "red.csv", "2025Q2")
    [alert] = _alerts(kaohe)
    r = kaohe("alerts", "note", alert["id"][:6], "已开展 6S 管理培训")
    assert r.exit_code == 0 and alert["id"] in r.stdout
    kaohe("alerts", "note", alert["id"], "每周通报结案进度")
    [again] = _alerts(kaohe)
    assert [n["text"] for n in again["notes"]] == ["已开展 6S 管理培训", "每周通报结案进度"]
    _run(kaohe, court, "red.csv", "2025Q3")  # a later run: the same alert, its notes kept
    [later] = _alerts(kaohe)
    assert later["id"] == alert["id"] and len(later["notes"]) == 2 and later["periods_open"] == 2
    report = kaohe("report", q2, "--format", "md", "--out", tmp_path / "q2.md")
    assert report.exit_code == 0
    assert "已开展 6S 管理培训" in (tmp_path / "q2.md").read_text(encoding="utf-8")
    unknown = kaohe("alerts", "note", "Azzz", "x", "--lang", "en")
    assert unknown.exit_code == 3 and "no alert `Azzz`" in unknown.stderr
    empty = kaohe("alerts", "note", alert["id"], "  ")
    assert empty.exit_code == 3 and "说明不能为空" in empty.stderr


def test_the_report_has_a_follow_up_section(court, kaohe, tmp_path):
    for p in ("2025Q1", "2025Q2", "2025Q3"):
        _run(kaohe, court, "red.csv", p)
    q4 = _run(kaohe, court, "green.csv", "2025Q4")
    assert kaohe("report", q4, "--out", tmp_path / "q4.html").exit_code == 0
    html = (tmp_path / "q4.html").read_text(encoding="utf-8")
    section = html.split('<section id="followup">', 1)[1].split("</section>", 1)[0]
    assert "督办跟踪" in section and "本期新发起 0 项，仍未销号 0 项，本期销号 1 项" in section
    assert "刑三庭" in section and "2025Q2" in section
    q3_id = kaohe("runs", "--json").json()["runs"][1]["id"]
    assert kaohe("report", q3_id, "--format", "md", "--out", tmp_path / "q3.md").exit_code == 0
    md = (tmp_path / "q3.md").read_text(encoding="utf-8")
    assert "## 督办跟踪" in md and "本期新发起 0 项，仍未销号 1 项，本期销号 0 项" in md
    assert "持续最久：刑三庭（red\\_twice）（2 期）" in md  # Markdown-escaped
    cards = kaohe("report", q3_id, "--format", "md", "--per-unit", "--out", tmp_path / "cards")
    assert cards.exit_code == 0
    assert "督办跟踪" in (tmp_path / "cards" / "刑三庭.md").read_text(encoding="utf-8")
    assert "督办跟踪" not in (tmp_path / "cards" / "刑一庭.md").read_text(encoding="utf-8")


def test_the_demo_report_follows_up_the_courts_alerts_and_rolls_up_the_year(tmp_path):
    from kaohe.engine.demo import run_demo

    lines: list[str] = []
    path = run_demo(db=f"sqlite:///{tmp_path / 'demo.db'}", out_dir=tmp_path / "reports", lang="zh",
                    echo=lines.append)
    html = path.read_text(encoding="utf-8")
    section = html.split('<section id="followup">', 1)[1].split("</section>", 1)[0]
    assert "本期新发起 1 项，仍未销号 0 项，本期销号 2 项" in section
    for name in ("民事审判三庭", "执行实施三庭", "行政审判庭"):
        assert name in section
    assert any("年度评优 2025" in line for line in lines)
    assert (tmp_path / "reports" / "shunde-court-annual-2025.html").exists()
