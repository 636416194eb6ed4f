"""The settings of one ``kaohe serve`` process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServeConfig:
    """What the server needs to know; tests shorten the login delays.

    ``login_delay`` is the pause after the first failed login; it doubles with
    every further failure up to ``login_delay_max``.  After ``lockout_after``
    failures in a row the account is locked for ``lockout_seconds`` (even the
    right password is refused meanwhile).
    """

    rulesets_dir: Path
    db: str | None = None
    secret: str | None = None
    login_delay: float = 0.5
    login_delay_max: float = 4.0
    lockout_after: int = 5
    lockout_seconds: float = 15 * 60
    session_hours: float = 12.0
    max_upload_bytes: int = 50 * 1024 * 1024
    cache_runs: int = 4
