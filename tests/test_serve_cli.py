"""``kaohe serve`` as a real process: it binds, answers, and warns about non-loopback hosts."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.serve_support import RULESET


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], int]:
    (tmp_path / "rules").mkdir(exist_ok=True)
    (tmp_path / "rules" / "court.yaml").write_text(RULESET.lstrip(), encoding="utf-8")
    port = _free_port()
    exe = Path(sys.executable).parent / "kaohe"
    proc = subprocess.Popen([str(exe), "serve", "rules", "--db", f"sqlite:///{tmp_path / 'k.db'}",
                             "--port", str(port), *args],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, port


def _wait(port: int, proc: subprocess.Popen[str]) -> bytes:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read() if proc.stderr else "exited")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                return bytes(r.read())
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the server did not answer within 60 s")


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.terminate()
    out, err = proc.communicate(timeout=30)
    return out, err


def test_serve_binds_loopback_and_says_where(tmp_path: Path) -> None:
    proc, port = _serve(tmp_path)
    try:
        page = _wait(port, proc).decode()
        assert "<form" in page and 'name="password"' in page
    finally:
        out, err = _stop(proc)
    assert f"http://127.0.0.1:{port}/" in out
    assert "还没有任何用户" in err and "kaohe users add admin --role admin" in err
    assert "警告" not in err


def test_serve_on_all_interfaces_warns_about_https(tmp_path: Path) -> None:
    proc, port = _serve(tmp_path, "--host", "0.0.0.0", "--lang", "en")
    try:
        _wait(port, proc)
    finally:
        _out, err = _stop(proc)
    assert "warning: --host 0.0.0.0" in err and "HTTPS reverse proxy" in err


def test_serve_refuses_a_missing_folder(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "kaohe"
    p = subprocess.run([str(exe), "serve", "nowhere"], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert p.returncode == 1 and "规则集目录不存在" in p.stderr
