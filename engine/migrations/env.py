"""Alembic environment: migrations run on the connection the store hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import kaohe.engine.serve.tables  # noqa: F401  (the tables kaohe serve adds)
import kaohe.engine.store  # noqa: F401  (registers the tables on SQLModel.metadata)


def run() -> None:
    """Run the migrations on ``config.attributes["connection"]``."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("kaohe migrations run on a connection given by kaohe.engine.migrations.upgrade")
    context.configure(connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
