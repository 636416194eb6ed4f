"""Accounts: names, roles, units, Argon2 password hashes and API tokens.

Shared by ``kaohe users`` and the server.  Passwords are hashed with
argon2-cffi (the reference Argon2 binding, maintained by the PyCA people):
its ``PasswordHasher`` picks RFC 9106 parameters, salts, and says when a hash
should be upgraded.  API tokens are long random strings; only their SHA-256 is
stored (a token has 256 bits of entropy, so a slow hash buys nothing), and
removing a user deletes its tokens and sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, select
from sqlmodel import Session, col

from kaohe.engine.errors import Hint, KaoheError, Problem
from kaohe.engine.i18n import register
from kaohe.engine.serve.tables import SessionRow, TokenRow, UserRow

ROLES = ("admin", "office", "unit")
MIN_PASSWORD = 8
TOKEN_PREFIX = "kh_"

register(
    {
        "users.exists": ("用户 `{name}` 已存在", "user `{name}` already exists"),
        "users.unknown": ("没有用户 `{name}`", "no user `{name}`"),
        "users.bad_role": ("未知角色 `{role}`", "unknown role `{role}`"),
        "users.unit_needed": ("unit 角色的用户必须用 --unit 指定所属单位编号",
                              "a user with the unit role needs --unit UNIT_ID"),
        "users.unit_only": ("只有 unit 角色的用户才属于某个单位（去掉 --unit）",
                            "only users with the unit role belong to a unit (drop --unit)"),
        "users.short_password": ("密码至少需要 {min} 个字符", "the password needs at least {min} characters"),
        "users.bad_name": ("用户名 `{name}` 无效：1–64 个字符，不能含空白或控制字符",
                           "invalid user name `{name}`: 1–64 characters, no spaces or control characters"),
    }
)


class UsersError(KaoheError):
    """A bad ``kaohe users`` request (exit code 2, like any usage error)."""

    exit_code = 2


@dataclass(frozen=True)
class User:
    """An account as the rest of the server sees it (never the hash)."""

    id: int
    name: str
    role: str
    unit: str | None

    @property
    def is_unit(self) -> bool:
        """A unit account sees only its own unit."""
        return self.role == "unit"


_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password``."""
    return _hasher.hash(password)


def check_password(hashed: str, password: str) -> bool:
    """True when ``password`` matches; a missing or corrupt hash never matches."""
    try:
        return bool(hashed) and _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    """Verified against when the user name is unknown, so both cases take the same time."""
    return hash_password(secrets.token_urlsafe(16))


def _user(row: UserRow) -> User:
    assert row.id is not None
    return User(row.id, row.name, row.role, row.unit)


def _check(name: str, role: str, unit: str | None) -> None:
    if not name or len(name) > 64 or any(c.isspace() or not c.isprintable() for c in name):
        raise UsersError(Problem("users.bad_name", {"name": name}))
    if role not in ROLES:
        raise UsersError(Problem("users.bad_role", {"role": role}, hint=Hint("hint.choices", {"choices": ", ".join(ROLES)})))
    if role == "unit" and not unit:
        raise UsersError(Problem("users.unit_needed"))
    if role != "unit" and unit:
        raise UsersError(Problem("users.unit_only"))


def check_new_password(password: str) -> None:
    """Refuse passwords shorter than :data:`MIN_PASSWORD`."""
    if len(password) < MIN_PASSWORD:
        raise UsersError(Problem("users.short_password", {"min": MIN_PASSWORD}))


def add_user(engine: Engine, name: str, role: str, unit: str | None, password: str) -> User:
    """Create an account."""
    _check(name, role, unit)
    check_new_password(password)
    with Session(engine) as s:
        if s.execute(select(UserRow).where(col(UserRow.name) == name)).first():
            raise UsersError(Problem("users.exists", {"name": name}))
        row = UserRow(name=name, role=role, unit=unit or None, password_hash=hash_password(password))
        s.add(row)
        s.commit()
        s.refresh(row)
        return _user(row)


def _row(s: Session, name: str) -> UserRow:
    found = s.execute(select(UserRow).where(col(UserRow.name) == name)).first()
    if found is None:
        raise UsersError(Problem("users.unknown", {"name": name}))
    row: UserRow = found[0]
    return row


def get_user(engine: Engine, name: str) -> User:
    """The account called ``name``."""
    with Session(engine) as s:
        return _user(_row(s, name))


def user_by_id(engine: Engine, user_id: int) -> User | None:
    """The account with this id, if it still exists."""
    with Session(engine) as s:
        row = s.get(UserRow, user_id)
        return _user(row) if row else None


def list_users(engine: Engine) -> list[User]:
    """Every account, by name."""
    with Session(engine) as s:
        return [_user(r[0]) for r in s.execute(select(UserRow).order_by(col(UserRow.name))).all()]


def remove_user(engine: Engine, name: str) -> None:
    """Delete an account with its tokens and sessions (they stop working at once)."""
    with Session(engine) as s:
        row = _row(s, name)
        s.execute(delete(TokenRow).where(col(TokenRow.user_id) == row.id))
        s.execute(delete(SessionRow).where(col(SessionRow.user_id) == row.id))
        s.delete(row)
        s.commit()


def set_password(engine: Engine, name: str, password: str) -> None:
    """Change a password; the user's open sessions end (tokens stay)."""
    check_new_password(password)
    with Session(engine) as s:
        row = _row(s, name)
        row.password_hash = hash_password(password)
        s.execute(delete(SessionRow).where(col(SessionRow.user_id) == row.id))
        s.add(row)
        s.commit()


def verify_login(engine: Engine, name: str, password: str) -> User | None:
    """The account when name and password match (constant work whether or not the name exists)."""
    with Session(engine) as s:
        found = s.execute(select(UserRow).where(col(UserRow.name) == name)).first()
        row = found[0] if found else None
        ok = check_password(row.password_hash if row else _dummy_hash(), password)
        if row is None or not ok:
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = hash_password(password)
            s.add(row)
            s.commit()
            s.refresh(row)
        return _user(row)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(engine: Engine, name: str) -> str:
    """A new API token for ``name``; it replaces the user's earlier token."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with Session(engine) as s:
        row = _row(s, name)
        s.execute(delete(TokenRow).where(col(TokenRow.user_id) == row.id))
        assert row.id is not None
        s.add(TokenRow(user_id=row.id, token_sha256=_digest(token)))
        s.commit()
    return token


def user_for_token(engine: Engine, token: str) -> User | None:
    """The account an API token belongs to, if the token is valid."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    with Session(engine) as s:
        found = s.execute(select(UserRow).join(TokenRow, col(TokenRow.user_id) == col(UserRow.id)).where(
            col(TokenRow.token_sha256) == _digest(token))).first()
        return _user(found[0]) if found else None
