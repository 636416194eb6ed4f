"""Who would change, and why: grade transitions, changed units with their causes, flatness.

The causes of a unit's score change add up to it (up to the rounding at the
ruleset's ``precision``): the score is ``base_score + points`` and

* ``base_score = Σ contribution``, with an indicator's contribution
  ``weight × score / Σ counted weights`` — so the change of the base score is
  the sum of the changes of every indicator's contribution (kind
  ``indicator``, or ``missing`` when the indicator has a value on one side
  only, which also re-weights the others);
* ``points = Σ add of the fired rules − what bonus_limit cut off`` — so each
  rule that appeared, disappeared or changed its ``add`` is a cause (kind
  ``rule``), and a change in what ``bonus_limit`` cut off is the cause
  ``rule``/``bonus_limit``.

A grade cap (``veto``) or a lost quota place (``quota``) changes the grade,
not the score: such causes carry ``delta`` 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kaohe.engine.evaluate.numbers import round_to
from kaohe.engine.report.diagnostics import category_stats
from kaohe.engine.results import FloatArray, IntArray
from kaohe.engine.ruleset.model import RulesetModel

KIND_ORDER = {"indicator": 0, "missing": 1, "rule": 2, "veto": 3, "quota": 4}
BONUS_LIMIT = "bonus_limit"


@dataclass(frozen=True)
class Side:
    """One side of a comparison: the loaded ruleset and every unit's result, columnar.

    Arrays align with ``units`` (sorted ids); a missing number is NaN, a
    missing rank 0.  ``weights`` are the resolved weight tables per category;
    ``fired`` maps a unit to the ids of the rules that fired for it;
    ``source`` says where the side came from (a stored run or a ruleset file).
    ``engine/diff/sides.py`` builds sides from an evaluation or a stored run.
    """

    model: RulesetModel
    weights: Mapping[str, Mapping[str, float]]
    units: Sequence[str]
    names: Sequence[str]
    categories: Sequence[str]
    score: FloatArray
    grade: Sequence[str | None]
    rank: IntArray
    cap_grade: Sequence[str | None]
    quota_note: Sequence[str | None]
    values: Mapping[str, FloatArray]
    scores: Mapping[str, FloatArray]
    weight: Mapping[str, FloatArray]
    fired: Mapping[str, Sequence[str]]
    source: str
    run_id: str | None = None
    period: str = ""


@dataclass(frozen=True)
class Cause:
    """One reason a unit's score (or grade) changed."""

    kind: str  # indicator | missing | rule | veto | quota
    id: str
    delta: float


@dataclass(frozen=True)
class Standing:
    """A unit's score, grade and rank on one side."""

    score: float | None
    grade: str | None
    rank: int | None


@dataclass(frozen=True)
class UnitDiff:
    """A unit whose score, grade or rank differs (or that exists on one side only)."""

    unit: str
    name: str
    category: str
    old: Standing | None
    new: Standing | None
    delta: float | None
    causes: tuple[Cause, ...]

    @property
    def grade_changed(self) -> bool:
        """The grade differs, or the unit exists on one side only."""
        return (self.old.grade if self.old else None) != (self.new.grade if self.new else None) \
            or (self.old is None) != (self.new is None)

    @property
    def rank_changed(self) -> bool:
        """The rank within the category differs."""
        return (self.old.rank if self.old else None) != (self.new.rank if self.new else None)


@dataclass(frozen=True)
class Transition:
    """How many units went from grade ``old`` to grade ``new`` (None: absent on that side)."""

    old: str | None
    new: str | None
    count: int


@dataclass(frozen=True)
class Flatness:
    """The spread of scores (P90 − P10) in one category (``None``: all units), before and after."""

    category: str | None
    label: str
    before: Mapping[str, Any]
    after: Mapping[str, Any]


@dataclass
class Impact:
    """Everything about the units: transitions, changed units, flatness."""

    units: list[UnitDiff]
    transitions: list[Transition]
    by_category: dict[str, list[Transition]]
    flatness: list[Flatness]
    total: int
    unchanged: int
    grade_names: list[str] = field(default_factory=list)


