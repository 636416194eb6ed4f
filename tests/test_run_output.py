"""`kaohe run` output at scale: the streamed JSON keeps the contract's bytes, people get a summary.

The streamed document must be byte-for-byte what ``json.dumps(doc,
ensure_ascii=False, indent=2)`` wrote before streaming (keys, numbers,
order), for fresh and for re-used runs, across chunk boundaries, with
missing values and with numbers that orjson would spell differently.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from kaohe.engine import runjson
from kaohe.engine.run import RunOutcome, run
from tests.samples import REGION_RUNS

ROOT = Path(__file__).resolve().parent.parent


def _legacy(outcome: RunOutcome) -> bytes:
    return (json.dumps(outcome.as_json(), ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode()


def _streamed(outcome: RunOutcome) -> bytes:
    buf = io.BytesIO()
    outcome.write_json(buf)
    return buf.getvalue()


@pytest.mark.parametrize("ruleset_rel", sorted(REGION_RUNS))
def test_streamed_json_is_byte_identical_for_every_example(ruleset_rel: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runjson, "CHUNK", 7)  # several chunks even for small examples
    monkeypatch.setattr(runjson, "COLUMN_CHUNK", 5)
    db = f"sqlite:///{tmp_path}/k.db"
    for entry in REGION_RUNS[ruleset_rel]:  # later periods fire previous.-rules (alerts, notes)
        # an entry is one file, or several departments' files joined by unit
        facts = ([ROOT / "examples" / f for f in entry] if isinstance(entry, tuple) else ROOT / "examples" / entry)
        fresh = run(ROOT / "rulesets" / ruleset_rel, facts, db=db)
        assert not fresh.reused
        assert _streamed(fresh) == _legacy(fresh)
        again = run(ROOT / "rulesets" / ruleset_rel, facts, db=db)
        assert again.reused and again.evaluation is None
        assert _streamed(again) == _streamed(fresh)


TINY = """
kaohe: 1
id: tiny
name: 微小数值
period: year
categories: {a: {label: 甲类}}
facts:
  x: {label: 数量, type: number}
  y: {label: 基数, type: number, required: false}
indicators:
  ratio:
    label: 比率
    formula: x / y
    score: {linear: {worst: 0, best: 0.0001}}
  plain:
    label: 数量
    formula: x
    score: {linear: {worst: 0, best: 100}}
weights: {default: {ratio: 50, plain: 50}}
grades: [{name: 优秀, min: 90, quota: 50%}, {name: 一般}]
tests:
  - {name: t, category: a, facts: {x: 1, y: 100000}, expect: {indicators: {ratio: 0.00001}}}
"""


def test_numbers_orjson_would_spell_differently_and_missing_values(project, monkeypatch) -> None:
    monkeypatch.setattr(runjson, "CHUNK", 2)
    monkeypatch.setattr(runjson, "COLUMN_CHUNK", 2)
    rows = ["unit,name,period,x,y", "a1,一,2025,1,100000", "a2,二,2025,3,0", "a3,三,2025,5,",
            "a4,四,2025,50,1", "a5,五,2025,0.0000123,1"]
    root = project({"r.yaml": TINY, "f.csv": "\n".join(rows) + "\n"})
    outcome = run(root / "r.yaml", root / "f.csv", db=f"sqlite:///{root}/k.db")
    data = _streamed(outcome)
    assert data == _legacy(outcome)
    assert b"1e-05" in data and b"NaN" not in data
    doc = json.loads(data)
    assert doc["units"][1]["indicators"]["ratio"]["value"] is None  # 3 / 0 is missing


def _facts(n: int) -> str:
    rows = ["unit,name,period,x,y"]
    rows += [f"u{i:03d},单位{i},2025,{i},{1 + i % 7}" for i in range(n)]
    return "\n".join(rows) + "\n"


def test_many_units_print_a_summary_not_a_table(project, kaohe) -> None:
    root = project({"r.yaml": TINY, "f.csv": _facts(60)})
    r = kaohe("run", root / "r.yaml", "--facts", root / "f.csv")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "各类别等次分布（共 60 个单位）" in r.stdout
    assert "各类别前 3 名与后 3 名" in r.stdout
    assert "无预警" in r.stdout
    run_id = r.stdout.split("运行 ")[-1].split("：")[0]
    assert f"kaohe report {run_id} --out report.html" in r.stdout
    listed = [f"u{i:03d} " for i in range(60) if f"u{i:03d} " in r.stdout]
    assert len(listed) == 6  # three best and three worst of the one category, nobody else
    assert "u059 " in r.stdout and "u000 " in r.stdout  # the highest x is best, the lowest worst


def test_summary_in_english_counts_grades_per_category(project, kaohe) -> None:
    root = project({"r.yaml": TINY, "f.csv": _facts(80)})
    r = kaohe("run", root / "r.yaml", "--facts", root / "f.csv", "--lang", "en")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "grades per category (80 units)" in r.stdout
    row = next(line for line in r.stdout.splitlines() if "甲类" in line)
    cells = [c.strip() for c in row.split("│") if c.strip()]
    assert cells[0] == "甲类" and cells[-1] == "80"
    assert sum(int(c) for c in cells[1:-1]) == 80


def test_few_units_still_print_every_unit(project, kaohe) -> None:
    root = project({"r.yaml": TINY, "f.csv": _facts(12)})
    r = kaohe("run", root / "r.yaml", "--facts", root / "f.csv")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert all(f"u{i:03d} 单位{i}" in r.stdout for i in range(12))
    assert "各类别等次分布" not in r.stdout


def test_json_on_the_command_line_is_the_streamed_document(project, kaohe) -> None:
    root = project({"r.yaml": TINY, "f.csv": _facts(30)})
    r = kaohe("run", root / "r.yaml", "--facts", root / "f.csv", "--json")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    assert [u["unit"] for u in doc["units"]] == sorted(f"u{i:03d}" for i in range(30))
    assert list(doc["units"][0]) == ["unit", "name", "category", "base_score", "points", "score", "grade",
                                     "rank", "indicators", "fired", "alerts", "notes"]
    assert list(doc["units"][0]["indicators"]) == ["ratio", "plain"]
