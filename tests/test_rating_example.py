"""The 民主测评 example (rulesets/pzhen/staff-review.yaml on examples/pzhen/ratings.csv) and `kaohe analyze`.

The ratings are generated (examples/generate.py) with two lenient raters
(l01, s002: +8 on everything), one harsh rater (l03: −10) and a seniority
effect (the "人缘竞赛").  These tests check that the stored runs, the
`kaohe analyze --json` corrections and the ruleset's `units:` case agree with
an independent numpy computation written here from the documented method, and
that the corrections go the right way.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

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
LENIENT = ("l01", "s002")
HARSH = ("l03",)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def seniority(period: str) -> dict[str, int]:
    return {r["unit"]: int(r["工作年限"]) for r in read(EXAMPLES / f"{period}.csv")}


def independent(units: Sequence[str], years: dict[str, int], period: str | None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """raw, standardised, final per unit, straight from the method in docs/plugins.md (loops, not the plugin)."""
    rows = [r for r in read(RATINGS) if period is None or r["period"] == period]
    s = np.array([float(r["score"]) for r in rows])
    z = np.empty_like(s)
    for rater in {r["rater"] for r in rows}:
        mine = np.array([r["rater"] == rater for r in rows])
        assert mine.sum() >= 2 and s[mine].std() > 0  # nobody is dropped
        z[mine] = (s[mine] - s[mine].mean()) / s[mine].std()
    on_scale = s.mean() + s.std() * z

    def role_weighted(values: np.ndarray) -> np.ndarray:
        out = []
        for u in units:
            num = den = 0.0
            for role, w in ROLES.items():
                mine = [values[i] for i, r in enumerate(rows) if r["ratee"] == u and r["rater_role"] == role]
                if mine:
                    num, den = num + w * float(np.mean(mine)), den + w
            out.append(num / den)
        return np.array(out)

    raw, std = role_weighted(s), role_weighted(on_scale)
    c = np.array([years[u] for u in units], dtype=float)
    slope = np.linalg.lstsq(np.column_stack([np.ones(len(c)), c - c.mean()]), std, rcond=None)[0][1]
    return raw, std, std - slope * (c - c.mean())


def rated_by(raters: Sequence[str], period: str) -> set[str]:
    return {r["ratee"] for r in read(RATINGS) if r["period"] == period and r["rater"] in raters}


@pytest.fixture
def corrections(tmp_path: Path, kaohe) -> dict[str, list[dict[str, object]]]:  # type: ignore[no-untyped-def]
    """Both half-years run into a fresh database, then `kaohe analyze RUN --json` per run."""
    db = f"sqlite:///{tmp_path / 'kaohe.db'}"  # the database the kaohe fixture points KAOHE_DB at
    out: dict[str, list[dict[str, object]]] = {}
    for period in PERIODS:
        outcome = run(RULESET, EXAMPLES / f"{period}.csv", db=db)
        assert outcome.info.period == period and outcome.info.units == 40
        result = kaohe("analyze", outcome.info.id, "--json")
        assert result.exit_code == 0, result.stderr
        rows = result.json()["rating_corrections"]
        assert {r["run"] for r in rows} == {outcome.info.id}
        assert {r["indicator"] for r in rows} == {"peer_review"}
        # the stored indicator value is the corrected (final) rating
        stored = {u.unit: u.indicators["peer_review"].value for u in outcome.units}
        assert all(stored[r["unit"]] == pytest.approx(r["final"], abs=1e-8) for r in rows)
        out[period] = rows
    return out


def test_every_rated_person_appears_and_shift_is_final_minus_raw(corrections) -> None:  # type: ignore[no-untyped-def]
    for period, rows in corrections.items():
        ratees = {r["ratee"] for r in read(RATINGS) if r["period"] == period}
        assert {r["unit"] for r in rows} == ratees and len(ratees) == 40
        counts: defaultdict[str, int] = defaultdict(int)
        for r in read(RATINGS):
            if r["period"] == period:
                counts[r["ratee"]] += 1
        for r in rows:
            assert r["ratings"] == counts[r["unit"]] > 0
            assert r["shift"] == pytest.approx(r["final"] - r["raw"], abs=1e-9)


def test_corrections_match_an_independent_computation(corrections) -> None:  # type: ignore[no-untyped-def]
    for period, rows in corrections.items():
        units = [str(r["unit"]) for r in rows]
        raw, std, final = independent(units, seniority(period), period)
        assert [r["raw"] for r in rows] == pytest.approx(raw, abs=1e-8)
        assert [r["standardised"] for r in rows] == pytest.approx(std, abs=1e-8)
        assert [r["final"] for r in rows] == pytest.approx(final, abs=1e-8)


def test_lenient_raters_favourites_go_down_and_harsh_raters_targets_go_up(corrections) -> None:  # type: ignore[no-untyped-def]
    for period, rows in corrections.items():
        shift = {str(r["unit"]): float(str(r["shift"])) for r in rows}
        favourites, victims = rated_by(LENIENT, period), rated_by(HARSH, period)
        assert favourites and victims and not favourites & victims
        others = set(shift) - favourites - victims
        fav = np.mean([shift[u] for u in favourites])
        vic = np.mean([shift[u] for u in victims])
        rest = np.mean([shift[u] for u in others])
        assert fav < 0 < vic, (period, fav, vic)
        assert fav < rest < vic


def test_seniority_adjustment_removes_the_popularity_effect(corrections) -> None:  # type: ignore[no-untyped-def]
    for period, rows in corrections.items():
        years = seniority(period)
        c = np.array([years[str(r["unit"])] for r in rows], dtype=float)
        raw = np.array([r["raw"] for r in rows], dtype=float)
        final = np.array([r["final"] for r in rows], dtype=float)
        r_raw, r_final = np.corrcoef(c, raw)[0, 1], np.corrcoef(c, final)[0, 1]
        assert r_raw > 0.3  # the generated 人缘竞赛 is visible in the raw scores
        assert abs(r_final) < abs(r_raw) and abs(r_final) < 1e-6  # OLS removes the linear part entirely


def test_units_case_matches_the_independent_computation() -> None:
    """The ruleset's `units:` case (no period: both half-years' rows count) agrees with numpy, and passes."""
    ruleset = load_ruleset(RULESET)
    case = next(c for c in ruleset.model.tests if c.units is not None)
    assert case.units is not None
    units = [u.unit for u in case.units]
    years = {u.unit: int(u.facts["seniority"]) for u in case.units}
    _raw, _std, final = independent(units, years, None)
    expected = [case.expect[u]["indicators"]["peer_review"] for u in units]
    assert expected == pytest.approx(final, abs=1e-9)
    outcome = next(o for o in run_tests(ruleset) if o.name == case.name)
    assert outcome.passed, (outcome.error, outcome.mismatches)
