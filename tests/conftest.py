"""Shared fixtures: throw-away projects written into tmp_path, and the CLI runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CliResult:
    """What a CLI invocation returned."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict:  # type: ignore[type-arg]
        return json.loads(self.stdout)


@pytest.fixture
def project(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write ``{relative path: text}`` into tmp_path (dedented); return tmp_path."""

    def write(files: dict[str, str]) -> Path:
        for rel, content in files.items():
            p = tmp_path / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return tmp_path

    return write


@pytest.fixture
def kaohe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run ``kaohe`` in-process (typer's runner) with the database in tmp_path."""
    from kaohe.engine.cli import app

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAOHE_DB", f"sqlite:///{tmp_path / 'kaohe.db'}")
    runner = CliRunner()

    def invoke(*args: str) -> CliResult:
        r = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        return CliResult(r.exit_code, r.stdout, r.stderr)

    return invoke


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> CliResult:
    """Run the installed ``kaohe`` console script in a subprocess (the real thing)."""
    exe = Path(sys.executable).parent / "kaohe"
    full_env = {**os.environ, **(env or {})}
    p = subprocess.run([str(exe), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                       env=full_env, check=False, timeout=300)
    return CliResult(p.returncode, p.stdout, p.stderr)


@pytest.fixture(scope="module")
def county_runs(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The bundled county example (18 towns, quotas across the county, a veto), 2024 and 2025 stored.

    Returns (2025 outcome with a fixed creation time, its history, the region folder, a scratch folder).
    """
    import dataclasses
    import datetime as dt

    from kaohe.engine.report import history_from_store
    from kaohe.engine.run import run
    from kaohe.engine.store import Store

    folder = tmp_path_factory.mktemp("county")
    db = f"sqlite:///{folder / 'k.db'}"
    ruleset = ROOT / "rulesets" / "qingxi-county" / "towns.yaml"
    for year in ("2024", "2025"):
        outcome = run(ruleset, ROOT / "examples" / "qingxi-county" / f"{year}.csv", db=db)
    outcome = dataclasses.replace(outcome, info=dataclasses.replace(outcome.info, created_at=dt.datetime(2026, 1, 5, 9)))
    return outcome, history_from_store(Store(db), outcome.info), ruleset.parent, folder
