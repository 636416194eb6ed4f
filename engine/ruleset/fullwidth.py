"""Full-width punctuation where YAML needs its half-width structure (a Chinese input habit).

With a Chinese input method on, ``label：结案数`` is typed with a full-width
colon, ``{a: 1，b: 2}`` with a full-width comma, ``“>= 0.85”`` with Chinese
quotes, ``【a, b】`` with Chinese brackets.  YAML then reads text where the
author meant structure, and later stages report something misleading
("缺少必填键 label").  This module finds those characters and says which
character, where, and what to type instead.

Two entry points: :func:`in_nodes` walks a parsed document (the precise case:
a *key* holding ``：``, a whole value wrapped in ``“”`` or ``【】``, ``，``
inside a flow collection), and :func:`in_lines` scans the lines around a
syntax error (the parse failed, so only the text is left).  Full-width
punctuation inside free text (labels, notes, messages) is left alone.
"""

from __future__ import annotations

import re

import yaml

from kaohe.engine.errors import Location, Problem
from kaohe.engine.i18n import phrase, register

register(
    {
        "yaml.fullwidth": ("第 {line} 行第 {column} 列的 `{char}` 是全角{name}，YAML 的结构符号要用半角：改成 {fix}",
                           "`{char}` at line {line}, column {column} is a full-width {name}; YAML structure needs "
                           "half-width punctuation: write {fix}"),
        "yaml.fw.colon": ("冒号", "colon"),
        "yaml.fw.comma": ("逗号", "comma"),
        "yaml.fw.quote": ("引号", "quote"),
        "yaml.fw.bracket": ("方括号", "bracket"),
        "yaml.fw.brace": ("花括号", "brace"),
        "yaml.fw.fix_colon": ("`: `（半角冒号后加一个空格）", "`: ` (a colon and a space)"),
        "yaml.fw.fix_comma": ("`, `（半角逗号）", "`, ` (a comma)"),
        "yaml.fw.fix_char": ("`{fix}`", "`{fix}`"),
    }
)

# character -> (name, fix)
_CHARS: dict[str, tuple[str, dict[str, object]]] = {
    "：": ("yaml.fw.colon", phrase("yaml.fw.fix_colon")),
    "，": ("yaml.fw.comma", phrase("yaml.fw.fix_comma")),
    "“": ("yaml.fw.quote", phrase("yaml.fw.fix_char", fix='"')),
    "”": ("yaml.fw.quote", phrase("yaml.fw.fix_char", fix='"')),
    "‘": ("yaml.fw.quote", phrase("yaml.fw.fix_char", fix="'")),
    "’": ("yaml.fw.quote", phrase("yaml.fw.fix_char", fix="'")),
    "【": ("yaml.fw.bracket", phrase("yaml.fw.fix_char", fix="[")),
    "】": ("yaml.fw.bracket", phrase("yaml.fw.fix_char", fix="]")),
    "［": ("yaml.fw.bracket", phrase("yaml.fw.fix_char", fix="[")),
    "］": ("yaml.fw.bracket", phrase("yaml.fw.fix_char", fix="]")),
    "｛": ("yaml.fw.brace", phrase("yaml.fw.fix_char", fix="{")),
    "｝": ("yaml.fw.brace", phrase("yaml.fw.fix_char", fix="}")),
}
_OPEN = {"“": "”", "‘": "’", "【": "】", "［": "］", "｛": "｝"}
# keys whose values are prose shown to people: full-width punctuation there is meant
TEXT_KEYS = frozenset({"label", "name", "description", "note", "notes", "message", "alert", "alerts",
                       "cap_grade"})
_NEXT_KEY = re.compile(r"^\s*[^\s,，:：\[\]{}]+\s*[:：]")
# `a，b` between two ids (ASCII names), where a comma can only have meant a separator
_ID_COMMA = re.compile(r"(?<![^\s\[{,])[A-Za-z_][\w.]*$")


def problem(char: str, file: str, line: int, column: int) -> Problem:
    """The message for one full-width character at (1-based) ``line``, ``column``."""
    name, fix = _CHARS[char]
    return Problem("yaml.fullwidth", {"char": char, "line": line, "column": column, "name": phrase(name),
                                      "fix": fix}, Location(file, line, column))


