"""督办 follow-up: an alert raised by a rule has a life across the periods of a ruleset family.

An alert is one rule's alert for one unit.  It is **opened** in the first
period whose current run raises it, stays **open** while later runs raise it
(a period without a run, or a run without the unit, changes nothing) and is
**cleared** by the first later run of the family that has the unit but no
longer raises it (also when a new ruleset version dropped the rule).  Raised
again later, it is a new alert.  ``periods_open`` counts the periods whose run
raised it.  Alerts are computed from the stored runs (the current run of each
period), so correcting a run corrects the follow-up; notes on the measures
taken are kept beside them (``kaohe alerts note``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kaohe.engine.errors import Hint, Problem, RunError, did_you_mean
from kaohe.engine.i18n import register
from kaohe.engine.period import parse_period
from kaohe.engine.store import RunInfo, Store

register(
    {
        "alerts.unknown": ("没有编号为 `{alert}` 的预警", "no alert `{alert}`"),
        "alerts.ambiguous": ("`{alert}` 可对应多个预警：{matches}", "`{alert}` matches several alerts: {matches}"),
        "alerts.empty_note": ("说明不能为空", "the note cannot be empty"),
        "hint.alerts": ("用 kaohe alerts 查看预警编号", "see the alert ids with kaohe alerts"),
    }
)


@dataclass
class Alert:
    """One rule's alert for one unit, from the period it was raised until it was cleared."""

    id: str
    family: str
    unit: str
    name: str
    rule: str
    label: str
    level: str
    opened: str
    last_raised: str
    cleared: str | None = None
    periods_open: int = 1
    runs: list[str] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        """Not cleared yet."""
        return self.cleared is None

    def as_json(self) -> dict[str, Any]:
        """The alert as ``kaohe alerts --json`` prints it."""
        return {"id": self.id, "family": self.family, "unit": self.unit, "name": self.name, "rule": self.rule,
                "label": self.label, "level": self.level, "status": "open" if self.is_open else "cleared",
                "opened": self.opened, "last_raised": self.last_raised, "cleared": self.cleared,
                "periods_open": self.periods_open, "runs": list(self.runs), "notes": list(self.notes)}


def alert_id(family: str, unit: str, rule: str, opened: str) -> str:
    """A stable id: the same alert keeps it when runs are corrected."""
    return "A" + hashlib.sha256(f"{family}\x1f{unit}\x1f{rule}\x1f{opened}".encode()).hexdigest()[:9]


def _order(period: str) -> tuple[int, int, str]:
    p = parse_period(period)
    return (p.year, p.start().toordinal(), period) if p is not None else (0, 0, period)


def follow_up(store: Store, family: str, *, until: RunInfo | None = None) -> list[Alert]:
    """Every alert of ``family``, oldest first; with ``until``, as seen by that run (later periods
    ignored, ``until`` standing for its period)."""
    runs = {r.period: r for r in store.list_runs(limit=100_000, current_only=True, family=family)}
    if until is not None:
        runs = {p: r for p, r in runs.items() if _order(p) < _order(until.period)}
        runs[until.period] = until
    names: dict[str, str] = {}
    open_: dict[tuple[str, str], Alert] = {}
    done: list[Alert] = []
    for period in sorted(runs, key=_order):
        info = runs[period]
        rules = _alert_rules(info)
        units, fired = store.raised(info.id)
        raised = {(u, r) for u, r in fired if r in rules}
        names.update(units)
        for key in sorted(raised):
            alert = open_.get(key)
            if alert is None:
                unit, rule = key
                label, level = rules[rule]
                open_[key] = Alert(alert_id(family, unit, rule, period), family, unit, names.get(unit, unit), rule,
                                   label, level, period, period, runs=[info.id])
            else:
                alert.last_raised = period
                alert.periods_open += 1
                alert.runs.append(info.id)
        for key in [k for k in open_ if k not in raised and k[0] in units]:
            alert = open_.pop(key)
            alert.cleared = period
            done.append(alert)
    out = sorted([*done, *open_.values()], key=lambda a: (_order(a.opened), a.unit, a.rule))
    notes = store.alert_notes([a.id for a in out])
    for a in out:
        a.name = names.get(a.unit, a.name)
        a.notes = [n for n in notes if n["alert"] == a.id]
    return out


def _alert_rules(info: RunInfo) -> dict[str, tuple[str, str]]:
    """rule id → (label, alert level) for the rules of the run's ruleset that raise an alert."""
    try:
        rules = json.loads(info.ruleset_json or "{}").get("rules") or []
    except ValueError:
        return {}
    return {r["id"]: (r.get("label") or r["id"], r["then"]["alert"]) for r in rules
            if isinstance(r, dict) and isinstance(r.get("then"), dict) and r["then"].get("alert")}


def families(store: Store) -> list[str]:
    """Every family with a stored run."""
    return sorted({r.family for r in store.list_runs(limit=100_000, current_only=True)})


def list_alerts(store: Store, *, family: str | None = None, unit: str | None = None,
                only_open: bool = False) -> list[Alert]:
    """Alerts of one family or all, optionally one unit's (id or name) and only open ones."""
    out: list[Alert] = []
    for f in ([family] if family else families(store)):
        out.extend(follow_up(store, f))
    if unit:
        out = [a for a in out if unit in (a.unit, a.name)]
    if only_open:
        out = [a for a in out if a.is_open]
    return out


def find_alert(store: Store, alert: str) -> Alert:
    """The alert whose id is ``alert`` or starts with it."""
    every = list_alerts(store)
    matches = [a for a in every if a.id.startswith(alert)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise RunError(Problem("alerts.ambiguous", {"alert": alert, "matches": ", ".join(a.id for a in matches[:5])}))
    raise RunError(Problem("alerts.unknown", {"alert": alert},
                           hint=did_you_mean(alert, [a.id for a in every]) or Hint("hint.alerts")))


def add_note(store: Store, alert: str, note: str) -> Alert:
    """Keep a note of the measures taken with an alert; return the alert."""
    if not note.strip():
        raise RunError(Problem("alerts.empty_note", {}))
    found = find_alert(store, alert)
    store.add_alert_note(found.id, found.family, found.unit, found.rule, found.opened, note.strip())
    found.notes.append({"alert": found.id, "text": note.strip(), "at": None})
    return found


def period_summary(alerts: Sequence[Alert], period: str) -> dict[str, list[Alert]]:
    """The 督办 follow-up of one period: opened in it, still open, cleared in it, longest open."""
    opened = [a for a in alerts if a.opened == period and a.is_open]
    still = [a for a in alerts if a.is_open and a.opened != period]
    cleared = [a for a in alerts if a.cleared == period]
    live = [a for a in alerts if a.is_open]
    longest = max((a.periods_open for a in live), default=0)
    return {"opened": opened, "still_open": still, "cleared": cleared,
            "longest": [a for a in live if a.periods_open == longest] if longest else []}
