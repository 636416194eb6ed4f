"""What every request handler shares: the settings, the database, the session store, caches."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from starlette.requests import Request

from kaohe.engine.serve.config import ServeConfig
from kaohe.engine.serve.sessions import Sessions

if TYPE_CHECKING:
    from kaohe.engine.serve.runcache import RunCache


@dataclass
class ServeState:
    """One per application (``app.state.kaohe``)."""

    config: ServeConfig
    engine: Engine
    sessions: Sessions
    runs: RunCache
    run_lock: threading.Lock = field(default_factory=threading.Lock)
    """One evaluation at a time: a run is CPU-bound, and two at once would only share two cores."""


def state(request: Request) -> ServeState:
    """The application's shared state."""
    found: ServeState = request.app.state.kaohe
    return found