def in_nodes(root: yaml.Node, file: str) -> list[Problem]:
    """Full-width structure in a parsed document (see the module doc)."""
    found: list[Problem] = []
    _walk(root, None, False, file, found, set())
    return found


def _walk(node: yaml.Node, key: str | None, in_flow: bool, file: str, found: list[Problem], seen: set[int]) -> None:
    if id(node) in seen:  # an alias: its text was looked at where the anchor is (no "billion laughs")
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        flow = in_flow or bool(node.flow_style)
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.style is None:
                _key(k, flow, file, found)
            _walk(v, str(k.value) if isinstance(k, yaml.ScalarNode) else None, flow, file, found, seen)
    elif isinstance(node, yaml.SequenceNode):
        flow = in_flow or bool(node.flow_style)
        for item in node.value:
            _walk(item, key, flow, file, found, seen)
    elif isinstance(node, yaml.ScalarNode) and node.style is None and isinstance(node.value, str):
        _value(node, key, in_flow, file, found)


def _at(node: yaml.Node, index: int, file: str, char: str) -> Problem:
    """``char`` at ``index`` of a plain scalar (on one line: the scalar's own column plus the index)."""
    start = node.start_mark
    if node.end_mark.line == start.line:
        return problem(char, file, start.line + 1, start.column + 1 + index)
    return problem(char, file, start.line + 1, start.column + 1)


def _key(node: yaml.ScalarNode, in_flow: bool, file: str, found: list[Problem]) -> None:
    text = node.value
    for i, ch in enumerate(text):
        if ch == "：" or (ch in _OPEN and i == 0) or (in_flow and ch in "，】］｝"):
            found.append(_at(node, i, file, ch))
            return


def _value(node: yaml.ScalarNode, key: str | None, in_flow: bool, file: str, found: list[Problem]) -> None:
    text = node.value
    if not text:
        return
    prose = key in TEXT_KEYS
    first, last = text[0], text[-1]
    if not prose and first in _OPEN:
        found.append(_at(node, 0, file, first))
        return
    if not prose and in_flow and last in _OPEN.values():
        found.append(_at(node, len(text) - 1, file, last))
        return
    for i, ch in enumerate(text):
        if ch == "，" and _separates(text, i, in_flow, prose=prose):
            found.append(_at(node, i, file, ch))
            return


def in_lines(text: str, first: int, last: int, file: str) -> list[Problem]:
    """Full-width structure on lines ``first``..``last`` (1-based) of a file that did not parse."""
    lines = text.splitlines()
    found: list[Problem] = []
    for number in range(max(first, 1), min(last, len(lines)) + 1):
        code = _code_part(lines[number - 1])
        for column, char in _structural(code):
            found.append(problem(char, file, number, column + 1))
    return found


def _code_part(line: str) -> str:
    """The line with half-width-quoted text blanked and any ``# comment`` removed (same length)."""
    out: list[str] = []
    quote: str | None = None
    for i, ch in enumerate(line):
        if quote is not None:
            out.append(" " if ch != quote else ch)
            if ch == quote:
                quote = None
            continue
        if ch in "\"'" and (i == 0 or line[i - 1] in " \t:[{,-"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            break
        out.append(ch)
    return "".join(out)


def _structural(code: str) -> list[tuple[int, str]]:
    """(index, char) of full-width characters in a structural place on one line of code."""
    hits: list[tuple[int, str]] = []
    colon = re.search(r":(\s|$)", code)
    key_end = colon.start() if colon else len(code)
    depth = 0
    value_start = True
    for i, ch in enumerate(code):
        if ch in "[{【［｛":
            depth += 1
        elif ch in "]}】］｝":
            depth = max(depth - 1, 0)
        colon_in_key = ch == "：" and (i < key_end or depth > 0)
        opens_value = ch in _OPEN and value_start
        if colon_in_key or opens_value or (ch == "，" and _separates(code, i, depth > 0, prose=False)):
            hits.append((i, ch))
        value_start = ch in " \t:[{,-" or (value_start and ch in " \t")
    return hits


def _separates(text: str, i: int, in_flow: bool, *, prose: bool) -> bool:
    """Whether the ``，`` at ``i`` separates things: a key follows, or it stands between two ids in a list."""
    rest = text[i + 1:]
    if _NEXT_KEY.match(rest):
        return True
    return in_flow and not prose and bool(_ID_COMMA.search(text[:i]) and _ID_COMMA.match(rest.strip()))
