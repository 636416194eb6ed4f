"""kaohe analyze: correlations against published values, flags, CLI table and JSON."""

from __future__ import annotations

import pytest

from kaohe.engine.analyze import analyze, effect_size
from kaohe.engine.results import IndicatorResult, UnitResult
from tests.samples import ANSCOMBE_X, ANSCOMBE_Y, MINI, Q1


def unit(uid: str, **values: tuple[float | None, float | None]) -> UnitResult:
    inds = {k: IndicatorResult(v, s, "none", 1.0) for k, (v, s) in values.items()}
    return UnitResult(uid, uid, "a", None, None, 0.0, None, None, None, inds, [], [], [], None, None, None)


def anscombe_units(name: str = "I") -> list[UnitResult]:
    return [unit(f"u{i:02d}", x=(x, x), y=(y, y), same=(float(i), 100.0), flat=(1.0, 50.0))
            for i, (x, y) in enumerate(zip(ANSCOMBE_X, ANSCOMBE_Y[name], strict=True))]


@pytest.mark.parametrize("name", sorted(ANSCOMBE_Y))
def test_pearson_r_matches_anscombe(name):
    # Anscombe (1973), The American Statistician 27(1), 17-21: every data set has
    # correlation coefficient 0.82 (0.816) and regression y = 3 + 0.5 x.
    result = analyze([anscombe_units(name)], target="x")
    pair = next(c for c in result.correlations if c.b == "y")
    assert pair.pearson_r == pytest.approx(0.816, abs=5e-4) and pair.n == 11
    assert pair.slope == pytest.approx(0.500, abs=5e-4) and pair.r2 == pytest.approx(0.666, abs=1e-3)
    assert pair.effect == "large" and pair.pearson_p < 0.01


def test_indicators_that_never_differentiate_units_are_flagged():
    result = analyze([anscombe_units()])
    flags = {f.indicator: f.code for f in result.flags}
    assert flags == {"flat": "constant", "same": "same_score"}
    assert all("flat" not in (c.a, c.b) for c in result.correlations)


def test_runs_pool_and_an_unknown_target_is_a_key_error():
    assert analyze([anscombe_units(), anscombe_units("II")], target="x").correlations[0].n == 22
    with pytest.raises(KeyError):
        analyze([anscombe_units()], target="nope")


@pytest.mark.parametrize(("r", "label"), [(0.05, "negligible"), (-0.2, "small"), (0.3, "medium"), (-0.7, "large")])
def test_cohen_labels(r, label):
    assert effect_size(r) == label


def test_cli_analyze_json_and_table(project, kaohe):
    root = project({"r.yaml": MINI, "q.csv": Q1})
    run = kaohe("run", root / "r.yaml", "--facts", root / "q.csv", "--period", "2025Q1", "--json").json()
    run_id = run["run"]["id"]
    doc = kaohe("analyze", run_id[:8], "--json").json()
    assert doc["runs"] == [run_id] and doc["rows"] == 6
    pair = doc["correlations"][0]
    assert {pair["a"], pair["b"]} == {"closure_rate", "expert_score"} and pair["n"] == 6
    table = kaohe("analyze", run_id, "--target", "expert_score", "--lang", "en")
    assert table.exit_code == 0 and "indicator correlations (6 rows" in table.stdout and "clos" in table.stdout
    bad = kaohe("analyze", run_id, "--target", "nope", "--lang", "en")
    assert bad.exit_code == 3 and "no indicator `nope`" in bad.stderr
    flat = project({"f.yaml": MINI, "f.csv": Q1.replace(",81,", ",70,").replace(",72.6,", ",70,")
                    .replace(",75,", ",70,").replace(",78,", ",70,").replace(",60,", ",70,")})
    fid = kaohe("run", flat / "f.yaml", "--facts", flat / "f.csv", "--period", "2025Q2", "--json").json()["run"]["id"]
    warned = kaohe("analyze", fid, "--lang", "en")
    assert "indicator `expert_score` does not differentiate units (constant)" in warned.stderr
