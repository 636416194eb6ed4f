"""What ``kaohe run`` promises when things go wrong around storing (issue 8 #2, #4, #5).

Exit 3 means nothing was stored; once the run is stored, a later failure or
Ctrl-C exits 4 and says so, with the ``kaohe report`` command to finish.
"""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

import pytest

import kaohe.engine.store as store_module
from tests.samples import MINI, Q1


@pytest.fixture
def court(project):
    return project({"court/mini.yaml": MINI, "q1.csv": Q1})


def stored_runs(root: Path) -> int:
    db = root / "kaohe.db"
    if not db.exists():
        return 0
    with sqlite3.connect(db) as conn:
        tables = {t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        count = conn.execute("SELECT count(*) FROM runs").fetchone()[0] if "runs" in tables else 0
    conn.close()
    return int(count)


def run_args(court: Path, *extra: object) -> tuple[object, ...]:
    return ("run", court / "court/mini.yaml", "--facts", court / "q1.csv", "--period", "2025Q1", *extra)


# -- #4 a facts file without unit rows -------------------------------------------------

@pytest.mark.parametrize(("name", "content", "line"), [
    ("header.csv", "unit,name,category,received,closed,expert,period\n", ":1:"),
    ("empty.json", "[]", ""),
])
def test_a_facts_file_without_unit_rows_is_a_facts_error(court, kaohe, name, content, line):
    (court / name).write_text(content, encoding="utf-8")
    r = kaohe("run", court / "court/mini.yaml", "--facts", court / name, "--period", "2025Q1")
    assert r.exit_code == 2
    assert f"{name}{line}" in r.stderr and "事实文件没有任何单位的数据" in r.stderr
    assert stored_runs(court) == 0


# -- #5 report options checked before evaluating; a report failing after storing ------

def test_a_report_folder_given_as_a_file_fails_before_anything_is_stored(court, kaohe):
    (court / "out").mkdir()
    r = kaohe(*run_args(court, "--report", court / "out"))
    assert r.exit_code == 3 and "是一个文件夹" in r.stderr
    assert stored_runs(court) == 0


def test_an_unknown_report_format_fails_before_anything_is_stored(court, kaohe):
    r = kaohe(*run_args(court, "--report", court / "r.docx", "--format", "docx"))
    assert r.exit_code == 2 and "'docx'" in r.stderr and "--format" in r.stderr  # a usage error from click
    assert stored_runs(court) == 0


def test_a_broken_region_template_fails_before_anything_is_stored(court, kaohe):
    templates = court / "court" / "templates"
    templates.mkdir()
    (templates / "report.html.j2").write_text("<h1>{{ run.id }</h1>\n{% for u in units %}\n", encoding="utf-8")
    r = kaohe(*run_args(court, "--report", court / "r.html"))
    assert r.exit_code == 3
    assert f"{templates / 'report.html.j2'}:1" in r.stderr and "报告模板" in r.stderr
    assert stored_runs(court) == 0


def test_a_ruleset_naming_a_missing_report_template_fails_before_anything_is_stored(court, kaohe):
    ruleset = court / "court/mini.yaml"
    ruleset.write_text(ruleset.read_text(encoding="utf-8") + "report: {template: nowhere.html.j2}\n",
                       encoding="utf-8")
    r = kaohe(*run_args(court, "--report", court / "r.html"))
    assert r.exit_code == 3 and "nowhere.html.j2" in r.stderr
    assert stored_runs(court) == 0


def test_a_report_that_fails_after_storing_says_the_run_is_stored_and_how_to_write_it(court, kaohe):
    templates = court / "court" / "templates"
    templates.mkdir()
    # compiles, but fails while rendering: only known once there is a run
    (templates / "report.html.j2").write_text("{{ 1 // (units | length - units | length) }}\n", encoding="utf-8")
    r = kaohe(*run_args(court, "--report", court / "r.html"))
    assert r.exit_code == 4
    assert stored_runs(court) == 1
    run_id = kaohe("runs", "--json").json()["runs"][0]["id"]
    assert f"运行 {run_id} 已保存，但报告没有写成" in r.stderr
    assert f"kaohe report {run_id} --out {court / 'r.html'} --format html" in r.stderr
    assert "ZeroDivisionError" in r.stderr
    # the same with --json: one document saying the run is stored
    again = kaohe(*run_args(court, "--report", court / "r.html", "--json"))
    assert again.exit_code == 4
    doc = again.json()
    assert doc["run"]["id"] == run_id and doc["error"]["exit_code"] == 4 and doc["error"]["stored"] is True
    assert doc["error"]["problems"][0]["code"] == "report.template_error"


# -- #2 Ctrl-C: before the commit nothing is stored; after it, the truth --------------

def _sigint_now() -> None:
    os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_while_rows_are_written_rolls_back_and_says_nothing_was_stored(court, kaohe, monkeypatch):
    real = store_module._indicator_rows

    def rows(run_id, ev):
        for batch in real(run_id, ev):
            _sigint_now()  # held while storing; the check before each batch aborts the transaction
            yield batch

    monkeypatch.setattr(store_module, "_indicator_rows", rows)
    r = kaohe(*run_args(court))
    assert r.exit_code == 3 and "已中断，未保存任何结果" in r.stderr
    assert stored_runs(court) == 0


def test_ctrl_c_during_the_commit_is_raised_after_it_and_says_the_run_is_stored(court, kaohe, monkeypatch):
    real = store_module.Store.save_run

    def save_run(self, *args, **kwargs):
        saved = real(self, *args, **kwargs)
        _sigint_now()  # the commit is done; the interrupt arrives before run() returns
        return saved

    monkeypatch.setattr(store_module.Store, "save_run", save_run)
    r = kaohe(*run_args(court))
    assert r.exit_code == 4
    assert stored_runs(court) == 1
    run_id = kaohe("runs", "--json").json()["runs"][0]["id"]
    assert f"已中断：运行 {run_id} 在中断前已保存" in r.stderr
    assert "未保存任何结果" not in r.stderr


def test_ctrl_c_while_the_results_are_printed_says_the_run_is_stored(court, kaohe, monkeypatch):
    import kaohe.engine.cli.commands as commands

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "_print_outcome", interrupted)
    r = kaohe(*run_args(court))
    assert r.exit_code == 4 and "已保存" in r.stderr and "未保存任何结果" not in r.stderr
    assert stored_runs(court) == 1


