"""``kaohe users add|list|remove|passwd|token`` (the accounts of ``kaohe serve``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import run_cli
from tests.serve_support import cheap_hashes


@pytest.fixture
def users(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from kaohe.engine.cli import app

    cheap_hashes()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KAOHE_DB", f"sqlite:///{tmp_path / 'k.db'}")
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["users", *args], input=stdin, catch_exceptions=False)

    return invoke


def test_add_list_passwd_remove(users) -> None:  # type: ignore[no-untyped-def]
    r = users("add", "li", "--role", "office", "--password-stdin", stdin="s3cret-pass\n")
    assert r.exit_code == 0 and "已添加用户 li" in r.stdout
    r = users("add", "court1", "--role", "unit", "--unit", "c01", "--password-stdin", stdin="s3cret-pass\n")
    assert r.exit_code == 0
    listed = json.loads(users("list", "--json").stdout)["users"]
    assert listed == [{"name": "court1", "role": "unit", "unit": "c01"}, {"name": "li", "role": "office", "unit": None}]
    assert users("passwd", "li", "--password-stdin", stdin="another-pass\n").exit_code == 0
    r = users("remove", "court1")
    assert r.exit_code == 0 and "已删除用户 court1" in r.stdout
    assert [u["name"] for u in json.loads(users("list", "--json").stdout)["users"]] == ["li"]


def test_password_is_asked_twice_without_stdin(users) -> None:  # type: ignore[no-untyped-def]
    r = users("add", "wang", "--role", "admin", stdin="long-password\nlong-password\n")
    assert r.exit_code == 0, r.stdout + r.stderr


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("add", "x", "--role", "boss", "--password-stdin"), "password-1\n", "未知角色 `boss`"),
    (("add", "x", "--role", "unit", "--password-stdin"), "password-1\n", "必须用 --unit 指定"),
    (("add", "x", "--role", "office", "--unit", "c1", "--password-stdin"), "password-1\n", "只有 unit 角色"),
    (("add", "x", "--role", "office", "--password-stdin"), "short\n", "密码至少需要 8 个字符"),
    (("add", "a b", "--role", "office", "--password-stdin"), "password-1\n", "用户名 `a b` 无效"),
    (("add", "x", "--role", "office", "--password-stdin"), "\n", "标准输入中没有密码"),
    (("remove", "ghost"), None, "没有用户 `ghost`"),
    (("passwd", "ghost", "--password-stdin"), "password-1\n", "没有用户 `ghost`"),
    (("token", "ghost"), None, "没有用户 `ghost`"),
], ids=["role", "unit-missing", "unit-extra", "short", "name", "empty-stdin", "remove", "passwd", "token"])
def test_bad_requests_are_clear_errors(users, args, stdin, message) -> None:  # type: ignore[no-untyped-def]
    r = users(*args, stdin=stdin)
    assert r.exit_code == 2
    assert message in r.stderr and "Traceback" not in r.stderr


def test_duplicate_user_and_english(users) -> None:  # type: ignore[no-untyped-def]
    users("add", "li", "--role", "office", "--password-stdin", stdin="s3cret-pass\n")
    r = users("add", "li", "--role", "office", "--password-stdin", "--lang", "en", stdin="s3cret-pass\n")
    assert r.exit_code == 2 and "user `li` already exists" in r.stderr


def test_token_prints_only_the_token(users) -> None:  # type: ignore[no-untyped-def]
    users("add", "bot", "--role", "office", "--password-stdin", stdin="s3cret-pass\n")
    r = users("token", "bot")
    assert r.exit_code == 0 and r.stdout.count("\n") == 1 and r.stdout.startswith("kh_") and len(r.stdout) > 40


def test_the_installed_command_stores_production_argon2id_hashes(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'k.db'}"
    import subprocess
    import sys

    exe = Path(sys.executable).parent / "kaohe"
    p = subprocess.run([str(exe), "users", "add", "root", "--role", "admin", "--password-stdin", "--db", db],
                       input="a-long-password\n", capture_output=True, text=True, cwd=tmp_path, check=False)
    assert p.returncode == 0, p.stderr
    import sqlite3

    (stored,) = sqlite3.connect(tmp_path / "k.db").execute("select password_hash from serve_users").fetchone()
    assert stored.startswith("$argon2id$") and "m=65536,t=3,p=4" in stored
    assert "a-long-password" not in stored
    listed = run_cli("users", "list", "--db", db, cwd=tmp_path)
    assert "root" in listed.stdout and "admin" in listed.stdout
