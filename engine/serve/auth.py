"""Who is asking: the session cookie or a Bearer token, roles, units, and the login throttle.

Failed logins are counted per user name (known or not, so the answer does not
tell which names exist): each failure waits longer before answering
(``login_delay`` doubling up to ``login_delay_max``), and after
``lockout_after`` failures in a row the name is locked for ``lockout_seconds``.
A successful login resets the count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from fastapi import Request
from sqlalchemy import Engine
from sqlmodel import Session

from kaohe.engine.serve.config import ServeConfig
from kaohe.engine.serve.sessions import COOKIE
from kaohe.engine.serve.state import state
from kaohe.engine.serve.tables import ThrottleRow, aware, now
from kaohe.engine.serve.users import User, user_for_token


@dataclass(frozen=True)
class Principal:
    """The signed-in user and how they proved it (a session has a CSRF token; a token needs none)."""

    user: User
    via: Literal["session", "token"]
    csrf: str | None = None


class NotSignedIn(Exception):
    """No valid session or token: pages redirect to the login form, the API answers 401."""


class Forbidden(Exception):
    """The user's role may not do this (403)."""


class NotFound(Exception):
    """The object does not exist, or belongs to another unit (404: the same answer for both)."""


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer …`` header."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def principal(request: Request) -> Principal:
    """The signed-in user of this request (FastAPI dependency); raises :class:`NotSignedIn`."""
    st = state(request)
    token = bearer(request)
    if token is not None:
        user = user_for_token(st.engine, token)
        if user is None:
            raise NotSignedIn
        return Principal(user, "token")
    cookie = request.cookies.get(COOKIE)
    found = st.sessions.find(cookie) if cookie else None
    if found is None:
        raise NotSignedIn
    user, row = found
    return Principal(user, "session", row.csrf)


def require(p: Principal, *roles: str) -> None:
    """Raise :class:`Forbidden` unless the user has one of ``roles``."""
    if p.user.role not in roles:
        raise Forbidden


def check_unit(p: Principal, unit: str) -> None:
    """A unit account may only see its own unit: anything else is "not found"."""
    if p.user.is_unit and unit != p.user.unit:
        raise NotFound


# -- the login throttle ------------------------------------------------------

def lock_remaining(engine: Engine, name: str) -> float:
    """Seconds until a locked name may try again (0 when not locked)."""
    with Session(engine) as s:
        row = s.get(ThrottleRow, name.lower())
        if row is None or row.locked_until is None:
            return 0.0
        return max(0.0, float((aware(row.locked_until) - now()).total_seconds()))


def login_failed(engine: Engine, name: str, config: ServeConfig) -> float:
    """Count a failure; return how long to wait before answering."""
    with Session(engine) as s:
        row = s.get(ThrottleRow, name.lower()) or ThrottleRow(name=name.lower())
        if row.locked_until is not None and aware(row.locked_until) <= now():
            row.failures, row.locked_until = 0, None  # a lock that ran out starts a new count
        row.failures += 1
        if row.failures >= config.lockout_after:
            row.locked_until = now() + dt.timedelta(seconds=config.lockout_seconds)
        failures = row.failures
        s.add(row)
        s.commit()
    return float(min(config.login_delay * 2.0 ** (failures - 1), config.login_delay_max))


def login_succeeded(engine: Engine, name: str) -> None:
    """Forget earlier failures of ``name``."""
    with Session(engine) as s:
        row = s.get(ThrottleRow, name.lower())
        if row is not None:
            s.delete(row)
            s.commit()
