"""The run's record in its report: which run it replaces and why, publication, the correction.

A run that supersedes a published run is a correction: its report names the
published run, the reason, and every unit whose score or grade differs from
what was published (computed with ``kaohe diff``'s engine).  The report of a
run that was itself superseded says so, so an old printout cannot pass for
the current result.  Templates include ``_record.html.j2`` / ``_record.md.j2``.
"""

from __future__ import annotations

from typing import Any

from kaohe.engine.i18n import Lang, register, text
from kaohe.engine.store import RunInfo, Store

register(
    {
        "record.replaces": ("本结果替代运行 {id}（{at} 生成）。原因：{reason}",
                            "This result supersedes run {id} (made {at}). Reason: {reason}"),
        "record.correction": ("更正说明：运行 {id} 的结果已于 {published} 公示，本结果是对它的更正。原因：{reason}",
                              "Correction: the result of run {id} was published on {published}; this result "
                              "corrects it. Reason: {reason}"),
        "record.changed": ("与公示结果相比，以下单位的总分或等次有变化：", "Compared with the published result, these units changed:"),
        "record.unchanged": ("与公示结果相比，各单位的总分与等次均未变化。",
                             "Compared with the published result, no unit's score or grade changed."),
        "record.published": ("本结果已于 {at} 公示。", "This result was published on {at}."),
        "record.superseded": ("注意：本运行已被运行 {by} 替代，不是当前有效的结果。",
                              "Note: this run was superseded by run {by}; it is not the current result."),
        "record.no_reason": ("未说明", "none given"),
        "record.title": ("运行记录", "Run record"),
        "record.published_col": ("公示结果", "Published"),
        "record.corrected_col": ("更正后", "Corrected"),
    }
)


def load_record(store: Store, info: RunInfo) -> dict[str, Any]:
    """What the store knows about ``info``'s place in the record (plain data, no text yet)."""
    record = store.run_record([info.id]).get(info.id, {})
    out: dict[str, Any] = {"published_at": record.get("published_at"), "superseded_by": record.get("superseded_by"),
                           "supersedes": None, "correction": None}
    if info.supersedes:
        old = store.get_run(info.supersedes)
        published = store.published(old.id)
        out["supersedes"] = {"id": old.id, "created_at": str(old.created_at)[:19], "reason": info.reason,
                             "published_at": published[0].isoformat() if published else None}
        if published is not None:
            out["correction"] = _changes(store, old, info)
    return out


def _changes(store: Store, old: RunInfo, new: RunInfo) -> list[dict[str, Any]]:
    from kaohe.engine.diff import compare
    from kaohe.engine.diff.sides import side_of_run

    result = compare(side_of_run(store, old), side_of_run(store, new))
    return [{"unit": u.unit, "name": u.name, "category": u.category,
             "old": None if u.old is None else {"score": u.old.score, "grade": u.old.grade},
             "new": None if u.new is None else {"score": u.new.score, "grade": u.new.grade},
             "delta": u.delta}
            for u in result.impact.units
            if u.delta != 0.0 or u.grade_changed]


def record_context(raw: dict[str, Any] | None, lang: Lang) -> dict[str, Any] | None:
    """The ``record`` of the template context: the raw record plus its sentences in ``lang``."""
    if not raw:
        return None
    lines: list[str] = []
    sup = raw.get("supersedes")
    if sup:
        reason = sup.get("reason") or text("record.no_reason", lang)
        if sup.get("published_at"):
            lines.append(text("record.correction", lang, id=sup["id"], published=sup["published_at"][:10],
                              reason=reason))
            lines.append(text("record.changed" if raw.get("correction") else "record.unchanged", lang))
        else:
            lines.append(text("record.replaces", lang, id=sup["id"], at=sup["created_at"], reason=reason))
    if raw.get("published_at"):
        lines.append(text("record.published", lang, at=raw["published_at"][:10]))
    if raw.get("superseded_by"):
        lines.append(text("record.superseded", lang, by=raw["superseded_by"]))
    if not lines:
        return None
    return {**raw, "lines": lines, "title": text("record.title", lang),
            "published_col": text("record.published_col", lang), "corrected_col": text("record.corrected_col", lang)}


def unit_record(record: dict[str, Any] | None, unit: str) -> dict[str, Any] | None:
    """The record as one unit's own card may show it: only that unit's correction."""
    if not record:
        return record
    correction = record.get("correction")
    return {**record, "correction": [c for c in correction if c["unit"] == unit] if correction else correction}
