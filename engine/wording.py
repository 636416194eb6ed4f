"""Plain words for what a run decided: values with their units, rule effects, vetoes and quotas.

Shared by ``kaohe explain`` and the reports, so that an office clerk reads the
same sentence everywhere: ``10.99%`` for an indicator declared ``unit: "%"``
(its values are fractions), ``3`` for a count, 「一票否决：降为 不合格」 for
``{cap_grade: 不合格}``, and 「总分 97.59，因发生较大事故一票否决，等次为 不合格」 beside a
vetoed unit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from kaohe.engine.i18n import Lang, register, text

PERCENT = "%"

register(
    {
        "words.add": ("加 {points} 分", "add {points} points"),
        "words.deduct": ("扣 {points} 分", "deduct {points} points"),
        "words.veto": ("一票否决：降为 {grade}", "veto: down to {grade}"),
        "words.cap": ("等次最高为 {grade}", "grade at most {grade}"),
        "words.alert": ("预警：{alert}", "alert: {alert}"),
        "words.note": ("说明：{note}", "note: {note}"),
        "words.sep": ("；", "; "),
        "words.list_sep": ("、", ", "),
        "words.previous": ("上期{name}", "last period's {name}"),
        "words.light_of": ("{label}灯色", "{label} light"),
        "words.score_of": ("{label}得分", "{label} score"),
        "words.no_lights": ("不设灯", "no lights"),
        "words.vetoed": ("总分 {score}，因{reason}一票否决，等次为 {grade}",
                         "score {score}; vetoed ({reason}): grade {grade}"),
        "words.capped": ("总分 {score}，因{reason}，等次最高为 {cap}，评为 {grade}",
                         "score {score}; {reason} caps the grade at {cap}: graded {grade}"),
        "words.over_quota": ("总分 {score}，位列第 {position}，超出{scope} {quota_grade} 名额（{formula}），评为 {grade}",
                             "score {score}, placed {position}: over the {quota_grade} quota{scope} ({formula}); "
                             "graded {grade}"),
        "words.quota_formula": ("{quota} × {n} = {places}", "{quota} × {n} = {places}"),
        "words.quota_formula_floor": ("{quota} × {n} = {exact}，取整为 {places}",
                                      "{quota} × {n} = {exact}, rounded down to {places}"),
        "words.scope": (" {scope} 的", " of {scope}"),
        "light.green": ("绿灯", "green"),
        "light.yellow": ("黄灯", "yellow"),
        "light.red": ("红灯", "red"),
        "light.none": ("无数据", "no data"),
        "words.tied": ("总分 {score}，与 {others} 同分并列于 {quota_grade} 名额分界处，无法区分，均不占名额，评为 {grade}",
                       "score {score}, tied with {others} at the {quota_grade} cut-off and not separable: "
                       "none takes the place; graded {grade}"),
    }
)


def number(value: float | None, digits: int = 2) -> str:
    """A number with at most ``digits`` decimals, trailing zeros dropped (``1.0`` → ``1``); missing as —."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    out = f"{float(value):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if out in ("-0", "") else out


def value_text(value: float | None, unit: str | None = None, *, digits: int = 4) -> str:
    """A value as people write it: ``10.99%`` when ``unit`` is ``%`` (a fraction), else ``3 件``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit == PERCENT:
        return f"{number(value * 100, 2)}%"
    shown = number(value, digits)
    return f"{shown} {unit}" if unit else shown


@dataclass(frozen=True)
class Name:
    """How a name a rule reads (a fact or an indicator) is shown: its label and unit."""

    label: str
    unit: str | None = None


def read_text(name: str, value: object, names: Mapping[str, Name], lang: Lang) -> str:
    """``label = value`` for one value a rule condition read (``light.x``, ``previous.x`` included)."""
    return f"{read_label(name, names, lang)} = {_read_value(name, value, names, lang)}"


def read_label(name: str, names: Mapping[str, Name], lang: Lang) -> str:
    """The label of a name a rule reads: ``previous.light.closure_rate`` → 上期结案率灯色."""
    if name.startswith("previous."):
        return text("words.previous", lang, name=read_label(name[len("previous."):], names, lang))
    for prefix, code in (("light.", "words.light_of"), ("score.", "words.score_of")):
        if name.startswith(prefix):
            base = name[len(prefix):]
            return text(code, lang, label=names[base].label if base in names else base)
    return names[name].label if name in names else name


def _read_value(name: str, value: object, names: Mapping[str, Name], lang: Lang) -> str:
    bare = name.removeprefix("previous.")
    if bare.startswith("light.") and isinstance(value, str):
        return text(f"light.{value}", lang) if value in ("green", "yellow", "red") else text("light.none", lang)
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return "—" if value is None else str(value)
    if bare.startswith("score."):
        return number(value)
    entry = names.get(bare)
    return value_text(value, entry.unit if entry else None)


def effect_text(effect: Mapping[str, object], grades: Sequence[str], lang: Lang) -> str:
    """A rule's ``then:`` as a sentence: 「一票否决：降为 不合格；说明：发生较大事故」."""
    parts = []
    add = effect.get("add")
    if isinstance(add, int | float) and add:
        parts.append(text("words.add" if add > 0 else "words.deduct", lang, points=number(abs(add))))
    cap = effect.get("cap_grade")
    if cap is not None:
        lowest = bool(grades) and cap == grades[-1]
        parts.append(text("words.veto" if lowest else "words.cap", lang, grade=cap))
    if effect.get("alert"):
        parts.append(text("words.alert", lang, alert=effect["alert"]))
    if effect.get("note"):
        parts.append(text("words.note", lang, note=effect["note"]))
    return text("words.sep", lang).join(parts)


def veto_reason(label: str) -> str:
    """A veto rule's label as the reason in 「因…一票否决」 (without saying 一票否决 twice)."""
    return label.removesuffix("一票否决").rstrip("，, ") or label


def cap_decision(score: float | None, reasons: Sequence[str], cap: str, grade: str | None, lowest: bool,
                 lang: Lang) -> str:
    """Why a rule lowered the grade: 「总分 97.59，因发生较大事故一票否决，等次为 不合格」."""
    joined = text("words.list_sep", lang).join(veto_reason(r) if lowest else r for r in reasons)
    if lowest:
        return text("words.vetoed", lang, score=number(score), reason=joined, grade=grade or cap)
    return text("words.capped", lang, score=number(score), reason=joined, cap=cap, grade=grade or cap)


def quota_formula(quota: Fraction, n: int, lang: Lang) -> str:
    """``20% × 18 = 3.6，取整为 3`` (or ``20% × 15 = 3`` when exact)."""
    exact = quota * n
    places = math.floor(exact)
    shown = f"{number(float(quota) * 100, 4)}%"
    if exact == places:
        return text("words.quota_formula", lang, quota=shown, n=n, places=places)
    return text("words.quota_formula_floor", lang, quota=shown, n=n, exact=number(float(exact), 4), places=places)


def quota_decision(score: float | None, position: int, quota_grade: str, quota: Fraction, n: int,
                   scope: str | None, grade: str | None, lang: Lang) -> str:
    """Why a quota moved the unit down: 「总分 92.1，位列第 4，超出 优秀 名额（20% × 18 = 3.6，取整为 3），评为 良好」."""
    return text("words.over_quota", lang, score=number(score), position=position, quota_grade=quota_grade,
                scope=text("words.scope", lang, scope=scope) if scope else "",
                formula=quota_formula(quota, n, lang), grade=grade or "—")


def tie_decision(score: float | None, others: Sequence[str], quota_grade: str, grade: str | None,
                 lang: Lang) -> str:
    """Why a tie at the cut-off cost the place: nobody of the tied group takes it."""
    return text("words.tied", lang, score=number(score), others=text("words.list_sep", lang).join(others),
                quota_grade=quota_grade, grade=grade or "—")