def test_ctrl_c_during_evaluation_stores_nothing(court, kaohe, monkeypatch):
    import kaohe.engine.run as run_module

    real = run_module.evaluate_with

    def evaluate(*args, **kwargs):
        real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "evaluate_with", evaluate)
    r = kaohe(*run_args(court, "--lang", "en"))
    assert r.exit_code == 3 and "interrupted; nothing was stored" in r.stderr
    assert stored_runs(court) == 0


# -- output read only in part, and the report format from the file name ----------------

def test_a_reader_closing_the_output_early_is_no_internal_error(court):
    import subprocess
    import sys

    exe = Path(sys.executable).parent / "kaohe"
    proc = subprocess.Popen([str(exe), *map(str, run_args(court, "--json"))], cwd=court,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head` that has read enough: every write finds the pipe closed
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141
    assert "内部错误" not in stderr and "Traceback" not in stderr and "BrokenPipe" not in stderr
    assert stored_runs(court) == 1  # the run itself was stored before the output was written


@pytest.mark.parametrize(("name", "starts"), [("r.md", b"# "), ("r.xlsx", b"PK"), ("r.html", b"<!DOCTYPE html>")])
def test_the_report_format_follows_the_file_name(court, kaohe, name, starts):
    assert kaohe(*run_args(court, "--report", court / name)).exit_code == 0
    assert (court / name).read_bytes().startswith(starts)
    run_id = kaohe("runs", "--json").json()["runs"][0]["id"]
    again = court / f"again-{name}"
    assert kaohe("report", run_id, "--out", again).exit_code == 0
    assert again.read_bytes().startswith(starts)
    forced = court / "forced.md"  # --format given: it wins over the file name
    assert kaohe("report", run_id, "--out", forced, "--format", "html").exit_code == 0
    assert forced.read_bytes().startswith(b"<!DOCTYPE html>")
