"""The audit log: every login, upload, run, publish and user change (who, when, what)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from kaohe.engine.serve.tables import AuditRow

ACTIONS = ("login", "login_failed", "logout", "upload", "upload_rejected", "run", "publish",
           "ruleset_save", "user_add", "user_remove", "user_passwd", "user_token")


@dataclass(frozen=True)
class Entry:
    """One audited action as the admin page shows it."""

    at: str
    actor: str
    action: str
    target: str
    detail: str
    ip: str


def record(engine: Engine, actor: str, action: str, target: str = "", detail: dict[str, Any] | None = None,
           ip: str = "") -> None:
    """Append one entry (its own transaction: an audit entry is never lost with a failed action's rollback)."""
    with Session(engine) as s:
        s.add(AuditRow(actor=actor, action=action, target=target[:500],
                       detail=json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)[:4000], ip=ip[:100]))
        s.commit()


def entries(engine: Engine, *, limit: int = 200, action: str | None = None) -> list[Entry]:
    """The latest entries, newest first."""
    query = select(AuditRow).order_by(col(AuditRow.id).desc())
    if action:
        query = query.where(col(AuditRow.action) == action)
    with Session(engine) as s:
        return [Entry(str(r[0].at)[:19], r[0].actor, r[0].action, r[0].target, r[0].detail, r[0].ip)
                for r in s.execute(query.limit(limit)).all()]
