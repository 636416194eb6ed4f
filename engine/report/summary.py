"""The one-page summary for leaders: grades and quota use, vetoes, quota decisions, red lights, movers.

Everything here is picked from the unit documents the report already has;
the lists are cut to a few entries so the summary prints on one A4 page
(the rest is one click or one page away in the board and the cards).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kaohe.engine.i18n import Lang, text
from kaohe.engine.results import UnitResult

Doc = dict[str, Any]

MAX_RED_UNITS = 4
"""Units listed with their red lights; more are counted, not named."""
MAX_MOVERS = 3
"""Units listed each way (up and down) among the biggest movers."""
MAX_DECISIONS = 3
"""Vetoes and quota decisions spelt out each; the rest are in the alerts list."""
MAX_NAME_CHARS = 200
"""Characters of unit names in the grade lists (about four printed lines), shared among the grades."""


def leader_summary(units: Sequence[Doc], grades: Sequence[Doc], indicators: Sequence[Doc],
                   history: dict[str, Any], lang: Lang) -> Doc:
    """The ``summary`` of the context (docs/templates.md)."""
    labels = {i["id"]: i["label"] for i in indicators if i["lit"]}
    red_units = []
    for u in sorted(units, key=lambda u: (u["place"], u["unit"])):
        reds = [labels[r["id"]] for r in u["indicators"] if r["light"] == "red" and r["id"] in labels]
        if reds:
            red_units.append({"unit": u["unit"], "name": u["name"], "indicators": reds})
    red_units.sort(key=lambda r: -len(r["indicators"]))  # stable: ties keep the place order
    shown = red_units[:MAX_RED_UNITS]
    more = len(red_units) - len(shown)
    vetoes, quota = _decided(units, "veto"), _decided(units, "quota")
    more_decisions = max(len(vetoes) - MAX_DECISIONS, 0) + max(len(quota) - MAX_DECISIONS, 0)
    counts = "、" if lang == "zh" else ", "
    headline = text("report.headline", lang, units=len(units),
                    grades=counts.join(f"{g['name']} {g['count']}" for g in grades))
    return {
        "headline": headline,
        "vetoes": vetoes[:MAX_DECISIONS],
        "quota": quota[:MAX_DECISIONS],
        "decisions_more": more_decisions,
        "decisions_more_text": text("report.decisions_more", lang, n=more_decisions) if more_decisions else None,
        "red_lights": sum(1 for u in units for r in u["indicators"] if r["light"] == "red" and r["id"] in labels),
        "red_units": shown,
        "red_more": more,
        "red_more_text": text("report.red_more", lang, n=more) if more else None,
        "alerts": sum(len(u["alerts"]) for u in units),
        "grade_lists": _grade_lists(units, grades, lang),
        "movers": movers(units, history, lang),
    }


def _grade_lists(units: Sequence[Doc], grades: Sequence[Doc], lang: Lang) -> list[Doc]:
    """Who got each grade, by place: :data:`MAX_NAME_CHARS` of names shared evenly among the grades given."""
    out = []
    ordered = sorted(units, key=lambda u: (u["place"], u["unit"]))
    share = MAX_NAME_CHARS // max(1, sum(1 for g in grades if g["count"]))
    for g in grades:
        names = [u["name"] for u in ordered if u["grade"] == g["name"]]
        shown: list[str] = []
        used = 0
        for name in names:
            if len(shown) >= 2 and used + len(name) + 1 > share:
                break
            shown.append(name)
            used += len(name) + 1
        more = len(names) - len(shown)
        out.append({"grade": g["name"], "names": shown, "more": more,
                    "more_text": text("report.names_more", lang, n=more) if more > 0 else None})
    return out


def _decided(units: Sequence[Doc], kind: str) -> list[Doc]:
    return [{"unit": u["unit"], "name": u["name"], "text": d["text"]}
            for u in sorted(units, key=lambda u: (u["place"], u["unit"])) for d in u["decisions"] if d["kind"] == kind]


def movers(units: Sequence[Doc], history: dict[str, Any], lang: Lang) -> Doc:
    """The units whose score changed most since the latest earlier period, up and down."""
    periods = list(history.get("periods") or [])
    if not periods:
        return {"previous_period": None, "title": text("report.movers", lang), "up": [], "down": []}
    last = periods[-1]
    before: dict[str, UnitResult] = history["units"].get(last, {})
    changes = []
    for u in units:
        old = before.get(u["unit"])
        if old is None or old.score is None or u["score"] is None:
            continue
        changes.append({"unit": u["unit"], "name": u["name"], "score": u["score"], "previous_score": old.score,
                        "delta": round(u["score"] - old.score, 6), "grade": u["grade"],
                        "previous_grade": old.grade})
    up = sorted((c for c in changes if c["delta"] > 0), key=lambda c: (-c["delta"], c["unit"]))[:MAX_MOVERS]
    down = sorted((c for c in changes if c["delta"] < 0), key=lambda c: (c["delta"], c["unit"]))[:MAX_MOVERS]
    return {"previous_period": last, "title": text("report.movers_since", lang, period=last), "up": up, "down": down}
