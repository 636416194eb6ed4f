"""The tables ``kaohe serve`` adds to the run database (same database, same URL).

users and their API tokens, sessions, the login throttle, the audit log,
accepted facts uploads, and one settings row (the cookie-signing secret).
Created by the schema migrations (engine/migrations, revision 0002) with the run tables.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import LargeBinary
from sqlmodel import Column, Field, SQLModel

if TYPE_CHECKING:
    from kaohe.engine.store import Store


def now() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime) -> dt.datetime:
    """A stored time as UTC (SQLite gives naive datetimes back)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class UserRow(SQLModel, table=True):
    """An account: a role, for unit accounts the unit, and an Argon2 password hash."""

    __tablename__ = "serve_users"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    role: str  # admin | office | unit
    unit: str | None = None
    password_hash: str = ""
    created_at: dt.datetime = Field(default_factory=now)


class TokenRow(SQLModel, table=True):
    """An API token (only its SHA-256 is kept; the token itself is shown once)."""

    __tablename__ = "serve_tokens"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(index=True, foreign_key="serve_users.id")
    token_sha256: str = Field(unique=True, index=True)
    created_at: dt.datetime = Field(default_factory=now)


class SessionRow(SQLModel, table=True):
    """A signed-in browser: a random id (in a signed cookie), its CSRF token, when it ends."""

    __tablename__ = "serve_sessions"
    id: str = Field(primary_key=True)
    user_id: int = Field(index=True, foreign_key="serve_users.id")
    csrf: str
    created_at: dt.datetime = Field(default_factory=now)
    expires_at: dt.datetime


class ThrottleRow(SQLModel, table=True):
    """Failed logins in a row for a user name (known or not), and until when it is locked."""

    __tablename__ = "serve_login_throttle"
    name: str = Field(primary_key=True)
    failures: int = 0
    locked_until: dt.datetime | None = None


class AuditRow(SQLModel, table=True):
    """One audited action: who, when, what, on which object."""

    __tablename__ = "serve_audit"
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=now, index=True)
    actor: str
    action: str = Field(index=True)
    target: str = ""
    detail: str = ""
    ip: str = ""


class UploadRow(SQLModel, table=True):
    """An accepted facts upload: the file's bytes, hash, uploader and the ruleset it was checked against."""

    __tablename__ = "serve_uploads"
    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(index=True)
    filename: str
    ruleset: str
    period: str = ""
    units: int = 0
    size: int = 0
    uploader: str
    uploader_unit: str | None = None
    created_at: dt.datetime = Field(default_factory=now)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class SettingRow(SQLModel, table=True):
    """Server settings kept in the database (the cookie-signing secret)."""

    __tablename__ = "serve_settings"
    key: str = Field(primary_key=True)
    value: str


def open_database(db: str | None) -> Store:
    """The run database; opening it migrates it to the newest schema, serve tables included
    (revision 0002 in engine/migrations)."""
    from kaohe.engine.store import Store

    return Store(db)
