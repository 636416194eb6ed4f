"""The report's 督办跟踪 (follow-up) section: alerts opened, still open and cleared in this period.

Computed as the run sees the record (its family's current runs up to its
period, ``engine/alerts.py``); shown by the partials ``_followup.html.j2`` and
``_followup.md.j2``.  A unit's own card shows only its own alerts.
"""

from __future__ import annotations

from typing import Any

from kaohe.engine.i18n import Lang, register, text
from kaohe.engine.store import RunInfo, Store

_LABELS: dict[str, tuple[str, str]] = {
    "title": ("督办跟踪", "Follow-up of alerts (督办)"),
    "opened": ("本期新发起", "Raised this period"),
    "still_open": ("仍未销号（此前发起）", "Still open (raised earlier)"),
    "cleared": ("本期销号", "Cleared this period"),
    "longest": ("持续最久", "Open longest"),
    "alert": ("编号", "Alert"),
    "unit": ("单位", "Unit"),
    "rule": ("规则", "Rule"),
    "level": ("预警", "Level"),
    "since": ("发起于", "Raised in"),
    "periods": ("持续期数", "Periods"),
    "notes": ("整改说明", "Measures taken"),
    "none": ("无", "none"),
    "summary": ("本期新发起 {opened} 项，仍未销号 {still_open} 项，本期销号 {cleared} 项",
                "{opened} raised this period, {still_open} still open, {cleared} cleared"),
    "longest_text": ("持续最久：{items}（{periods} 期）", "open longest: {items} ({periods} periods)"),
}
register({f"followup.{k}": v for k, v in _LABELS.items()})


def load_followup(store: Store, info: RunInfo) -> dict[str, Any]:
    """The period's follow-up as plain data (alerts as ``Alert.as_json``)."""
    from kaohe.engine.alerts import follow_up, period_summary

    family = info.family or info.ruleset_id
    alerts = follow_up(store, family, until=info)
    return {k: [a.as_json() for a in v] for k, v in period_summary(alerts, info.period).items()}


def followup_context(raw: dict[str, Any] | None, lang: Lang) -> dict[str, Any] | None:
    """The ``followup`` of the template context (None when no alert was ever raised up to this period)."""
    if not raw or not any(raw.get(k) for k in ("opened", "still_open", "cleared")):
        return None
    t = {k: text(f"followup.{k}", lang) for k in _LABELS if "{" not in _LABELS[k][0]}
    counts = {k: len(raw.get(k) or []) for k in ("opened", "still_open", "cleared")}
    longest = raw.get("longest") or []
    return {
        **{k: list(raw.get(k) or []) for k in ("opened", "still_open", "cleared", "longest")},
        "t": t,
        "summary": text("followup.summary", lang, **counts),
        "longest_text": text("followup.longest_text", lang, periods=longest[0]["periods_open"],
                             items="，".join(f"{a['name']}（{a['label']}）" for a in longest)
                             if lang == "zh" else ", ".join(f"{a['name']} ({a['label']})" for a in longest))
        if longest else None,
    }


def unit_followup(followup: dict[str, Any] | None, unit: str) -> dict[str, Any] | None:
    """The follow-up as one unit's card may show it: only that unit's alerts."""
    if not followup:
        return followup
    own = {k: [a for a in followup[k] if a["unit"] == unit] for k in ("opened", "still_open", "cleared", "longest")}
    if not any(own[k] for k in ("opened", "still_open", "cleared")):
        return None
    return {**followup, **own, "summary": None, "longest_text": None}
