"""Shared fixtures: throw-away projects written into tmp_path, and the CLI runner."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent

# Property tests check what is computed, not how fast: on a loaded 2-core CI machine one example can take
# longer than hypothesis' default 200 ms deadline, which would fail a correct test as "flaky".
settings.register_profile("kaohe", deadline=None)
settings.load_profile("kaohe")

# A shell without job control starts background jobs with SIGINT ignored (`make test &` in a script), and
# Python then never turns Ctrl-C into KeyboardInterrupt: the interrupt tests would test nothing. Restore the
# usual handler here; processes started from the tests then get SIGINT's default again (exec resets it).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


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
        r = runner.invoke(app, [str(a) for a in args], catch_exceptions=False, prog_name="kaohe")
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


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Install throw-away plugin packages the way pip lays them out, without pip.

    ``install(dist, module, source, {entry point name: "module:object"})`` writes
    ``module.py`` and a ``<dist>-<version>.dist-info`` folder (METADATA and
    entry_points.txt) into a folder on ``sys.path``; kaohe finds the metrics
    through ``importlib.metadata`` like any installed plugin.
    """
    from kaohe.engine.plugins import registry

    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    modules: list[str] = []

    def install(dist: str, module: str, source: str, entry_points: dict[str, str], version: str = "1.0") -> None:
        (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8")
        lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[kaohe.metrics]\n{lines}", encoding="utf-8")
        modules.append(module)
        importlib.invalidate_caches()
        registry.reload()

    yield install
    for module in modules:
        sys.modules.pop(module, None)
    registry.reload()  # rediscovered lazily, after monkeypatch has taken the folder off sys.path


@pytest.fixture
def mini_runs(project: Callable[[dict[str, str]], Path], tmp_path: Path):  # type: ignore[no-untyped-def]
    """Two stored quarters of the MINI ruleset; returns (store, Q2 info, Q2 units, ruleset dir)."""
    import dataclasses

    from kaohe.engine.run import run
    from kaohe.engine.store import Store
    from tests.samples import FIXED, MINI, Q1, Q2

    root = project({"court/mini.yaml": MINI, "q1.csv": Q1, "q2.csv": Q2})
    db = f"sqlite:///{tmp_path / 'kaohe.db'}"
    run(root / "court/mini.yaml", root / "q1.csv", period="2025Q1", db=db)
    outcome = run(root / "court/mini.yaml", root / "q2.csv", period="2025Q2", db=db)
    info = dataclasses.replace(outcome.info, created_at=FIXED)
    return Store(db), info, outcome.units, root / "court"


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL server for the module; skipped, with the reason, where none can start."""
    from tests.pg import postgres_server, unavailable

    reason = unavailable()
    if reason is not None:
        pytest.skip(reason)
    with postgres_server() as url:
        yield url
