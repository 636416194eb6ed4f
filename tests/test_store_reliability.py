"""Databases in bad places (issue 8 #10, #12): read-only file systems and damaged files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.samples import MINI, Q1

KAOHE = str(Path(sys.executable).parent / "kaohe")


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Path, str]:
    """A folder ``data/`` holding kaohe.db with one run of the mini court; returns (folder, run id)."""
    (tmp_path / "mini.yaml").write_text(textwrap.dedent(MINI).lstrip("\n"), encoding="utf-8")
    (tmp_path / "q1.csv").write_text(Q1, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    from kaohe.engine.run import run

    outcome = run(tmp_path / "mini.yaml", tmp_path / "q1.csv", period="2025Q1", db=str(data / "kaohe.db"))
    import gc
    import sqlite3

    gc.collect()  # close the run's pooled connections, so the WAL can be folded into the file
    with sqlite3.connect(data / "kaohe.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return data, outcome.info.id


def _readonly(folder: Path, *args: str, cwd: Path) -> CliResult:
    """Run kaohe while ``folder`` is read-only: a read-only bind mount when we are root
    (root ignores file modes), otherwise the folder and its files made read-only."""
    env = {**os.environ, "KAOHE_LANG": "zh"}
    if os.geteuid() == 0:
        if shutil.which("unshare") is None:
            pytest.fail("root needs unshare(1) to mount a read-only view")
        script = 'mount --bind -o ro "$0" "$0" && exec "$@"'
        cmd = ["unshare", "-m", "sh", "-c", script, str(folder), KAOHE, *args]
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, check=False, timeout=120)
    else:
        for f in folder.iterdir():
            f.chmod(0o444)
        folder.chmod(0o555)
        try:
            p = subprocess.run([KAOHE, *args], cwd=cwd, capture_output=True, text=True, env=env, check=False,
                               timeout=120)
        finally:
            folder.chmod(0o755)
    return CliResult(p.returncode, p.stdout, p.stderr)


def test_runs_and_report_read_a_database_on_a_read_only_file_system(stored, tmp_path):
    data, run_id = stored
    db = str(data / "kaohe.db")
    listed = _readonly(data, "runs", "--json", "--db", db, cwd=tmp_path)
    assert listed.exit_code == 0, listed.stderr
    assert [r["id"] for r in listed.json()["runs"]] == [run_id]
    report = _readonly(data, "report", run_id, "--db", db, "--out", str(tmp_path / "r.html"), cwd=tmp_path)
    assert report.exit_code == 0, report.stderr
    assert "刑一庭" in (tmp_path / "r.html").read_text(encoding="utf-8")
    explained = _readonly(data, "explain", run_id, "c01", "--db", db, cwd=tmp_path)
    assert explained.exit_code == 0 and "c01" in explained.stdout
    # storing into it is refused clearly, before anything is evaluated
    stored_run = _readonly(data, "run", str(tmp_path / "mini.yaml"), "--facts", str(tmp_path / "q1.csv"),
                           "--period", "2025Q2", "--db", db, cwd=tmp_path)
    assert stored_run.exit_code == 3
    assert "只读" in stored_run.stderr and "Traceback" not in stored_run.stderr
    assert "kaohe.db" in {p.name for p in data.iterdir()}


def test_a_read_only_database_left_with_its_wal_file_is_read_with_it(stored, tmp_path):
    """A copy taken while a writer was open carries -wal/-shm files: their runs count too."""
    import sqlite3

    data, run_id = stored
    with sqlite3.connect(data / "kaohe.db") as conn:  # a writer that has not checkpointed yet
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute("UPDATE runs SET period = '2025Q4'")
        conn.commit()
        assert (data / "kaohe.db-wal").stat().st_size > 0
        listed = _readonly(data, "runs", "--json", "--db", str(data / "kaohe.db"), cwd=tmp_path)
    conn.close()
    assert listed.exit_code == 0, listed.stderr
    assert [(r["id"], r["period"]) for r in listed.json()["runs"]] == [(run_id, "2025Q4")]


def _corrupt_page(db: Path, table: str) -> None:
    """Overwrite the first page of ``table`` with garbage (as a failing disk would)."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    conn.close()
    with db.open("r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xde\xad\xbe\xef" * (page_size // 4))


@pytest.mark.parametrize("command", ["report", "explain", "run"])
def test_a_damaged_database_page_is_a_clear_error_naming_the_file(stored, tmp_path, kaohe, command):
    data, run_id = stored
    db = data / "kaohe.db"
    _corrupt_page(db, "unit_results")
    args = {
        "report": ("report", run_id, "--out", tmp_path / "r.html"),
        "explain": ("explain", run_id, "c01"),
        "run": ("run", tmp_path / "mini.yaml", "--facts", tmp_path / "q1.csv", "--period", "2025Q2"),
    }[command]
    r = kaohe(*args, "--db", str(db))
    assert r.exit_code == 3
    assert f"{db}: 错误: 数据库文件已损坏，无法读取：database disk image is malformed" in r.stderr
    assert ".recover" in r.stderr and "内部错误" not in r.stderr


def test_a_file_that_is_not_a_database(tmp_path, kaohe):
    db = tmp_path / "notes.db"
    db.write_bytes(b"these are not the pages you are looking for\n" * 200)
    r = kaohe("runs", "--db", str(db))
    assert r.exit_code == 3
    assert "数据库文件已损坏" in r.stderr and "file is not a database" in r.stderr
