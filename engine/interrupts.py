"""Ctrl-C at safe points only.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be.
Some places cannot take it: durable_rules catches every exception inside a
rule action and carries on (a firing is silently lost and the run would be
stored short), and a commit that completes while the exception unwinds would
leave the user told "nothing was stored" about a stored run.

Inside :func:`deferred` SIGINT only notes that the user asked to stop; the
interrupt is raised at the next :func:`checkpoint` (the rule adapter calls it
between units, the store between batches) or when the block ends.  Outside
the main thread (where Python never delivers signals) it changes nothing.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

_state: dict[str, Any] = {"depth": 0, "pending": False}


def _note(_signum: int, _frame: FrameType | None) -> None:
    _state["pending"] = True


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT until the next :func:`checkpoint` or the end of the block."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    outermost = _state["depth"] == 0
    previous: Any = None
    if outermost:
        previous = signal.getsignal(signal.SIGINT)
        if previous is not signal.default_int_handler:
            # SIGINT ignored (a job started in the background) or handled by the host
            # program: leave it alone
            outermost = False
            previous = None
        else:
            _state["pending"] = False
            signal.signal(signal.SIGINT, _note)
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
        if outermost:
            signal.signal(signal.SIGINT, previous)
    if outermost:
        checkpoint()


def checkpoint() -> None:
    """Raise ``KeyboardInterrupt`` now if Ctrl-C was pressed inside :func:`deferred`."""
    if _state["pending"]:
        _state["pending"] = False
        raise KeyboardInterrupt


def pending() -> bool:
    """Whether an interrupt is waiting for the next checkpoint."""
    return bool(_state["pending"])
