"""Grades: bands, caps, quotas (floor, per scope), tie-break, reported ties, ranks."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaohe.engine.grades import (
    TieKey,
    apply_caps,
    apply_quotas,
    band_grades,
    category_ranks,
    quota_fraction,
)
from kaohe.engine.ruleset.model import GradeModel

GRADES = [
    GradeModel(name="优秀", min=90, quota="20%"),
    GradeModel(name="称职", min=70),
    GradeModel(name="基本称职", min=60),
    GradeModel(name="不称职"),
]


def arr(*xs: float) -> np.ndarray:
    return np.array(xs, dtype=np.float64)


@pytest.mark.parametrize(
    "quota, expected",
    [("20%", Fraction(1, 5)), ("33.3%", Fraction(333, 1000)), (0.2, Fraction(1, 5)), (20, Fraction(1, 5)),
     ("0.29", Fraction(29, 100))],
    ids=["percent", "decimal-percent", "fraction", "whole-number", "text-fraction"],
)
def test_quota_fraction_is_exact(quota, expected):
    assert quota_fraction(GradeModel(name="优秀", min=90, quota=quota)) == expected


def test_bands_use_min_inclusive_and_missing_gets_no_grade():
    got = band_grades(arr(90, 89.9999999999, 70, 60, 59.99, np.nan), GRADES)
    assert got.tolist() == [0, 1, 1, 2, 3, -1]


def test_caps_take_the_lower_grade_only():
    bands = np.array([0, 0, 2, -1])
    caps = np.array([3, -1, 1, 3])
    assert apply_caps(bands, caps).tolist() == [3, 0, 2, -1]


def test_quota_is_floor_of_share_per_scope():
    # 10 units in scope, 20% -> 2 places; 4 candidates at >= 90.
    scores = arr(99, 98, 97, 96, 80, 80, 80, 80, 80, 80)
    grade = band_grades(scores, GRADES)
    units = [f"u{i}" for i in range(10)]
    scopes = np.array(["a"] * 10, dtype=object)
    new, ties, demoted = apply_quotas(grade, scores, GRADES, scopes, units, [])
    assert new.tolist()[:4] == [0, 0, 1, 1]
    assert ties == []
    assert demoted == {2: "优秀", 3: "优秀"}


def test_quota_of_29_percent_of_100_units_is_29_places():
    # 0.29 * 100 in floating point is 28.999999999999996; places must still be 29.
    grades = [GradeModel(name="A", min=0, quota="0.29"), GradeModel(name="B")]
    scores = np.arange(100, dtype=np.float64)
    grade = band_grades(scores, grades)
    new, _, _ = apply_quotas(grade, scores, grades, np.array(["s"] * 100, dtype=object),
                             [f"u{i:03d}" for i in range(100)], [])
    assert int((new == 0).sum()) == 29


def test_capped_unit_never_takes_a_quota_place():
    scores = arr(99, 95, 94, 80, 80, 80, 80, 80, 80, 80)
    bands = band_grades(scores, GRADES)
    caps = np.array([3, -1, -1, -1, -1, -1, -1, -1, -1, -1])
    grade = apply_caps(bands, caps)
    new, _, _ = apply_quotas(grade, scores, GRADES, np.array(["a"] * 10, dtype=object),
                             [f"u{i}" for i in range(10)], [])
    assert new.tolist()[:3] == [3, 0, 0]


def test_tie_break_decides_and_remaining_tie_is_reported():
    scores = arr(95, 92, 92, 50, 50, 50, 50, 50, 50, 50)
    units = [f"u{i}" for i in range(10)]
    scopes = np.array(["a"] * 10, dtype=object)
    grade = band_grades(scores, GRADES)
    # tie-break by an indicator where u2 is better
    key = TieKey(arr(0, 0.5, 0.7, 0, 0, 0, 0, 0, 0, 0), "higher")
    new, ties, _ = apply_quotas(grade, scores, GRADES, scopes, units, [key])
    assert new.tolist()[:3] == [0, 1, 0] and ties == []
    # equal tie-break values: the tie is reported and both tied units drop
    key = TieKey(arr(0, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0), "higher")
    new, ties, _ = apply_quotas(grade, scores, GRADES, scopes, units, [key])
    assert new.tolist()[:3] == [0, 1, 1]
    assert len(ties) == 1 and ties[0].units == ("u1", "u2") and ties[0].places == 1


def test_lower_is_better_tie_break_and_missing_loses():
    scores = arr(92, 92, 92, 50, 50, 50, 50, 50, 50, 50)
    units = [f"u{i}" for i in range(10)]
    grade = band_grades(scores, GRADES)
    key = TieKey(arr(30, np.nan, 20, 0, 0, 0, 0, 0, 0, 0), "lower")
    new, ties, _ = apply_quotas(grade, scores, GRADES, np.array(["a"] * 10, dtype=object), units, [key])
    assert new.tolist()[:3] == [0, 1, 0]  # 20 beats 30; missing loses
    assert ties == []


def test_quota_counts_per_scope():
    scores = arr(95, 95, 95, 95, 95, 60, 60, 60, 60, 60)
    scopes = np.array(["a"] * 5 + ["b"] * 5, dtype=object)
    grade = band_grades(scores, GRADES)
    new, ties, _ = apply_quotas(grade, scores, GRADES, scopes, [f"u{i}" for i in range(10)], [])
    # scope a: floor(0.2*5) = 1 place, five tied at 95 -> reported tie, all drop
    assert new.tolist()[:5] == [1] * 5
    assert ties[0].scope == "a" and len(ties[0].units) == 5


def test_ranks_are_competition_ranks_within_category():
    scores = arr(90, 80, 80, 70, 99, np.nan)
    cats = np.array(["x", "x", "x", "x", "y", "y"], dtype=object)
    assert category_ranks(scores, cats).tolist() == [1, 2, 2, 4, 1, 0]


@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=40), st.randoms())
def test_quota_never_exceeded_and_order_independent(values, rnd):
    scores = np.array(values)
    n = len(values)
    units = [f"u{i:02d}" for i in range(n)]
    scopes = np.array(["s"] * n, dtype=object)
    grade = band_grades(scores, GRADES)
    new, ties, _ = apply_quotas(grade, scores, GRADES, scopes, units, [])
    assert int((new == 0).sum()) <= (n * 20) // 100
    perm = list(range(n))
    rnd.shuffle(perm)
    new2, ties2, _ = apply_quotas(grade[perm], scores[perm], GRADES, scopes, [units[i] for i in perm], [])
    assert {units[perm[j]]: int(new2[j]) for j in range(n)} == {units[i]: int(new[i]) for i in range(n)}
    assert [t.units for t in ties2] == [t.units for t in ties]


@pytest.mark.parametrize(("quota", "fraction"), [
    ("20%", Fraction(1, 5)), (" 12.5 % ", Fraction(1, 8)), (0.2, Fraction(1, 5)), (20, Fraction(1, 5)),
    ("0.2", Fraction(1, 5)), (1, Fraction(1)), ("100%", Fraction(1)), ("0%", Fraction(0)),
])
def test_one_quota_parser_for_validation_grading_and_reports(quota, fraction):
    from kaohe.engine.ruleset.model import parse_quota

    assert parse_quota(quota) == fraction
    grade = GradeModel(name="优秀", min=90, quota=quota)
    assert quota_fraction(grade) == fraction and grade.quota_fraction == float(fraction)


@pytest.mark.parametrize(("quota", "code"), [("twenty%", "model.quota_format"), ("150%", "model.quota_range"),
                                             (-1, "model.quota_range"), ("20", "model.quota_range")])
def test_a_bad_quota_is_refused_when_the_ruleset_loads(quota, code):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=code):
        GradeModel(name="优秀", min=90, quota=quota)
