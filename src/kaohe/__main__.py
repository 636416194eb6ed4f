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
    except KeyboardInterrupt:
        from kaohe.engine.cli.output import say_interrupted

        say_interrupted()
        raise SystemExit(3) from None
    cli_main()


if __name__ == "__main__":
    main()
