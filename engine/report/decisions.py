"""What the grading steps did to each unit, in plain words, and where each unit stands.

Grades are decided in a fixed order (bands → caps → quotas → ties), so a unit's
place by score and its grade can disagree: a vetoed unit may have the best
score.  Reports therefore rank by grade first, then by score (``place``), and
say beside each unit that a veto or a quota changed its grade.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from kaohe.engine.grades import quota_fraction
from kaohe.engine.i18n import Lang
from kaohe.engine.ruleset.model import RulesetModel
from kaohe.engine.wording import cap_decision, quota_decision, tie_decision

Doc = dict[str, Any]


def grade_first_key(grades: Sequence[str]) -> Callable[[Doc], tuple[int, float]]:
    """Sort key: better grade first, then higher score; units without a grade or score last."""
    index = {g: i for i, g in enumerate(grades)}

    def key(u: Doc) -> tuple[int, float]:
        grade = index.get(u["grade"], len(grades)) if u["grade"] is not None else len(grades)
        return grade, -u["score"] if u["score"] is not None else math.inf

    return key


def places(units: Sequence[Doc], key: Callable[[Doc], tuple[int, float]]) -> dict[str, int]:
    """Competition places by ``key`` (1, 2, 2, 4): equal grade and score share a place."""
    ordered = sorted(units, key=key)
    out: dict[str, int] = {}
    for i, u in enumerate(ordered):
        prev = ordered[i - 1] if i else None
        out[u["unit"]] = out[prev["unit"]] if prev is not None and key(prev) == key(u) else i + 1
    return out


def scope_key(model: RulesetModel | None) -> Callable[[Doc], str]:
    """The quota scope a unit counts in (``quota_scope``)."""
    scope = model.quota_scope if model is not None else "category"
    if scope == "all":
        return lambda u: "*"
    if scope == "parent":
        return lambda u: u["parent"] or ""
    return lambda u: str(u["category"])


def decide(units: list[Doc], model: RulesetModel | None, ties: Sequence[dict[str, Any]],
           categories: dict[str, str], lang: Lang) -> None:
    """Set ``decisions``, ``place`` and ``category_place`` on each unit document."""
    grades = [g.name for g in model.grades] if model is not None else []
    key = grade_first_key(grades)
    overall = places(units, key)
    by_category: dict[str, list[Doc]] = {}
    for u in units:
        by_category.setdefault(u["category"], []).append(u)
    in_category: dict[str, int] = {}
    for members in by_category.values():
        in_category.update(places(members, key))
    for u in units:
        u["place"] = overall[u["unit"]]
        u["category_place"] = in_category[u["unit"]]
        u["decisions"] = []
    if model is None:
        return
    scope_of = scope_key(model)
    names = {u["unit"]: u["name"] for u in units}
    rules = {r.id: r for r in model.rules}
    index = {g: i for i, g in enumerate(grades)}
    for u in units:
        if u["cap_grade"] is not None and u["band_grade"] is not None \
                and index.get(u["cap_grade"], -1) > index.get(u["band_grade"], -1):
            reasons = [rules[f["id"]].label or f["id"] for f in u["fired"]
                       if f["id"] in rules and rules[f["id"]].then.cap_grade == u["cap_grade"]]
            text = cap_decision(u["score"], reasons or [u["cap_grade"]], u["cap_grade"], u["grade"],
                                u["cap_grade"] == grades[-1], lang)
            u["decisions"].append({"kind": "veto", "text": text})
        if u["quota_note"]:
            u["decisions"].append({"kind": "quota", "text": _quota_text(u, units, model, ties, names,
                                                                         scope_of, categories, lang)})


def _quota_text(u: Doc, units: Sequence[Doc], model: RulesetModel, ties: Sequence[dict[str, Any]],
                names: dict[str, str], scope_of: Callable[[Doc], str], categories: dict[str, str],
                lang: Lang) -> str:
    quota_grade = u["quota_note"]
    for tie in ties:
        if u["unit"] in tie.get("units", []) and tie.get("grade") == quota_grade:
            others = [names.get(o, o) for o in tie["units"] if o != u["unit"]]
            return tie_decision(u["score"], others, quota_grade, u["grade"], lang)
    grades = [g.name for g in model.grades]
    g_index = grades.index(quota_grade) if quota_grade in grades else 0
    fraction = quota_fraction(model.grades[g_index])
    scope = scope_of(u)
    members = [v for v in units if scope_of(v) == scope]
    index = {g: i for i, g in enumerate(grades)}

    def eligible(v: Doc) -> bool:
        """Still in the running for the quota grade after bands and caps."""
        band = index.get(v["band_grade"], len(grades)) if v["band_grade"] is not None else len(grades)
        cap = index.get(v["cap_grade"], -1) if v["cap_grade"] is not None else -1
        return max(band, cap) <= g_index

    score = u["score"] if u["score"] is not None else -math.inf
    position = 1 + sum(1 for v in members if eligible(v) and v["score"] is not None and v["score"] > score)
    label = None
    if model.quota_scope == "category":
        label = categories.get(scope, scope)
    elif model.quota_scope == "parent":
        label = names.get(scope, scope) or None
    return quota_decision(u["score"], position, quota_grade, fraction if fraction is not None else Fraction(0), len(members), label, u["grade"], lang)


def quota_use(model: RulesetModel | None, units: Sequence[Doc]) -> dict[str, int]:
    """For each grade with a quota, its places: ``floor(quota × units)`` summed over the quota scopes."""
    if model is None:
        return {}
    scope_of = scope_key(model)
    sizes: dict[str, int] = {}
    for u in units:
        sizes[scope_of(u)] = sizes.get(scope_of(u), 0) + 1
    out = {}
    for g in model.grades[:-1]:  # the last grade takes everyone left: a quota there means nothing
        fraction = quota_fraction(g)
        if fraction is not None:
            out[g.name] = sum(math.floor(fraction * n) for n in sizes.values())
    return out
