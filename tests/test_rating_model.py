"""The rating model (plugins/rating_core.py, plugins/rating_fit.py): hand-computed examples and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from kaohe.plugins.rating_core import Popularity, rate
from kaohe.plugins.rating_fit import fit_rater_effects

# Hand-computed example. Rater A (上级) gives u1..u3 90/80/70; rater B (同级, lenient) 100/96/92;
# rater C (同级, harsh) 60/70/50.  Weights 上级 0.6, 同级 0.4.
# Raw role-weighted means: u1 = 0.6·90 + 0.4·(100+60)/2 = 86; u2 = 48 + 33.2 = 81.2; u3 = 42 + 28.4 = 70.4.
# Rater effects: everyone rated everyone, so each effect is the rater's mean minus the grand mean
# 708/9: A 80 − 708/9 = 4/3, B 96 − 708/9 = 52/3, C 60 − 708/9 = −56/3 (they sum to 0).  Each score
# minus its rater's effect, then role means:
#   u1: 上级 90 − 4/3 = 266/3; 同级 (100 − 52/3 + 60 + 56/3)/2 = 242/3 → 0.6·266/3 + 0.4·242/3 = 256.4/3
#   u2: 上级 80 − 4/3 = 236/3; 同级 (96 − 52/3 + 70 + 56/3)/2 = 251/3 → 242/3
#   u3: 上级 70 − 4/3 = 206/3; 同级 (92 − 52/3 + 50 + 56/3)/2 = 215/3 → 209.6/3
# Per-rater z-scores (population sd): A and B give +z, 0, −z with z = sqrt(3/2); C gives 0, +z, −z:
#   u1 = 0.6 z + 0.4 (z + 0)/2 = 0.8 z;  u2 = 0.2 z;  u3 = −z.
RATERS = ["A"] * 3 + ["B"] * 3 + ["C"] * 3
ROLES = ["上级"] * 3 + ["同级"] * 6
RATEES = ["u1", "u2", "u3"] * 3
SCORES = [90, 80, 70, 100, 96, 92, 60, 70, 50]
WEIGHTS = {"上级": 0.6, "同级": 0.4}
Z = math.sqrt(1.5)
BY_HAND = [256.4 / 3, 242 / 3, 209.6 / 3]


def test_rater_effects_by_hand_3x3():
    r = rate(RATERS, ROLES, RATEES, SCORES, ["u1", "u2", "u3", "u4"], WEIGHTS)
    assert r.method == "rater_effects" and r.raters == ("A", "B", "C")
    assert r.rater_effect == pytest.approx([4 / 3, 52 / 3, -56 / 3]) and r.rater_estimated.all()
    assert r.raw[:3] == pytest.approx([86, 81.2, 70.4])
    assert r.final[:3] == pytest.approx(BY_HAND) and r.corrected[:3] == pytest.approx(BY_HAND)
    assert math.isnan(r.final[3]) and list(r.n_ratings) == [3, 3, 3, 0]
    assert r.role_corrected[0] == pytest.approx([266 / 3, 242 / 3])  # columns: 上级, 同级
    assert r.rater_roles == ("上级", "同级", "同级") and r.ratee_raters[0] == (0, 1, 2) and r.ratee_raters[3] == ()
    assert r.shift[:3] == pytest.approx(np.array(BY_HAND) - [86, 81.2, 70.4])


def test_standardise_and_mean_methods_by_hand():
    z = rate(RATERS, ROLES, RATEES, SCORES, ["u1", "u2", "u3"], WEIGHTS, method="standardise", rescale=False)
    assert z.final == pytest.approx([0.8 * Z, 0.2 * Z, -Z]) and np.isnan(z.rater_effect).all()
    back = rate(RATERS, ROLES, RATEES, SCORES, ["u1", "u2", "u3"], WEIGHTS, method="standardise")
    mean, sd = np.mean(SCORES), np.std(SCORES)
    assert back.final == pytest.approx([mean + sd * 0.8 * Z, mean + sd * 0.2 * Z, mean - sd * Z])
    raw = rate(RATERS, ROLES, RATEES, SCORES, ["u1", "u2", "u3"], WEIGHTS, method="mean")
    assert raw.final == pytest.approx([86, 81.2, 70.4]) and list(raw.final) == list(raw.raw)


def test_standardise_drops_raters_without_spread_and_renormalises_missing_roles():
    r = rate(["A", "A", "D", "D"], ["上级", "上级", "同级", "同级"], ["u1", "u2", "u1", "u2"],
             [90, 70, 80, 80], ["u1", "u2"], WEIGHTS, method="standardise", rescale=False)
    assert r.dropped_raters == ("D",)
    assert r.final == pytest.approx([1.0, -1.0])  # only 上级 counts once D is dropped


def test_disconnected_graph_keeps_the_difference_between_groups():
    # two departments whose raters never meet: A, B rate x1, x2; C, D rate y1, y2; every y score is
    # its x counterpart + 10.  Department 1: mean 81, A 75 → −6, B 87 → +6; department 2 the same.
    # Corrected: x1 (86 + 84)/2 = 85, x2 (76 + 78)/2 = 77; y1 95, y2 87: the 10 points stay.
    raters = ["A", "A", "B", "B", "C", "C", "D", "D"]
    ratees = ["x1", "x2", "x1", "x2", "y1", "y2", "y1", "y2"]
    scores = [80, 70, 90, 84, 90, 80, 100, 94]
    units = ["x1", "x2", "y1", "y2"]
    r = rate(raters, ["同级"] * 8, ratees, scores, units)
    assert r.rater_effect == pytest.approx([-6, 6, -6, 6]) and r.weak_raters == ()
    assert r.final == pytest.approx([85, 77, 95, 87])
    # per-rater z-scores assume everyone rated a random sample of everyone: the 10 points vanish
    z = rate(raters, ["同级"] * 8, ratees, scores, units, method="standardise", rescale=False)
    assert z.final == pytest.approx([1, -1, 1, -1])


def test_a_component_with_too_few_links_falls_back_to_raw_means_and_is_named():
    # E rates z1, z2 and F rates z2, z3: one shared ratee, 4 links < 2 raters + 3 ratees
    raters = [*RATERS, "E", "E", "F", "F"]
    roles = [*ROLES, "同级", "同级", "同级", "同级"]
    ratees = [*RATEES, "z1", "z2", "z2", "z3"]
    scores = [*SCORES, 70, 80, 90, 60]
    r = rate(raters, roles, ratees, scores, ["u1", "u2", "u3", "z1", "z2", "z3"], WEIGHTS)
    assert r.weak_raters == (("E", "F"),)
    e, f = r.raters.index("E"), r.raters.index("F")
    assert r.rater_effect[[e, f]].tolist() == [0, 0] and not r.rater_estimated[[e, f]].any()
    assert r.final[3:] == pytest.approx([70, 85, 60]) and r.raw[3:] == pytest.approx([70, 85, 60])
    assert r.final[:3] == pytest.approx(BY_HAND)  # the other component is estimated as before
    from kaohe.plugins.rating_explain import describe

    [warning] = describe(r, {}, [], WEIGHTS).warnings
    assert warning.code == "rating.weak_component" and warning.params == {"raters": "E, F"}
    assert "E, F" in warning.message("zh") and "share too few ratees" in warning.message("en")


def test_a_rater_with_one_rating_is_taken_as_given():
    # G rates only u1 (同级, 50): its leniency cannot be told apart from that one score, so the fit
    # leaves G out (A, B, C unchanged) and G's score counts as given:
    # u1 同级 = (100 − 52/3 + 60 + 56/3 + 50)/3 = 634/9 → 0.6·266/3 + 0.4·634/9
    r = rate([*RATERS, "G"], [*ROLES, "同级"], [*RATEES, "u1"], [*SCORES, 50], ["u1", "u2", "u3"], WEIGHTS)
    assert r.single_raters == ("G",) and not r.rater_estimated[3] and r.rater_effect[3] == 0
    assert r.rater_effect[:3] == pytest.approx([4 / 3, 52 / 3, -56 / 3])
    assert r.final == pytest.approx([0.6 * 266 / 3 + 0.4 * 634 / 9, *BY_HAND[1:]])


def test_every_rater_lenient_by_the_same_amount_changes_nothing():
    truth = {"u1": 80.0, "u2": 70.0, "u3": 75.0, "u4": 90.0}
    who = [("A", "u1"), ("A", "u2"), ("B", "u2"), ("B", "u3"), ("C", "u3"), ("C", "u4"), ("C", "u1")]
    scores = [truth[u] + 7 for _, u in who]  # all seven points too lenient, nothing else
    r = rate([a for a, _ in who], ["同级"] * len(who), [u for _, u in who], scores, list(truth))
    assert r.rater_effect == pytest.approx([0, 0, 0], abs=1e-9)
    assert r.final == pytest.approx([v + 7 for v in truth.values()]) and r.final == pytest.approx(r.raw)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(-30, 30))
def test_a_common_offset_shifts_every_result_and_no_effect(seed: int, offset: float):
    raters, roles, ratees, scores, units = _random_ratings(seed)
    a = rate(raters, roles, ratees, scores, units, {"上级": 1, "同级": 2})
    b = rate(raters, roles, ratees, np.asarray(scores) + offset, units, {"上级": 1, "同级": 2})
    assert b.rater_effect == pytest.approx(a.rater_effect, abs=1e-7)
    assert b.final == pytest.approx(a.final + offset, abs=1e-7, nan_ok=True)


def test_ratings_of_a_single_role():
    # everyone rated everyone in one role: leniency touches every ratee alike, so raw means stand
    r = rate(RATERS, ["同级"] * 9, RATEES, SCORES, ["u1", "u2", "u3"])
    assert r.roles == ("同级",) and r.final == pytest.approx([250 / 3, 82, 212 / 3])
    assert r.final == pytest.approx(r.raw)
    # unbalanced (A did not rate u3): the dense least-squares answer, and each ratee's value is the
    # mean of its scores minus their raters' effects
    keep = [0, 1, 3, 4, 5, 6, 7, 8]
    rows = [[RATERS[i] for i in keep], [RATEES[i] for i in keep], [SCORES[i] for i in keep]]
    r = rate(rows[0], ["同级"] * 8, rows[1], rows[2], ["u1", "u2", "u3"])
    theta, effect = _dense(rows[0], rows[1], rows[2])
    assert dict(zip(r.raters, r.rater_effect, strict=True)) == pytest.approx(effect)
    assert r.final == pytest.approx([np.mean([rows[2][k] - effect[rows[0][k]] for k, u in enumerate(rows[1])
                                              if u == x]) for x in ("u1", "u2", "u3")])
    assert r.final == pytest.approx(theta)


def _dense(raters: list[str], ratees: list[str], scores: list[float]) -> tuple[np.ndarray, dict[str, float]]:
    """Ratee effects and rater effects (summing to 0) of one connected component, by dense least squares."""
    rs, us = sorted(set(raters)), sorted(set(ratees))
    x = np.zeros((len(scores), len(us) + len(rs)))
    for k, (a, u) in enumerate(zip(raters, ratees, strict=True)):
        x[k, us.index(u)] = x[k, len(us) + rs.index(a)] = 1
    sol = np.linalg.lstsq(x, np.asarray(scores, dtype=float), rcond=None)[0]
    shift = sol[len(us):].mean()
    return sol[:len(us)] + shift, dict(zip(rs, sol[len(us):] - shift, strict=True))


def _random_ratings(seed: int) -> tuple[list[str], list[str], list[str], list[float], list[str]]:
    rng = np.random.default_rng(seed)
    n_raters, n_ratees = int(rng.integers(2, 7)), int(rng.integers(2, 8))
    rows: list[tuple[str, str, str, float]] = []
    for j in range(n_raters):
        for i in rng.choice(n_ratees, int(rng.integers(1, n_ratees + 1)), replace=False):
            rows.append((f"r{j}", str(rng.choice(["上级", "同级"])), f"u{i}", float(rng.integers(40, 101))))
    units = [f"u{i}" for i in range(n_ratees + 1)]  # one unit nobody rated
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows], units


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_the_sparse_fit_agrees_with_dense_least_squares_per_component(seed: int):
    raters, _roles, ratees, scores, _units = _random_ratings(seed)
    ids = sorted(set(raters))
    who = sorted(set(ratees))
    fit = fit_rater_effects([ids.index(a) for a in raters], [who.index(u) for u in ratees], scores,
                            len(ids), len(who))
    # components by hand (union-find over raters with ≥ 2 ratings and their ratees)
    parent = {n: n for n in [*ids, *who]}

    def root(n: str) -> str:
        while parent[n] != n:
            n = parent[n]
        return n

    counted = [k for k, a in enumerate(raters) if raters.count(a) >= 2]
    for k in counted:
        parent[root(raters[k])] = root(ratees[k])
    for comp in {root(a) for a in ids if raters.count(a) >= 2}:
        rows = [k for k in counted if root(raters[k]) == comp]
        members = sorted({raters[k] for k in rows})
        links = len({(raters[k], ratees[k]) for k in rows})
        estimable = len(members) >= 2 and links >= len(members) + len({ratees[k] for k in rows})
        got = {a: fit.effect[ids.index(a)] for a in members}
        assert all(fit.estimated[ids.index(a)] == estimable for a in members)
        if estimable:
            _, effect = _dense([raters[k] for k in rows], [ratees[k] for k in rows], [scores[k] for k in rows])
            assert got == pytest.approx(effect, abs=1e-7)
        else:
            assert tuple(members) in {tuple(ids[j] for j in w) for w in fit.weak} and set(got.values()) == {0.0}
    assert fit.single == tuple(j for j, a in enumerate(ids) if raters.count(a) == 1)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.randoms(use_true_random=False))
def test_row_order_never_changes_a_bit(seed: int, shuffle) -> None:  # type: ignore[no-untyped-def]
    raters, roles, ratees, scores, units = _random_ratings(seed)
    cov = np.arange(len(units), dtype=float).reshape(-1, 1)
    pop = Popularity(cov, ["years"], ["同级"])
    a = rate(raters, roles, ratees, scores, units, {"上级": 1, "同级": 1}, popularity=pop)
    order = list(range(len(scores)))
    shuffle.shuffle(order)
    b = rate([raters[k] for k in order], [roles[k] for k in order], [ratees[k] for k in order],
             [scores[k] for k in order], units, {"上级": 1, "同级": 1}, popularity=pop)
    assert np.array_equal(a.final, b.final, equal_nan=True) and np.array_equal(a.rater_effect, b.rater_effect)
    assert a.popularity_slopes == b.popularity_slopes


# Popularity by hand.  u1..u4 with seniority 1..4; the head H (上级) gives 80, 82, 84, 86 — performance
# really rises 2 a year — and the peer P (同级) 81, 84, 87, 90: 3 a year, 1 more than the head sees.
# Rater effects: both rated everyone, grand mean 84.25, H 83 → −1.25, P 85.5 → +1.25; corrected
# H 81.25, 83.25, 85.25, 87.25; P 79.75, 82.75, 85.75, 88.75.  P − H = −1.5, −0.5, 0.5, 1.5: slope 1
# around the mean seniority 2.5, taken off P's part: P becomes 81.25, 83.25, 85.25, 87.25.
# With equal weights the result still rises 2 a year; `adjust` removes that too (all 84.25).
HEAD, PEER = [80, 82, 84, 86], [81, 84, 87, 90]
FOUR = ["u1", "u2", "u3", "u4"]
YEARS = [[1.0], [2.0], [3.0], [4.0]]


def test_popularity_removes_only_the_extra_slope_by_hand():
    args = (["H"] * 4 + ["P"] * 4, ["上级"] * 4 + ["同级"] * 4, FOUR * 2, HEAD + PEER, FOUR)
    r = rate(*args, popularity=Popularity(YEARS, ["seniority"], ["同级"]))
    assert r.rater_effect == pytest.approx([-1.25, 1.25])
    assert r.popularity_slopes == {"seniority": pytest.approx(1.0)} and r.popularity_centre == {"seniority": 2.5}
    assert r.popularity_n == 4
    assert r.final == pytest.approx([81.25, 83.25, 85.25, 87.25])
    assert r.popular - r.corrected == pytest.approx([0.75, 0.25, -0.25, -0.75])  # half of ∓1.5, ∓0.5 (weight ½)
    flat = rate(*args, covariates=YEARS, covariate_names=["seniority"])
    assert flat.final == pytest.approx([84.25] * 4) and flat.coefficients == {"seniority": pytest.approx(2.5)}


def test_popularity_needs_the_covariate_and_enough_ratees():
    years = [[1.0], [2.0], [float("nan")], [4.0]]
    args = (["H"] * 4 + ["P"] * 4, ["上级"] * 4 + ["同级"] * 4, FOUR * 2, HEAD + PEER, FOUR)
    r = rate(*args, popularity=Popularity(years, ["seniority"], ["同级"]))
    assert math.isnan(r.final[2]) and r.popularity_n == 3 and r.popularity_slopes  # 3 ≥ 1 covariate + 2
    few = rate(*args, popularity=Popularity([[1.0], [2.0], [np.nan], [np.nan]], ["seniority"], ["同级"]))
    assert few.popularity_slopes == {} and few.final[:2] == pytest.approx(few.corrected[:2])
    from kaohe.plugins.rating_explain import describe

    codes = [w.code for w in describe(few, {"seniority": np.array([1.0, 2, np.nan, np.nan])}, ["同级"], None).warnings]
    assert codes == ["rating.popularity_too_few"]


def test_adjustment_with_too_few_rated_units_leaves_scores_unadjusted():
    result = rate(["r1", "r1"], ["上级", "上级"], ["a", "b"], [80.0, 90.0], ["a", "b", "c"],
                  method="mean", covariates=[[1.0], [5.0], [3.0]], covariate_names=["seniority"])
    assert result.final[0] == 80.0 and result.final[1] == 90.0 and np.isnan(result.final[2])
    nobody = rate([], [], [], [], ["x"], covariates=[[1.0]], covariate_names=["seniority"])
    assert np.isnan(nobody.final[0])


def test_bad_inputs_are_value_errors():
    with pytest.raises(ValueError, match="'下级'"):
        rate(["A"], ["下级"], ["u1"], [80], ["u1"], WEIGHTS)
    with pytest.raises(ValueError, match="method 'median'"):
        rate(["A"], ["上级"], ["u1"], [80], ["u1"], WEIGHTS, method="median")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"standardise": True, "method": "mean"}, "standardise: true contradicts method: mean"),
        ({"scale": "z"}, "scale: z needs method: standardise"),
        ({"roles": {"上级": 1, "同级": 1}, "popularity": {"covariates": ["x"], "roles": ["下级"]}},
         "popularity role(s) 下级 not in roles"),
        ({"roles": {"同级": 1}, "popularity": {"covariates": ["x"], "roles": ["同级"]}},
         "at least one other role"),
        ({"popularity": {"covariates": [], "roles": ["同级"]}}, "at least 1 item"),
    ],
    ids=["standardise-vs-method", "scale-z", "popularity-unknown-role", "popularity-alone", "popularity-empty"],
)
def test_parameter_errors(tmp_path, params, message):
    from kaohe.plugins.rating import RatingParams

    (tmp_path / "r.csv").write_text("rater,rater_role,ratee,score\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RatingParams.model_validate({"file": str(tmp_path / "r.csv"), **params})


def test_older_spelling_and_adjust_are_load_time_warnings(tmp_path):
    from kaohe.plugins.rating import METRIC, RatingParams

    (tmp_path / "r.csv").write_text("rater,rater_role,ratee,score\n", encoding="utf-8")
    p = RatingParams.model_validate({"file": str(tmp_path / "r.csv"), "standardise": False, "adjust": ["years"]})
    assert p.method == "mean"
    assert METRIC.warnings is not None
    assert [(w.key, w.code) for w in METRIC.warnings(p)] == [
        ("adjust", "rating.adjust_removes_performance"), ("standardise", "rating.standardise_renamed")]
    assert METRIC.inputs(RatingParams.model_validate(
        {"file": str(tmp_path / "r.csv"), "adjust": ["a"], "popularity": {"covariates": ["a", "b"], "roles": ["x"]}}
    )) == ["a", "b"]