def contributions(side: Side) -> dict[str, FloatArray]:
    """Each counted indicator's share of every unit's base score (per unit they add up to it)."""
    counted: dict[str, tuple[FloatArray, FloatArray]] = {}
    n = len(side.units)
    total = np.zeros(n)
    for iid, ind in side.model.indicators.items():
        if ind.score is None or iid not in side.scores:
            continue
        s, w = side.scores[iid], side.weight[iid]
        has = ~np.isnan(s) if ind.on_missing != "zero" else np.ones(n, dtype=bool)
        mask = has & (w > 0)
        counted[iid] = (np.where(mask, w, 0.0), np.where(mask, np.nan_to_num(s), 0.0))
        total += counted[iid][0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return {iid: np.where(total > 0, w * s / total, 0.0) for iid, (w, s) in counted.items()}


def rule_points(model: RulesetModel, fired: Sequence[str]) -> tuple[dict[str, float], float]:
    """The ``add`` of each fired rule, and how much ``bonus_limit`` cut off the bonuses."""
    rules = {r.id: r for r in model.rules}
    adds: dict[str, float] = {}
    for rid in fired:
        rule = rules.get(rid)
        if rule is not None and rule.then.add is not None:
            adds[rid] = adds.get(rid, 0.0) + float(rule.then.add)
    bonus = sum(a for a in adds.values() if a >= 0)
    cut = max(bonus - float(model.bonus_limit), 0.0) if model.bonus_limit is not None else 0.0
    return adds, cut


def _capping_rule(model: RulesetModel, fired: Sequence[str], cap: str | None) -> str | None:
    caps = {r.id for r in model.rules if r.then.cap_grade is not None and r.then.cap_grade == cap}
    return next((rid for rid in fired if rid in caps), None)


def precision(old: Side, new: Side) -> int:
    """Decimals deltas are rounded to (the finer ruleset's ``precision``): no float noise like 4.370000000000001."""
    return max(old.model.precision, new.model.precision)


def _num(x: float) -> float | None:
    return None if x != x else float(x)


def _standing(side: Side, i: int) -> Standing | None:
    if i < 0:
        return None
    rank = int(side.rank[i])
    return Standing(_num(float(side.score[i])), side.grade[i], rank if rank > 0 else None)


def _positions(units: Sequence[str], ids: Sequence[str]) -> IntArray:
    where = {u: i for i, u in enumerate(units)}
    return np.fromiter((where.get(u, -1) for u in ids), dtype=np.int64, count=len(ids))


def _aligned(column: FloatArray, pos: IntArray, fill: float = np.nan) -> FloatArray:
    out = np.full(len(pos), fill)
    ok = pos >= 0
    out[ok] = column[pos[ok]]
    return out


class _Causes:
    """Per-indicator contribution changes for every unit of the union (columnar), and the rules."""

    def __init__(self, old: Side, new: Side, po: IntArray, pn: IntArray):
        self.old, self.new = old, new
        self.po: list[int] = po.tolist()
        self.pn: list[int] = pn.tolist()
        self.digits = precision(old, new)
        co, cn = contributions(old), contributions(new)
        self.indicators = list(dict.fromkeys([*old.model.indicators, *new.model.indicators, *co, *cn]))
        self.delta: dict[str, list[float]] = {}
        self.missing: dict[str, list[bool]] = {}
        for iid in self.indicators:
            a = _aligned(co[iid], po, 0.0) if iid in co else np.zeros(len(po))
            b = _aligned(cn[iid], pn, 0.0) if iid in cn else np.zeros(len(pn))
            self.delta[iid] = round_to(b - a, self.digits).tolist()
            if iid in old.values and iid in new.values:
                va, vb = _aligned(old.values[iid], po), _aligned(new.values[iid], pn)
                self.missing[iid] = (np.isnan(va) != np.isnan(vb)).tolist()

    def of(self, k: int) -> list[Cause]:
        """The causes of unit ``k`` of the union (present on both sides)."""
        old, new = self.old, self.new
        i, j = self.po[k], self.pn[k]
        out: list[Cause] = []
        for iid in self.indicators:
            d = self.delta[iid][k]
            if d != 0.0:
                missing = iid in self.missing and self.missing[iid][k]
                out.append(Cause("missing" if missing else "indicator", iid, d))
        fired_o, fired_n = old.fired.get(old.units[i], ()), new.fired.get(new.units[j], ())
        if fired_o or fired_n:
            ao, cut_o = rule_points(old.model, fired_o)
            an, cut_n = rule_points(new.model, fired_n)
            for rid in dict.fromkeys([*ao, *an]):
                d = _round(an.get(rid, 0.0) - ao.get(rid, 0.0), self.digits)
                if d != 0.0:
                    out.append(Cause("rule", rid, d))
            if cut_n != cut_o:
                out.append(Cause("rule", BONUS_LIMIT, _round(cut_o - cut_n, self.digits)))
        cap_o, cap_n = old.cap_grade[i], new.cap_grade[j]
        if cap_o != cap_n:
            capper = _capping_rule(new.model, fired_n, cap_n) if cap_n else _capping_rule(old.model, fired_o, cap_o)
            out.append(Cause("veto", capper or cap_n or cap_o or "", 0.0))
        if old.quota_note[i] != new.quota_note[j]:
            out.append(Cause("quota", new.quota_note[j] or old.quota_note[i] or "", 0.0))
        out.sort(key=lambda c: (c.delta == 0.0, -abs(c.delta), KIND_ORDER[c.kind], c.id))
        return out


def _round(x: float, digits: int) -> float:
    return float(round_to(np.array([x]), digits)[0])


def compare_units(old: Side, new: Side) -> Impact:
    """Match units by id and describe every difference (see :class:`Impact`)."""
    ids = sorted(set(old.units) | set(new.units))
    po, pn = _positions(old.units, ids), _positions(new.units, ids)
    both = (po >= 0) & (pn >= 0)
    so, sn = _aligned(old.score, po), _aligned(new.score, pn)
    delta = round_to(sn - so, precision(old, new))
    grade_o = [old.grade[i] if i >= 0 else None for i in po.tolist()]
    grade_n = [new.grade[j] if j >= 0 else None for j in pn.tolist()]
    rank_o = np.where(po >= 0, _aligned(old.rank.astype(np.float64), po, 0.0), 0.0)
    rank_n = np.where(pn >= 0, _aligned(new.rank.astype(np.float64), pn, 0.0), 0.0)
    same_score = (so == sn) | (np.isnan(so) & np.isnan(sn))
    grade_same = np.fromiter((a == b for a, b in zip(grade_o, grade_n, strict=True)), dtype=bool, count=len(ids))
    changed = ~both | ~same_score | ~grade_same | (rank_o != rank_n)
    causes = _Causes(old, new, po, pn)
    diffs: list[UnitDiff] = []
    po_list, pn_list, delta_list = po.tolist(), pn.tolist(), delta.tolist()
    for k in np.flatnonzero(changed).tolist():
        i, j = po_list[k], pn_list[k]
        ref, at = (new, j) if j >= 0 else (old, i)
        d = delta_list[k]
        diffs.append(UnitDiff(ids[k], ref.names[at], ref.categories[at], _standing(old, i), _standing(new, j),
                              None if d != d else d, tuple(causes.of(k)) if i >= 0 and j >= 0 else ()))
    diffs.sort(key=lambda d: (not d.grade_changed, -abs(d.delta or 0.0), d.unit))
    cats = [new.categories[j] if j >= 0 else old.categories[i] for i, j in zip(po.tolist(), pn.tolist(), strict=True)]
    grades = list(dict.fromkeys([*(g.name for g in new.model.grades), *(g.name for g in old.model.grades)]))
    categories = list(dict.fromkeys([*new.model.categories, *old.model.categories, *cats]))
    triples = Counter(zip(cats, grade_o, grade_n, strict=True))
    by_category = {c: _transitions({(o, n): k for (cat, o, n), k in triples.items() if cat == c}, grades)
                   for c in categories}
    overall: Counter[tuple[str | None, str | None]] = Counter()
    for (_, o, n), k in triples.items():
        overall[(o, n)] += k
    return Impact(
        units=diffs,
        transitions=_transitions(overall, grades),
        by_category={c: t for c, t in by_category.items() if t},
        flatness=flatness(old, new, categories),
        total=len(ids),
        unchanged=len(ids) - len(diffs),
        grade_names=grades,
    )


def _transitions(counts: Mapping[tuple[str | None, str | None], int], grades: Sequence[str]) -> list[Transition]:
    order = {g: i for i, g in enumerate(grades)}

    def key(g: str | None) -> tuple[int, str]:
        return (order.get(g, len(order)) if g is not None else len(order) + 1, g or "")

    return [Transition(o, n, c) for (o, n), c in sorted(counts.items(), key=lambda kv: (key(kv[0][0]), key(kv[0][1])))]


def flatness(old: Side, new: Side, categories: Sequence[str]) -> list[Flatness]:
    """Spread (P90 − P10) and the flatness flag per category and for all units, before and after."""
    labels = {**{k: c.label for k, c in old.model.categories.items()},
              **{k: c.label for k, c in new.model.categories.items()}}

    def stats(side: Side, by_category: bool) -> dict[str, dict[str, Any]]:
        docs: list[dict[str, Any]] = [{"category": c if by_category else "*", "score": _num(float(x)), "indicators": []}
                for c, x in zip(side.categories, side.score.tolist(), strict=True)]
        return {s["category"]: s for s in category_stats(docs, {c: c for c in categories} if by_category else {"*": "*"}, [])}

    before, after = stats(old, True), stats(new, True)
    out = []
    all_before, all_after = stats(old, False).get("*"), stats(new, False).get("*")
    out.append(Flatness(None, "", _flat_part(all_before), _flat_part(all_after)))
    for c in categories:
        if c in before or c in after:
            out.append(Flatness(c, labels.get(c, c), _flat_part(before.get(c)), _flat_part(after.get(c))))
    return out


def _flat_part(stats: Mapping[str, Any] | None) -> dict[str, Any]:
    keys = ("n", "mean", "p10", "p90", "spread", "flat")
    if stats is None:
        return {"n": 0, "mean": None, "p10": None, "p90": None, "spread": None, "flat": False}
    return {k: stats[k] for k in keys}
