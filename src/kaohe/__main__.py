"""The ``kaohe`` console script and ``python -m kaohe``.

The command line is imported inside :func:`main`, so a Ctrl-C while it starts
up (importing takes a moment) is the same clean exit 3 as one during a run,
never a traceback.
"""

from __future__ import annotations


def main() -> None:
    """Start the ``kaohe`` command line."""
    try:
        from kaohe.engine.cli import main as cli_main

        cli_main()  # handles Ctrl-C itself once a command runs; this catches the moments before
    except KeyboardInterrupt:
        from kaohe.engine.cli.output import say_interrupted

        say_interrupted()
        raise SystemExit(3) from None


if __name__ == "__main__":
    main()
