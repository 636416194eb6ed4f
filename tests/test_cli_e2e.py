"""End to end through the CLI on a small court ruleset; every expected number by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.samples import MINI, Q1


@pytest.fixture
def court(project):
    return project({"court/mini.yaml": MINI, "q1.csv": Q1,
                    "q2.csv": Q1.replace("c03,刑三庭,criminal,100,70", "c03,刑三庭,criminal,100,71")})


def units_by_id(doc):
    return {u["unit"]: u for u in doc["units"]}


def test_run_json_matches_hand_computation(court, kaohe):
    r = kaohe("run", court / "court/mini.yaml", "--facts", court / "q1.csv", "--period", "2025Q1", "--json")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    assert doc["run"]["ruleset"] == "mini-court" and doc["run"]["period"] == "2025Q1"
    assert doc["run"]["units"] == 6 and doc["ties"] == []
    u = units_by_id(doc)
    # c01: closure 0.95 -> 100 (green), expert 81 -> 100; base 100; +2 bonus -> 102, 优秀
    assert u["c01"]["base_score"] == 100 and u["c01"]["points"] == 2 and u["c01"]["score"] == 102
    assert u["c01"]["grade"] == "优秀" and u["c01"]["rank"] == 1 and u["c01"]["fired"] == ["innovation_bonus"]
    # c02: closure 0.99 -> score 100 but light yellow (above the green band); quota: 1 place of 5 -> 称职
    assert u["c02"]["indicators"]["closure_rate"]["light"] == "yellow"
    assert u["c02"]["score"] == 100 and u["c02"]["grade"] == "称职" and u["c02"]["rank"] == 2
    # c03: closure 0.70 -> 100*0.1/0.35 = 28.5714285714, red; expert 72.6 -> exactly 60, yellow
    ind = u["c03"]["indicators"]
    assert ind["closure_rate"]["score"] == pytest.approx(28.5714285714, abs=1e-9)
    assert ind["closure_rate"]["light"] == "red"
    assert ind["expert_score"]["score"] == 60.0 and ind["expert_score"]["light"] == "yellow"
    assert u["c03"]["base_score"] == pytest.approx(0.6 * 200 / 7 + 24, abs=1e-6)
    assert u["c03"]["grade"] == "不称职" and u["c03"]["rank"] == 5
    # c04: base 0.6*600/7 + 0.4*500/7 = 80 (称职) but vetoed -> 不称职
    assert u["c04"]["base_score"] == pytest.approx(80, abs=1e-9)
    assert u["c04"]["grade"] == "不称职" and u["c04"]["notes"] == ["发生违纪违法问题"]
    assert u["c04"]["fired"] == ["integrity_veto"] and u["c04"]["rank"] == 4
    # c05: 0.6*80 + 0.4*600/7 = 82.2857142857
    assert u["c05"]["base_score"] == pytest.approx(48 + 240 / 7, abs=1e-6) and u["c05"]["grade"] == "称职"
    # d01 (civil weights 70/30): 0.7*100 + 0.3*0 = 70 -> 称职 at the boundary
    assert u["d01"]["base_score"] == 70 and u["d01"]["grade"] == "称职" and u["d01"]["rank"] == 1
    assert u["d01"]["indicators"]["closure_rate"]["weight"] == 70


def test_previous_period_feeds_red_twice_alert(court, kaohe):
    assert kaohe("run", court / "court/mini.yaml", "--facts", court / "q1.csv", "--period", "2025Q1").exit_code == 0
    r = kaohe("run", court / "court/mini.yaml", "--facts", court / "q2.csv", "--period", "2025Q2", "--json")
    assert r.exit_code == 0, r.stderr
    u = units_by_id(r.json())
    assert u["c03"]["alerts"] == ["督办"] and "red_twice" in u["c03"]["fired"]
    assert u["c05"]["alerts"] == []


def test_rerun_is_idempotent_and_force_reruns(court, kaohe):
    args = ("run", court / "court/mini.yaml", "--facts", court / "q1.csv", "--period", "2025Q1", "--json")
    first, second = kaohe(*args), kaohe(*args)
    assert first.stdout == second.stdout
    forced = kaohe(*args, "--force").json()
    assert forced["run"]["id"] != first.json()["run"]["id"]  # a new run; the stored one is never changed
    assert forced["units"] == first.json()["units"]
    runs = kaohe("runs", "--json").json()["runs"]
    assert [r["id"] for r in runs] == [forced["run"]["id"]]
    assert len(kaohe("runs", "--all", "--json").json()["runs"]) == 2


def test_row_order_does_not_change_results(court, kaohe, tmp_path):
    lines = Q1.strip().splitlines()
    shuffled = "\n".join([lines[0], *reversed(lines[1:])]) + "\n"
    (tmp_path / "shuffled.csv").write_text(shuffled, encoding="utf-8")
    a = kaohe("run", court / "court/mini.yaml", "--facts", court / "q1.csv", "--period", "2025Q1", "--json")
    b = kaohe("run", court / "court/mini.yaml", "--facts", tmp_path / "shuffled.csv", "--period", "2025Q1",
              "--json", "--db", f"sqlite:///{tmp_path / 'other.db'}")
    assert a.json()["units"] == b.json()["units"]


def test_explain_shows_every_number(court, kaohe):
    run = kaohe("run", court / "court/mini.yaml", "--facts", court / "q1.csv", "--period", "2025Q1", "--json").json()
    r = kaohe("explain", run["run"]["id"][:8], "c04")
    assert r.exit_code == 0, r.stderr
    for fragment in ("结案率", "closed / received", "0.9", "85.7143", "integrity_veto", "不称职", "80"):
        assert fragment in r.stdout
    en = kaohe("explain", run["run"]["id"], "c04", "--lang", "en")
    assert "capped at 不称职" in en.stdout


@pytest.mark.parametrize(
    "edit, code, fragment",
    [
        (("closure_rate: 60, expert_score: 40", "closure_rate: 60, expert_score: 30"), 1, "mini.yaml:"),
        (("formula: closed / received", "formula: __import__('os').system('touch pwned')"), 1, "mini.yaml:"),
        (("formula: closed / received", "formula: clsoed / received"), 1, "closed"),
        (("cap_grade: 不称职", "cap_grade: 不合格"), 1, "不称职"),
    ],
    ids=["weights-not-100", "import-injection", "typo-did-you-mean", "unknown-cap-grade"],
)
def test_bad_ruleset_exits_1_with_location(court, kaohe, edit, code, fragment):
    path = court / "court/mini.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(*edit), encoding="utf-8")
    r = kaohe("run", path, "--facts", court / "q1.csv", "--period", "2025Q1")
    assert r.exit_code == code
    assert fragment in r.stderr and "Traceback" not in r.stderr + r.stdout
    assert not (court / "pwned").exists()


def test_bad_facts_exit_2_and_store_nothing(court, kaohe):
    bad = Q1.replace("c02,刑二庭,刑事审判庭,100,99", "c02,刑二庭,刑事审判庭,100,九十九")
    bad = bad.replace("d01,民一庭,civil", "d01,民一庭,family")
    (court / "bad.csv").write_text(bad, encoding="utf-8")
    r = kaohe("run", court / "court/mini.yaml", "--facts", court / "bad.csv", "--period", "2025Q1")
    assert r.exit_code == 2
    assert "bad.csv" in r.stderr and "九十九" in r.stderr and "family" in r.stderr
    assert kaohe("runs", "--json").json()["runs"] == []


def test_validate_and_english_errors(court, kaohe):
    assert kaohe("validate", court / "court/mini.yaml").exit_code == 0
    path = court / "court/mini.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("expert_score: 40", "expert_score: 30"), encoding="utf-8")
    r = kaohe("validate", path, "--lang", "en")
    assert r.exit_code == 1 and "100" in r.stderr


def test_schema_is_json(kaohe):
    r = kaohe("schema")
    assert r.exit_code == 0 and "indicators" in json.loads(r.stdout)["properties"]


def test_installed_console_script_runs(court):
    from tests.conftest import run_cli

    r = run_cli("run", "court/mini.yaml", "--facts", "q1.csv", "--period", "2025Q1", "--json",
                "--db", f"sqlite:///{Path(court) / 'sub.db'}", cwd=court)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["run"]["units"] == 6


def test_explain_says_how_many_quota_places_there_were(court, kaohe):
    run = kaohe("run", court / "court/mini.yaml", "--facts", court / "q1.csv", "--period", "2025Q1", "--json").json()
    zh = kaohe("explain", run["run"]["id"], "c02").stdout
    assert "floor(20% × 5 个单位) = 1 个" in zh
    en = kaohe("explain", run["run"]["id"], "c02", "--lang", "en").stdout
    assert "floor(20% × 5 units) = 1 place(s)" in en


def test_explain_names_the_units_of_an_unresolved_tie(court, kaohe):
    tied = Q1.replace("c01,刑一庭,criminal,100,95,81,0,1", "c01,刑一庭,criminal,100,99,81,0,0")
    (court / "tied.csv").write_text(tied, encoding="utf-8")
    run = kaohe("run", court / "court/mini.yaml", "--facts", court / "tied.csv", "--period", "2025Q1", "--json").json()
    assert [t["units"] for t in run["ties"]] == [["c01", "c02"]]
    text = kaohe("explain", run["run"]["id"], "c01", "--lang", "en").stdout
    assert "tied with c02" in text and "none takes the place" in text
