"""The 民主测评 example (rulesets/pzhen/staff-review.yaml on examples/pzhen/ratings.csv), `analyze` and `explain`.

The ratings are generated (examples/generate.py) with two lenient raters
(l01, s002: +8 on everything), one harsh rater (l03: −10), a real experience
effect every rater sees (0.2 a year) and a popularity bonus only peers give
(同级: 0.6 more a year, the 人缘竞赛).  These tests check the stored runs, the
`kaohe analyze --json` tables, `kaohe explain --json` and the ruleset's
`units:` case against an independent dense numpy computation written here
from the documented model, and that the corrections recover what was planted.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kaohe.engine.ruleset import load_ruleset
from kaohe.engine.run import run
from kaohe.engine.testing import run_tests

ROOT = Path(__file__).resolve().parent.parent
RULESET = ROOT / "rulesets" / "pzhen" / "staff-review.yaml"
EXAMPLES = ROOT / "examples" / "pzhen"
RATINGS = EXAMPLES / "ratings.csv"
PERIODS = ("2025H1", "2025H2")
ROLES = {"上级": 0.4, "同级": 0.3, "下级": 0.1, "服务对象": 0.2}
PLANTED = {"l01": 8.0, "s002": 8.0, "l03": -10.0}


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def seniority(period: str) -> dict[str, int]:
    return {r["unit"]: int(r["工作年限"]) for r in read(EXAMPLES / f"{period}.csv")}


def weighted(means: dict[str, float]) -> float:
    return sum(ROLES[r] * m for r, m in means.items()) / sum(ROLES[r] for r in means)


def independent(units: Sequence[str], years: dict[str, int], period: str | None) -> dict[str, Any]:
    """The model of docs/plugins.md with dense least squares and loops (not the plugin's code)."""
    rows = [r for r in read(RATINGS) if period is None or r["period"] == period]
    s = np.array([float(r["score"]) for r in rows])
    raters = sorted({r["rater"] for r in rows})
    ratees = sorted({r["ratee"] for r in rows})
    assert all(sum(r["rater"] == x for r in rows) >= 2 for x in raters)  # nobody is left out of the fit
    x = np.zeros((len(rows), len(ratees) + len(raters)))
    for k, r in enumerate(rows):
        x[k, ratees.index(r["ratee"])] = x[k, len(ratees) + raters.index(r["rater"])] = 1
    # one connected component: the design's rank deficiency is exactly 1
    assert np.linalg.matrix_rank(x) == x.shape[1] - 1
    b = np.linalg.lstsq(x, s, rcond=None)[0][len(ratees):]
    effect = dict(zip(raters, b - b.mean(), strict=True))
    corrected = s - np.array([effect[r["rater"]] for r in rows])

    def role_means(values: np.ndarray, unit: str) -> dict[str, float]:
        out = {}
        for role in ROLES:
            mine = [values[k] for k, r in enumerate(rows) if r["ratee"] == unit and r["rater_role"] == role]
            if mine:
                out[role] = float(np.mean(mine))
        return out

    raw = {u: weighted(role_means(s, u)) for u in units}
    per_role = {u: role_means(corrected, u) for u in units}
    rater_corrected = {u: weighted(m) for u, m in per_role.items()}
    both = [u for u in units if "同级" in per_role[u] and len(per_role[u]) > 1]
    c = np.array([years[u] for u in both], dtype=float)
    d = [per_role[u]["同级"] - weighted({k: v for k, v in per_role[u].items() if k != "同级"}) for u in both]
    slope = np.linalg.lstsq(np.column_stack([np.ones(len(c)), c - c.mean()]), d, rcond=None)[0][1]
    final = {}
    for u in units:
        means = dict(per_role[u])
        if "同级" in means:
            means["同级"] -= slope * (years[u] - c.mean())
        final[u] = weighted(means)
    return {"raw": raw, "corrected": rater_corrected, "final": final, "effect": effect, "slope": slope}


@pytest.fixture
def analysed(tmp_path: Path, kaohe) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Both half-years run into a fresh database, then `kaohe analyze RUN --json` per run."""
    db = f"sqlite:///{tmp_path / 'kaohe.db'}"  # the database the kaohe fixture points KAOHE_DB at
    out: dict[str, dict[str, Any]] = {}
    for period in PERIODS:
        outcome = run(RULESET, EXAMPLES / f"{period}.csv", db=db)
        assert outcome.info.period == period and outcome.info.units == 40
        assert outcome.warnings == []  # every rater's leniency could be estimated
        result = kaohe("analyze", outcome.info.id, "--json")
        assert result.exit_code == 0, result.stderr
        [metric] = result.json()["metrics"]
        assert (metric["run"], metric["indicator"], metric["metric"]) == (outcome.info.id, "peer_review", "rating")
        tables = {t["id"]: t for t in metric["tables"]}
        assert list(tables) == ["corrections", "raters", "slopes"]
        stored = {u.unit: u.indicators["peer_review"].value for u in outcome.units}
        rows = tables["corrections"]["rows"]
        assert all(stored[r["unit"]] == pytest.approx(r["final"], abs=1e-8) for r in rows)
        out[period] = {"run": outcome.info.id, "tables": tables, "rows": {r["unit"]: r for r in rows}}
    return out


def test_every_rated_person_appears_and_the_steps_add_up(analysed) -> None:  # type: ignore[no-untyped-def]
    for period, found in analysed.items():
        ratings = [r for r in read(RATINGS) if r["period"] == period]
        rows = found["rows"]
        assert set(rows) == {r["ratee"] for r in ratings} and len(rows) == 40
        for unit, r in rows.items():
            assert r["ratings"] == sum(x["ratee"] == unit for x in ratings)
            assert r["final"] == pytest.approx(r["corrected"] + r["popularity"], abs=1e-9) and "adjust" not in r
            assert r["shift"] == pytest.approx(r["final"] - r["raw"], abs=1e-9)
        shifts = [abs(r["shift"]) for r in found["tables"]["corrections"]["rows"]]
        assert shifts == sorted(shifts, reverse=True)  # largest moves first


def test_corrections_match_an_independent_computation(analysed) -> None:  # type: ignore[no-untyped-def]
    for period, found in analysed.items():
        units = sorted(found["rows"])
        expected = independent(units, seniority(period), period)
        for key in ("raw", "corrected", "final"):
            assert [found["rows"][u][key] for u in units] == pytest.approx([expected[key][u] for u in units],
                                                                           abs=1e-8)
        effects = {r["rater"]: r["effect"] for r in found["tables"]["raters"]["rows"]}
        assert effects == pytest.approx(expected["effect"], abs=1e-8)
        [slope] = found["tables"]["slopes"]["rows"]
        assert slope["covariate"] == "seniority" and slope["slope"] == pytest.approx(expected["slope"], abs=1e-9)


def test_the_planted_leniencies_and_popularity_bonus_are_recovered(analysed) -> None:  # type: ignore[no-untyped-def]
    for found in analysed.values():
        effects = {r["rater"]: r["effect"] for r in found["tables"]["raters"]["rows"]}
        for rater, planted in PLANTED.items():
            assert effects[rater] == pytest.approx(planted, abs=2.5), rater
        assert abs(sum(effects.values())) < 1e-8  # one component: the effects sum to zero
        # the most extreme estimated raters are exactly the planted ones
        assert {r["rater"] for r in found["tables"]["raters"]["rows"][:3]} == set(PLANTED)
        [slope] = found["tables"]["slopes"]["rows"]
        assert slope["slope"] == pytest.approx(0.6, abs=0.3)


def test_lenient_raters_favourites_go_down_and_harsh_raters_targets_go_up(analysed) -> None:  # type: ignore[no-untyped-def]
    ratings = read(RATINGS)
    for period, found in analysed.items():
        moved = {u: r["corrected"] - r["raw"] for u, r in found["rows"].items()}
        favourites = {r["ratee"] for r in ratings if r["period"] == period and r["rater"] in ("l01", "s002")}
        victims = {r["ratee"] for r in ratings if r["period"] == period and r["rater"] == "l03"}
        assert favourites and victims and not favourites & victims
        rest = set(moved) - favourites - victims
        fav, vic, others = (float(np.mean([moved[u] for u in g])) for g in (favourites, victims, rest))
        assert fav < 0 < vic and fav < others < vic, (period, fav, others, vic)


def test_popularity_removes_only_the_peers_extra_slope(analysed) -> None:  # type: ignore[no-untyped-def]
    def slope(rows: dict[str, dict[str, float]], years: dict[str, int], key: str) -> float:
        units = sorted(rows)
        return float(np.polyfit([years[u] for u in units], [rows[u][key] for u in units], 1)[0])

    for period, found in analysed.items():
        years = seniority(period)
        # the peers' bonus (0.6 a year on 30 % weight) is gone, the real 0.2 a year stays
        corrected, final = (slope(found["rows"], years, k) for k in ("corrected", "final"))
        assert corrected - final == pytest.approx(0.3 * 0.6, abs=0.1) and final > 0.05


def test_explain_shows_the_metric_its_inputs_and_the_leniencies(analysed, kaohe) -> None:  # type: ignore[no-untyped-def]
    found = analysed["2025H1"]
    result = kaohe("explain", found["run"], "s001", "--json")
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    [ind] = [i for i in doc["indicators"] if i["id"] == "peer_review"]
    metric = ind["metric"]
    assert metric["name"] == "rating" and metric["params"]["method"] == "rater_effects"
    assert metric["params"]["popularity"] == {"covariates": ["seniority"], "roles": ["同级"]}
    assert metric["inputs"] == {"seniority": seniority("2025H1")["s001"]} == ind["inputs"]
    assert metric["details"]["final"] == pytest.approx(ind["value"]) == pytest.approx(found["rows"]["s001"]["final"])
    assert set(metric["details"]["raters"]) >= {"l01", "s002"} and metric["warnings"] == []
    lines = kaohe("explain", found["run"], "s001").stdout
    leniency = {r["rater"]: r["effect"] for r in found["tables"]["raters"]["rows"]}
    assert "评价人效应模型" in lines and f"l01 {leniency['l01']:+.2f}" in lines and "人缘校正：同级" in lines
    english = kaohe("explain", found["run"], "s001", "--lang", "en").stdout
    assert "rater-effects model" in english and "popularity: 同级 ratings rise" in english


def test_units_case_matches_the_independent_computation() -> None:
    """The ruleset's `units:` case (no period: both half-years' rows count) agrees with numpy, and passes."""
    ruleset = load_ruleset(RULESET)
    case = next(c for c in ruleset.model.tests if c.units is not None)
    assert case.units is not None
    units = [u.unit for u in case.units]
    years = {u.unit: int(u.facts["seniority"]) for u in case.units}
    final = independent(units, years, None)["final"]
    expected = [case.expect[u]["indicators"]["peer_review"] for u in units]
    assert expected == pytest.approx([final[u] for u in units], abs=1e-9)
    outcome = next(o for o in run_tests(ruleset) if o.name == case.name)
    assert outcome.passed, (outcome.error, outcome.mismatches)


def test_the_report_shows_the_corrections_and_each_cards_own_lines(analysed, kaohe, tmp_path) -> None:  # type: ignore[no-untyped-def]
    found = analysed["2025H1"]
    assert kaohe("report", found["run"], "--format", "md", "--out", str(tmp_path / "r.md")).exit_code == 0
    report = (tmp_path / "r.md").read_text(encoding="utf-8")
    section = report.split("\n## 民主测评\n", 1)[1].split("\n## ", 1)[0]
    s001 = found["rows"]["s001"]
    assert "**评议校正" in section and "**评价人宽严" in section and "**资历等因素的校正斜率**" in section
    assert f"| s001 | {s001['ratings']} | {s001['raw']:.2f} |" in section
    leniency = {r["rater"]: r["effect"] for r in found["tables"]["raters"]["rows"]}
    assert "| l03 | 上级 | " in section and f"{leniency['l03']:.2f}" in section
    assert f"- 评价人效应模型：{s001['ratings']} 条评分；按角色加权的原始均分 {s001['raw']:.2f}" in report
    cards = tmp_path / "cards"
    assert kaohe("report", found["run"], "--format", "md", "--per-unit", "--out", str(cards)).exit_code == 0
    [card] = [t for p in cards.glob("*.md") if "(s001)" in (t := p.read_text(encoding="utf-8"))]
    assert f"原始均分 {s001['raw']:.2f}" in card and "## 民主测评" not in card and "| s002 |" not in card
