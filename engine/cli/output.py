"""Console output for the CLI: errors without tracebacks, tables, JSON."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console

from kaohe.engine.errors import KaoheError
from kaohe.engine.i18n import Lang, register, text
from kaohe.engine.jsontext import dumps

register(
    {
        "cli.internal": (
            "内部错误（这是 kaohe 的缺陷，请报告）：{error}",
            "internal error (a bug in kaohe, please report it): {error}",
        ),
        "cli.debug_hint": (
            "设置环境变量 KAOHE_DEBUG=1 可查看完整调用栈",
            "set KAOHE_DEBUG=1 to see the full traceback",
        ),
        "cli.interrupted": ("已中断，未保存任何结果", "interrupted; nothing was stored"),
    }
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(doc: Any) -> None:
    """One JSON document on stdout, UTF-8, stable key order as built."""
    sys.stdout.flush()
    sys.stdout.buffer.write(dumps(doc) + b"\n")  # the standard library's text, made fast (engine/jsontext.py)
    sys.stdout.buffer.flush()


def fail(exc: KaoheError, lang: Lang, as_json: bool = False) -> NoReturn:
    """Report a user error (stderr, or JSON on stdout) and exit with its code."""
    if as_json:
        print_json({"error": {"exit_code": exc.exit_code,
                              "problems": [p.as_dict(lang) for p in exc.problems]}})
    else:
        err.print(exc.render(lang), markup=False)
    raise typer.Exit(exc.exit_code)


@contextmanager
def reported(lang: Lang, as_json: bool = False) -> Iterator[None]:
    """Turn every exception into a clear message and an exit code (never a traceback)."""
    try:
        yield
    except typer.Exit:
        raise
    except KaoheError as e:
        fail(e, lang, as_json)
    except KeyboardInterrupt:
        say_interrupted(lang)
        raise typer.Exit(3) from None
    except BrokenPipeError:  # the reader closed stdout early (`kaohe run --json | head`): not an error of ours
        _silence_stdout()
        raise typer.Exit(PIPE_CLOSED) from None
    except Exception as e:  # last resort: a bug, still no traceback unless asked
        if os.environ.get("KAOHE_DEBUG"):
            traceback.print_exc()
        err.print(text("cli.internal", lang, error=f"{type(e).__name__}: {e}"), markup=False)
        err.print(text("cli.debug_hint", lang), markup=False)
        raise typer.Exit(3) from None


PIPE_CLOSED = 141  # what a shell reports for a program ended by SIGPIPE (128 + 13)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so flushing it at exit cannot raise once more."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):  # not a real file (a test runner's buffer): nothing will be flushed to a pipe
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def say_interrupted(lang: Lang | None = None) -> None:
    """Ctrl-C before anything was stored: say so (the caller exits 3)."""
    lg: Lang = lang or ("en" if os.environ.get("KAOHE_LANG") == "en" else "zh")
    err.print(text("cli.interrupted", lg), markup=False)


def fmt(x: float | None, digits: int = 2) -> str:
    """A number for display (stored values keep full precision)."""
    if x is None:
        return "—"
    return f"{x:.{digits}f}"

