"""Server-side sessions behind a signed cookie.

The cookie holds only a random session id, signed with the server's secret
(itsdangerous, the signer Flask and Starlette use), so a forged or altered
cookie is refused before the database is asked.  Signing in always creates a
new id and deletes the session the browser came with (no session fixation);
signing out, a password change and removing the user delete the row, which
ends the session at once.
"""

from __future__ import annotations

import datetime as dt
import secrets

from itsdangerous import BadSignature, Signer
from sqlalchemy import Engine, delete, select
from sqlmodel import Session, col

from kaohe.engine.serve.tables import SessionRow, SettingRow, UserRow, aware, now
from kaohe.engine.serve.users import User, _user

COOKIE = "kaohe_session"


def server_secret(engine: Engine, configured: str | None) -> str:
    """``--secret``/``KAOHE_SECRET`` when given, else one generated once and kept in the database."""
    if configured:
        return configured
    with Session(engine) as s:
        row = s.get(SettingRow, "secret")
        if row is None:
            row = SettingRow(key="secret", value=secrets.token_urlsafe(48))
            s.add(row)
            s.commit()
            s.refresh(row)
        return row.value


class Sessions:
    """Create, find and end sessions."""

    def __init__(self, engine: Engine, secret: str, hours: float):
        self.engine = engine
        self.signer = Signer(secret, salt="kaohe.session")
        self.hours = hours

    def create(self, user: User, old_cookie: str | None = None) -> tuple[str, SessionRow]:
        """A new session for ``user`` (the browser's previous one, if any, is deleted)."""
        if old_cookie:
            self.end(old_cookie)
        row = SessionRow(id=secrets.token_urlsafe(32), user_id=user.id, csrf=secrets.token_urlsafe(32),
                         expires_at=now() + dt.timedelta(hours=self.hours))
        with Session(self.engine) as s:
            s.add(row)
            s.commit()
            s.refresh(row)
        return self.signer.sign(row.id).decode(), row

    def _id(self, cookie: str) -> str | None:
        try:
            return self.signer.unsign(cookie).decode()
        except BadSignature:
            return None

    def find(self, cookie: str) -> tuple[User, SessionRow] | None:
        """The user and session of a cookie, if it is genuine and not expired."""
        sid = self._id(cookie)
        if sid is None:
            return None
        with Session(self.engine) as s:
            found = s.execute(select(SessionRow, UserRow).join(UserRow, col(UserRow.id) == col(SessionRow.user_id))
                              .where(col(SessionRow.id) == sid)).first()
            if found is None:
                return None
            row, user = found
            if aware(row.expires_at) <= now():
                s.delete(row)
                s.commit()
                return None
            s.expunge(row)
            return _user(user), row

    def end(self, cookie: str) -> None:
        """Delete the session of a cookie (no-op when there is none)."""
        sid = self._id(cookie)
        if sid is not None:
            with Session(self.engine) as s:
                s.execute(delete(SessionRow).where(col(SessionRow.id) == sid))
                s.commit()
