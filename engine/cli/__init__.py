"""The ``kaohe`` command line (the typer app lives in app.py, imported on first use)."""

from __future__ import annotations

from typing import Any

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point; Ctrl-C while the CLI starts up is a clean exit 3 too."""
    try:
        from kaohe.engine.cli.app import main as run_main
    except KeyboardInterrupt:
        from kaohe.engine.cli.output import say_interrupted

        say_interrupted()
        raise SystemExit(3) from None
    run_main()


def __getattr__(name: str) -> Any:
    if name == "app":
        from kaohe.engine.cli.app import app

        return app
    raise AttributeError(name)
