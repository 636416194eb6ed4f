"""The tables of ``kaohe serve``: users, tokens, sessions, login throttle, audit, uploads, settings.

Revision ID: 0002
Revises: 0001

``kaohe serve`` created these with ``create_all`` before the schema had
migrations, so a table that already exists is left as it is.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _text(name: str, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(), nullable=nullable)


def _time(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _users() -> None:
    op.create_table("serve_users", _id(), _text("name"), _text("role"), _text("unit", True),
                    _text("password_hash"), _time("created_at"), sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_serve_users_name", "serve_users", ["name"], unique=True)


def _tokens() -> None:
    op.create_table("serve_tokens", _id(), sa.Column("user_id", sa.Integer(), nullable=False),
                    _text("token_sha256"), _time("created_at"),
                    sa.ForeignKeyConstraint(["user_id"], ["serve_users.id"]), sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_serve_tokens_token_sha256", "serve_tokens", ["token_sha256"], unique=True)
    op.create_index("ix_serve_tokens_user_id", "serve_tokens", ["user_id"])


def _sessions() -> None:
    op.create_table("serve_sessions", _text("id"), sa.Column("user_id", sa.Integer(), nullable=False),
                    _text("csrf"), _time("created_at"), _time("expires_at"),
                    sa.ForeignKeyConstraint(["user_id"], ["serve_users.id"]), sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_serve_sessions_user_id", "serve_sessions", ["user_id"])


def _throttle() -> None:
    op.create_table("serve_login_throttle", _text("name"), sa.Column("failures", sa.Integer(), nullable=False),
                    _time("locked_until", True), sa.PrimaryKeyConstraint("name"))


def _audit() -> None:
    op.create_table("serve_audit", _id(), _time("at"), _text("actor"), _text("action"), _text("target"),
                    _text("detail"), _text("ip"), sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_serve_audit_action", "serve_audit", ["action"])
    op.create_index("ix_serve_audit_at", "serve_audit", ["at"])


def _uploads() -> None:
    op.create_table("serve_uploads", _id(), _text("sha256"), _text("filename"), _text("ruleset"), _text("period"),
                    sa.Column("units", sa.Integer(), nullable=False), sa.Column("size", sa.Integer(), nullable=False),
                    _text("uploader"), _text("uploader_unit", True), _time("created_at"),
                    sa.Column("content", sa.LargeBinary(), nullable=False), sa.PrimaryKeyConstraint("id"))
    op.create_index("ix_serve_uploads_sha256", "serve_uploads", ["sha256"])


def _settings() -> None:
    op.create_table("serve_settings", _text("key"), _text("value"), sa.PrimaryKeyConstraint("key"))


TABLES: dict[str, Callable[[], None]] = {
    "serve_users": _users, "serve_tokens": _tokens, "serve_sessions": _sessions,
    "serve_login_throttle": _throttle, "serve_audit": _audit, "serve_uploads": _uploads,
    "serve_settings": _settings,
}


def upgrade() -> None:
    """Create each serve table that does not exist yet."""
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, create in TABLES.items():
        if name not in existing:
            create()


def downgrade() -> None:
    """Drop the serve tables."""
    for name in reversed(list(TABLES)):
        op.drop_table(name)
