"""The authoring preview's summary: grades in the order they appear from the best score down."""

from __future__ import annotations

from types import SimpleNamespace

from kaohe.engine.serve.preview import Preview


def test_grades_are_listed_from_the_best_score_down_with_their_counts() -> None:
    units = [SimpleNamespace(unit=u, score=s, grade=g) for u, s, g in [
        ("c4", 40.0, "不称职"), ("c1", 97.0, "优秀"), ("c5", None, None), ("c3", 20.0, "不称职"),
        ("c2", 78.0, "称职"), ("c6", 30.0, "不称职")]]
    preview = Preview(source="run", label="x", period="2025Q1", units=units)  # type: ignore[arg-type]
    assert preview.grades == [("优秀", 1), ("称职", 1), ("不称职", 3), ("—", 1)]
    assert [u.unit for u in preview.shown] == ["c1", "c2", "c4", "c6", "c3", "c5"]
