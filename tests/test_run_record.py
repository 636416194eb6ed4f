"""Stored runs are immutable: a new run supersedes the current one, publication, corrections,
and a run id that covers everything that decides the results."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from kaohe.engine.store import AlertRow, FiringRow, IndicatorRow, RunRow, Store, UnitRow
from tests.samples import MINI, Q1

ROOT = Path(__file__).resolve().parent.parent
Q1_FIXED = Q1.replace("c03,刑三庭,criminal,100,70", "c03,刑三庭,criminal,100,90")


@pytest.fixture
def court(project):
    return project({"court/mini.yaml": MINI, "q1.csv": Q1, "q1-fixed.csv": Q1_FIXED})


def _run(kaohe, court, *extra, facts="q1.csv"):  # type: ignore[no-untyped-def]
    return kaohe("run", court / "court/mini.yaml", "--facts", court / facts, "--period", "2025Q1", "--json", *extra)


def _counts(db: str) -> dict[str, int]:
    with Session(Store(db).engine) as s:
        return {t.__tablename__: s.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (RunRow, UnitRow, IndicatorRow, FiringRow, AlertRow)}


def test_new_facts_for_a_period_supersede_the_current_run_and_both_are_kept(court, kaohe, monkeypatch):
    from kaohe.engine.cli import output

    monkeypatch.setattr(output.out, "width", 240)
    first = _run(kaohe, court).json()
    stored_before = Store().load_units(first["run"]["id"])
    fixed = _run(kaohe, court, "--reason", "刑三庭结案数录入错误", facts="q1-fixed.csv").json()
    assert fixed["run"]["id"] != first["run"]["id"]
    assert Store().load_units(first["run"]["id"]) == stored_before  # never modified
    current = kaohe("runs", "--json").json()["runs"]
    assert [r["id"] for r in current] == [fixed["run"]["id"]]
    assert current[0]["supersedes"] == first["run"]["id"] and current[0]["reason"] == "刑三庭结案数录入错误"
    everything = {r["id"]: r for r in kaohe("runs", "--all", "--json").json()["runs"]}
    assert everything[first["run"]["id"]]["superseded_by"] == fixed["run"]["id"]
    assert everything[first["run"]["id"]]["current"] is False
    table = kaohe("runs", "--all")
    assert "已被" in table.stdout and "刑三庭结案数录入错误" in table.stdout


def test_the_same_inputs_again_reuse_the_current_run_and_force_adds_one(court, kaohe):
    a = _run(kaohe, court).json()
    assert _run(kaohe, court).json() == a
    forced = _run(kaohe, court, "--force").json()
    assert forced["run"]["id"] != a["run"]["id"] and forced["units"] == a["units"]
    again = _run(kaohe, court, "--force").json()
    assert len({a["run"]["id"], forced["run"]["id"], again["run"]["id"]}) == 3
    assert len(kaohe("runs", "--all", "--json").json()["runs"]) == 3


def test_going_back_to_earlier_facts_is_a_new_run_not_a_revived_one(court, kaohe):
    a = _run(kaohe, court).json()["run"]["id"]
    b = _run(kaohe, court, facts="q1-fixed.csv").json()["run"]["id"]
    c = _run(kaohe, court).json()["run"]["id"]
    assert len({a, b, c}) == 3
    runs = {r["id"]: r for r in kaohe("runs", "--all", "--json").json()["runs"]}
    assert runs[c]["supersedes"] == b and runs[b]["supersedes"] == a and runs[c]["current"]


def test_superseding_a_published_run_needs_a_reason_and_the_report_shows_the_correction(court, kaohe, tmp_path):
    first = _run(kaohe, court).json()["run"]["id"]
    published = kaohe("publish", first[:8])
    assert published.exit_code == 0 and "已公示" in published.stdout
    assert "已于" in kaohe("publish", first).stdout  # publishing twice says when it was
    before = _counts(f"sqlite:///{tmp_path / 'kaohe.db'}")
    refused = _run(kaohe, court, facts="q1-fixed.csv")
    assert refused.exit_code == 3
    assert refused.json()["error"]["problems"][0]["code"] == "store.published_needs_reason"
    assert _counts(f"sqlite:///{tmp_path / 'kaohe.db'}") == before  # nothing stored
    en = kaohe("run", court / "court/mini.yaml", "--facts", court / "q1-fixed.csv", "--period", "2025Q1",
               "--lang", "en")
    assert en.exit_code == 3 and "superseding it needs a reason: --reason" in en.stderr
    fixed = _run(kaohe, court, "--reason", "刑三庭结案数录入错误", facts="q1-fixed.csv").json()["run"]["id"]
    report = kaohe("report", fixed, "--format", "md", "--out", tmp_path / "fixed.md")
    assert report.exit_code == 0, report.stderr
    text = (tmp_path / "fixed.md").read_text(encoding="utf-8")
    assert f"更正说明：运行 {first} 的结果已于" in text and "原因：刑三庭结案数录入错误" in text
    assert "| 刑三庭 (c03) |" in text  # the unit whose result was corrected
    assert "| 刑一庭 (c01) |" not in text.split("## 领导摘要")[0]  # unchanged units are not listed
    html = kaohe("report", fixed, "--out", tmp_path / "fixed.html")
    assert html.exit_code == 0 and "更正说明" in (tmp_path / "fixed.html").read_text(encoding="utf-8")
    old = kaohe("report", first, "--format", "md", "--out", tmp_path / "old.md")
    assert old.exit_code == 0
    assert f"本运行已被运行 {fixed} 替代" in (tmp_path / "old.md").read_text(encoding="utf-8")
    cards = kaohe("report", fixed, "--format", "md", "--per-unit", "--out", tmp_path / "cards")
    assert cards.exit_code == 0
    c01 = (tmp_path / "cards" / "刑一庭.md").read_text(encoding="utf-8")
    assert "更正说明" in c01 and "c03" not in c01  # a unit's card shows no other unit's correction


def test_only_the_current_run_can_be_published(court, kaohe):
    first = _run(kaohe, court).json()["run"]["id"]
    _run(kaohe, court, facts="q1-fixed.csv")
    r = kaohe("publish", first, "--lang", "en")
    assert r.exit_code == 3 and "superseded by" in r.stderr
    assert kaohe("publish", "nosuchrun").exit_code == 3


# -- the run id covers everything that decides the results ----------------------------------

def _pzhen(tmp_path: Path) -> Path:
    for rel in ("rulesets/pzhen/staff.yaml", "rulesets/pzhen/staff-review.yaml", "examples/pzhen/2025H1.csv",
                "examples/pzhen/ratings.csv"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / rel, tmp_path / rel)
    return tmp_path


def test_editing_a_file_a_plugin_reads_gives_a_new_run(kaohe, tmp_path):
    root = _pzhen(tmp_path)
    args = ("run", root / "rulesets/pzhen/staff-review.yaml", "--facts", root / "examples/pzhen/2025H1.csv",
            "--json")
    first = kaohe(*args)
    assert first.exit_code == 0, first.stderr
    assert kaohe(*args).json()["run"]["id"] == first.json()["run"]["id"]
    ratings = root / "examples/pzhen/ratings.csv"
    lines = ratings.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",60"  # one rating changed
    ratings.write_text("\n".join(lines) + "\n", encoding="utf-8")
    second = kaohe(*args)
    assert second.json()["run"]["id"] != first.json()["run"]["id"]
    assert second.json()["run"]["ruleset_sha256"] == first.json()["run"]["ruleset_sha256"]
    assert second.json()["run"]["facts_sha256"] == first.json()["run"]["facts_sha256"]


def test_a_change_anywhere_in_the_extends_chain_gives_a_new_run(kaohe, tmp_path):
    root = _pzhen(tmp_path)
    args = ("run", root / "rulesets/pzhen/staff-review.yaml", "--facts", root / "examples/pzhen/2025H1.csv",
            "--json")
    first = kaohe(*args).json()["run"]["id"]
    parent = root / "rulesets/pzhen/staff.yaml"
    text = parent.read_text(encoding="utf-8")
    parent.write_text("# 只改注释和空行\n\n" + text, encoding="utf-8")
    assert kaohe(*args).json()["run"]["id"] == first  # formatting decides nothing
    assert "\nbonus_limit: 2\n" in text
    parent.write_text(text.replace("\nbonus_limit: 2\n", "\nbonus_limit: 1.5\n", 1), encoding="utf-8")
    changed = kaohe(*args)
    assert changed.exit_code == 0, changed.stderr
    assert changed.json()["run"]["id"] != first


def test_another_kaohe_version_gives_a_new_run(court, kaohe, monkeypatch):
    import kaohe.engine.run as run_module

    first = _run(kaohe, court).json()["run"]["id"]
    monkeypatch.setattr(run_module, "__version__", "99.0.0")
    second = _run(kaohe, court).json()["run"]["id"]
    assert second != first
    assert Store().get_run(second).kaohe_version == "99.0.0"


def test_a_corrected_previous_period_gives_the_next_period_a_new_run(court, kaohe):
    q2 = ("run", court / "court/mini.yaml", "--facts", court / "q1.csv", "--period", "2025Q2", "--json")
    _run(kaohe, court)
    a = kaohe(*q2).json()["run"]["id"]
    assert kaohe(*q2).json()["run"]["id"] == a
    _run(kaohe, court, facts="q1-fixed.csv")  # Q1 corrected: previous.light of c03 is no longer red
    b = kaohe(*q2).json()
    assert b["run"]["id"] != a
    assert next(u for u in b["units"] if u["unit"] == "c03")["alerts"] == []
