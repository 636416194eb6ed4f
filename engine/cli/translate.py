"""The command line in the user's language: help, usage lines and usage errors.

typer ships its own copy of click (``typer._click``) whose messages are plain
English f-strings, with no gettext to hook.  So the language is decided before
click parses anything — from ``--lang`` anywhere on the command line (before or
after the subcommand), else ``KAOHE_LANG``, else Chinese — and the English
reaches the user translated at the three places it comes out:

* help: each command's and parameter's ``help`` is looked up in a catalogue
  that each command module fills with :func:`register_help` (keyed by the
  English text, or by the command function for its docstring); typer's panel
  titles and ``[default: …]`` marks are set for the language;
* usage lines: ``Usage: kaohe run [OPTIONS] RULESET`` → ``用法：kaohe run [选项] RULESET``;
* usage errors (``Missing option '--facts'.``, a bad ``--format`` value, an
  unknown command …): re-raised as one ``UsageError`` in the user's words, by
  the message patterns of :data:`_ERRORS` (pydantic's ``Value error,`` prefix,
  which typer passes through, is dropped in every language).

The command classes :class:`KaoheGroup` and :class:`KaoheCommand` are given to
every command by the registry (engine/cli/app.py).
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import typer
from typer import rich_utils
from typer._click import Command, Context, Parameter
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperCommand, TyperGroup
from typer.models import DefaultPlaceholder

from kaohe.engine.i18n import Lang

# --- the language of this invocation ---------------------------------------------------------

_language: Lang = "zh"


def detect_language(args: Sequence[str], env: Mapping[str, str] | None = None) -> Lang:
    """The language asked for: the last ``--lang X``/``--lang=X`` in ``args``, else ``KAOHE_LANG``.

    An invalid value falls back to Chinese here; the option itself reports it.
    """
    env = os.environ if env is None else env
    value = env.get("KAOHE_LANG", "")
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
    return "en" if value == "en" else "zh"


def current_language() -> Lang:
    """The language of the command line being run (set when the ``kaohe`` group starts)."""
    return _language


# --- help texts ------------------------------------------------------------------------------

_HELP_ZH: dict[str, str] = {}


def _key(text: str) -> str:
    return " ".join(text.split())


def register_help(texts: Mapping[str | Callable[..., Any], str]) -> None:
    """Chinese for help texts: ``{English help text or command function: Chinese}``.

    A function stands for its docstring (what typer shows as the command's help).
    """
    for english, chinese in texts.items():
        source = english if isinstance(english, str) else inspect.getdoc(english) or ""
        _HELP_ZH[_key(source)] = chinese


def help_text(english: str | None, lang: Lang) -> str | None:
    """``english`` in ``lang`` (unchanged when there is no translation)."""
    if english is None or lang == "en":
        return english
    return _HELP_ZH.get(_key(english), english)


def has_translation(english: str) -> bool:
    """Whether the help text has a Chinese translation (for the meta-test)."""
    return _key(english) in _HELP_ZH


register_help({
    "Show this message and exit.": "显示本帮助并退出。",
    "zh (default) or en": "界面语言：zh（默认，中文）或 en（英文）；也可用环境变量 KAOHE_LANG",
})

# typer's own fixed strings of the help and error panels, per language
_RICH_EN = {name: getattr(rich_utils, name) for name in (
    "DEPRECATED_STRING", "DEFAULT_STRING", "ENVVAR_STRING", "REQUIRED_LONG_STRING", "ARGUMENTS_PANEL_TITLE",
    "OPTIONS_PANEL_TITLE", "COMMANDS_PANEL_TITLE", "ERRORS_PANEL_TITLE", "ABORTED_TEXT", "RICH_HELP")}
_RICH_ZH = {
    "DEPRECATED_STRING": "（已弃用） ",
    "DEFAULT_STRING": "[默认：{}]",
    "ENVVAR_STRING": "[环境变量：{}]",
    "REQUIRED_LONG_STRING": "[必填]",
    "ARGUMENTS_PANEL_TITLE": "参数",
    "OPTIONS_PANEL_TITLE": "选项",
    "COMMANDS_PANEL_TITLE": "命令",
    "ERRORS_PANEL_TITLE": "错误",
    "ABORTED_TEXT": "已中止。",
    "RICH_HELP": "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。",
}


def set_language(lang: Lang) -> None:
    """Make ``lang`` the language of the command line (help panels, usage, errors)."""
    global _language
    _language = lang
    for name, value in (_RICH_ZH if lang == "zh" else _RICH_EN).items():
        setattr(rich_utils, name, value)


def _translate_tree(command: Command, lang: Lang) -> None:
    """Every help text of ``command`` and its subcommands in ``lang`` (the English kept aside)."""
    english = command.__dict__.setdefault("_kaohe_help_en", (command.help, command.short_help))
    command.help = help_text(english[0], lang)
    command.short_help = help_text(english[1], lang)
    for param in command.params:
        _translate_param(param, lang)
    for sub in getattr(command, "commands", {}).values():
        _translate_tree(sub, lang)


def _translate_param(param: Parameter, lang: Lang) -> None:
    english = param.__dict__.setdefault("_kaohe_help_en", getattr(param, "help", None))
    if hasattr(param, "help"):
        param.help = help_text(english, lang)


def iter_help_texts(command: Command) -> Iterator[tuple[str, str]]:
    """``(where, English text)`` of every help text under ``command`` (for the meta-test)."""
    english = command.__dict__.get("_kaohe_help_en", (command.help, command.short_help))
    for text in english:
        if text:
            yield command.name or "kaohe", text
    ctx = Context(command)
    for param in [*command.params, command.get_help_option(ctx)]:
        if param is None:
            continue
        text = param.__dict__.get("_kaohe_help_en", getattr(param, "help", None))
        if text:
            yield f"{command.name} {param.name}", text
    for sub in getattr(command, "commands", {}).values():
        yield from iter_help_texts(sub)


# --- usage lines and errors ------------------------------------------------------------------

_USAGE_ZH = (("Usage: ", "用法："), ("[OPTIONS]", "[选项]"), ("COMMAND [ARGS]...", "命令 [参数]..."))


def translate_usage(usage: str, lang: Lang) -> str:
    """``Usage: kaohe run [OPTIONS] RULESET`` in ``lang``."""
    if lang == "en":
        return usage
    for english, chinese in _USAGE_ZH:
        usage = usage.replace(english, chinese)
    return usage


_KINDS_ZH = {"Path": "路径", "File": "文件", "Directory": "文件夹"}

# click/typer's English messages (as typer 0.29 words them) and their Chinese; applied in order,
# each pattern to what the earlier ones left, so composed messages translate part by part.
_ERRORS: list[tuple[str, str | Callable[[re.Match[str]], str]]] = [
    (r"^Missing option (.+?)\.", r"缺少选项 \1。"),
    (r"^Missing argument (.+?)\.", r"缺少参数 \1。"),
    (r"^Missing parameter: (.+)", r"缺少参数 \1"),
    (r"^No such option: (\S+)", r"没有选项 \1"),
    (r"\s*\(Possible options: (.+)\)", r"（可用的选项：\1）"),
    (r"^No such command (.+?)\.", r"没有命令 \1。"),
    (r"\s*Did you mean (.+?)\?", r"您是否想写 \1？"),
    (r"^Missing command\.", "缺少命令。"),
    (r"^Got unexpected extra arguments?(?:\(s\))? \((.*)\)", r"多余的参数：\1"),
    (r"^Option (.+?) requires an argument\.", r"选项 \1 需要一个值。"),
    (r"^Option (.+?) requires (\d+) arguments\.", r"选项 \1 需要 \2 个值。"),
    (r"^Option (.+?) does not take a value\.", r"选项 \1 不接受值。"),
    (r"^Argument (.+?) takes (\d+) values\.", r"参数 \1 需要 \2 个值。"),
    (r"\s*\(env var: (.+?)\)", r"（环境变量 \1）"),
    (r"^Invalid value for (.+?): ", r"\1 的值无效："),
    (r"^Invalid value: ", "值无效："),
    (r"'(.*)' is not one of (.+)\.$", r"'\1' 不是可选值之一：\2"),
    (r"Choose from:", "可选值："),
    (r"Input should be a valid integer.*$", "应为整数"),
    (r"Input should be a valid number.*$", "应为数字"),
    (r"Input should be a valid boolean.*$", "应为 true 或 false"),
    (r"(Path|File|Directory) (.+) does not exist\.", lambda m: f"{_KINDS_ZH[m[1]]} {m[2]} 不存在"),
    (r"(Path|File|Directory) (.+) is a file\.", lambda m: f"{_KINDS_ZH[m[1]]} {m[2]} 是文件，应为文件夹"),
    (r"(Path|File|Directory) (.+) is a directory\.", lambda m: f"{_KINDS_ZH[m[1]]} {m[2]} 是文件夹，应为文件"),
    (r"(Path|File|Directory) (.+) is not readable\.", lambda m: f"{_KINDS_ZH[m[1]]} {m[2]} 不可读"),
    (r"(Path|File|Directory) (.+) is not writable\.", lambda m: f"{_KINDS_ZH[m[1]]} {m[2]} 不可写"),
]
_PYDANTIC_PREFIX = re.compile(r"(?:Value error|Assertion failed), ")


def translate_message(message: str, lang: Lang) -> str:
    """A click/typer error message in ``lang`` (pydantic's prefixes removed in every language)."""
    message = _PYDANTIC_PREFIX.sub("", message)
    if lang == "en":
        return message
    for pattern, replacement in _ERRORS:
        message = re.sub(pattern, replacement, message, flags=re.S)
    return message


def translate_error(error: ClickException, lang: Lang) -> ClickException:
    """A usage error said in ``lang``; help requests and errors said already pass through."""
    if isinstance(error, NoArgsIsHelpError) or getattr(error, "_kaohe_translated", False):
        return error
    said = UsageError(translate_message(error.format_message(), lang), getattr(error, "ctx", None))
    said.exit_code = error.exit_code
    said._kaohe_translated = True  # type: ignore[attr-defined]
    return said


# --- the command classes -----------------------------------------------------------------------

class KaoheCommand(TyperCommand):
    """A ``kaohe`` subcommand: usage line and ``--help`` in the user's language."""

    def get_usage(self, ctx: Context) -> str:
        return translate_usage(super().get_usage(ctx), _language)

    def get_help_option(self, ctx: Context) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            _translate_param(option, _language)
        return option


class KaoheGroup(TyperGroup):
    """The ``kaohe`` group: decides the language, then parses; usage errors come out translated."""

    def main(self, args: Sequence[str] | None = None, *pos: Any, **kw: Any) -> Any:
        import sys

        argv = list(sys.argv[1:] if args is None else args)
        lang = detect_language(argv)
        set_language(lang)
        _translate_tree(self, lang)
        return super().main(argv, *pos, **kw)

    def make_context(self, info_name: str | None, args: list[str], parent: Context | None = None,
                     **extra: Any) -> Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except ClickException as e:
            raise translate_error(e, _language) from None

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except ClickException as e:
            raise translate_error(e, _language) from None

    def get_usage(self, ctx: Context) -> str:
        return translate_usage(super().get_usage(ctx), _language)

    def get_help_option(self, ctx: Context) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            _translate_param(option, _language)
        return option


def use_kaohe_classes(app: typer.Typer) -> None:
    """Give every command of ``app`` (and of its sub-apps) kaohe's command classes.

    Only typer's defaults are replaced: a command that chose its own class keeps it.
    """
    if _is_default(app.info.cls, TyperGroup):
        app.info.cls = KaoheGroup
    for command in app.registered_commands:
        if _is_default(command.cls, TyperCommand):
            command.cls = KaoheCommand
    for group in app.registered_groups:
        if group.typer_instance is not None:
            if _is_default(group.cls, TyperGroup):
                group.cls = KaoheGroup
            use_kaohe_classes(group.typer_instance)


def _is_default(value: object, default: type) -> bool:
    return value is None or value is default or isinstance(value, DefaultPlaceholder)
