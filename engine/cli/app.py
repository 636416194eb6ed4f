"""The ``kaohe`` command line (typer): one registry of every command.

Each command module exposes ``COMMANDS = {name: function}`` (or a typer sub-app for a group); this module is the
only place that assembles them into the typer app, in the order ``--help``
lists them.  Command modules never import this one.
"""

from __future__ import annotations

import os

import typer

from kaohe.engine.cli import alerts, analyze, authoring, commands, diff, form, serve
from kaohe.engine.cli.options import LangOpt
from kaohe.engine.cli.translate import KaoheGroup, register_help, use_kaohe_classes

COMMAND_MODULES = (authoring, commands, form, analyze, diff, alerts, serve)

APP_HELP = "kaohe (考核): rules-engine performance appraisal for government agencies"
register_help({APP_HELP: "kaohe（考核）：机关绩效考核规则引擎"})

app = typer.Typer(
    help=APP_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=KaoheGroup,  # decides the language before click parses; help, usage and errors translated
)


@app.callback()
def _options(lang: LangOpt = None) -> None:
    """``--lang`` before the subcommand (``kaohe --lang en run …``): accepted here, used by every command."""


def _register() -> None:
    for module in COMMAND_MODULES:
        for name, function in module.COMMANDS.items():
            if isinstance(function, typer.Typer):  # a command group (kaohe users add|list|…)
                app.add_typer(function, name=name)
            else:
                app.command(name)(function)


_register()
use_kaohe_classes(app)


def main() -> None:
    """Console-script entry point."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    from kaohe.engine.cli.output import say_interrupted

    try:
        app()
    except KeyboardInterrupt:  # while typer builds the commands, before any command runs
        say_interrupted()
        raise SystemExit(3) from None
    except SystemExit as e:
        if e.code == 130:  # typer's answer to Ctrl-C before a command's own handling began
            say_interrupted()
            raise SystemExit(3) from None
        raise
