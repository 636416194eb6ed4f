"""YAML with positions: every value's file:line:column, and duplicate keys as errors.

PyYAML's composer gives a node tree with marks; we construct plain Python data
from it ourselves so that each value's position is kept in :class:`Marks`
(keyed by the tuple path, e.g. ``("indicators", "closure_rate", "formula")``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from kaohe.engine.errors import Hint, Location, Problem, RulesetError
from kaohe.engine.i18n import register
from kaohe.engine.ruleset import fullwidth, yamlerrors

PathKey = tuple[str | int, ...]

register(
    {
        "yaml.syntax": ("YAML 语法错误：{detail}", "YAML syntax error: {detail}"),
        "yaml.duplicate_key": ("键 `{key}` 重复（第一次出现在第 {first} 行）",
                               "duplicate key `{key}` (first at line {first})"),
        "yaml.not_mapping": ("规则集文件的顶层应是键值映射（如 `kaohe: 1`）",
                             "the top level of a ruleset file must be a mapping (such as `kaohe: 1`)"),
        "yaml.unreadable": ("无法读取文件：{error}", "cannot read the file: {error}"),
        "yaml.encoding": ("无法识别文件编码（已尝试 UTF-8 与 GBK），请另存为 UTF-8",
                          "cannot decode the file (tried UTF-8 and GBK); save it as UTF-8"),
        "yaml.key_type": ("键 `{key}` 必须是文本", "key `{key}` must be text"),
        "hint.yaml_quote": ("以 > 、< 、: 或 % 开头的值请加引号，例如 green: \">= 0.85\"",
                            "quote values that start with >, <, : or %, e.g. green: \">= 0.85\""),
        "hint.yaml_tabs": ("YAML 缩进只能用空格，不能用 Tab", "YAML indentation must use spaces, not tabs"),
        "yaml.too_large": ("文件过大（{size} 字节，上限 {limit} 字节），不像规则集",
                           "the file is too large ({size} bytes, at most {limit}) to be a ruleset"),
        "yaml.too_deep": ("嵌套过深（超过 {limit} 层）", "nested too deeply (over {limit} levels)"),
        "yaml.too_many_values": ("展开后的值过多（超过 {limit} 个）：锚点 & 被别名 * 层层引用（“billion laughs”）",
                                 "too many values once expanded (over {limit}): anchors & referenced by aliases * "
                                 "over and over (a “billion laughs”)"),
        "hint.yaml_aliases": ("规则集不需要层层嵌套的别名；把重复的内容直接写出来",
                              "a ruleset needs no nested aliases; write repeated parts out"),
    }
)

# Bounds for hostile files (like safe YAML loaders elsewhere): a real ruleset is a few
# hundred lines, nests under ten levels and holds a few thousand values.
MAX_BYTES = 5_000_000
MAX_DEPTH = 64
MAX_VALUES = 200_000


@dataclass
class Marks:
    """Where each value of one document sits: path -> (line, column), 1-based."""

    file: str
    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: PathKey, *, key: bool = False) -> Location:
        """The location of ``path``, or of its closest ancestor that has one."""
        table = self.keys if key else self.values
        probe = tuple(path)
        while probe:
            if probe in table:
                line, col = table[probe]
                return Location(self.file, line, col, dotted(path))
            if probe in self.values:
                line, col = self.values[probe]
                return Location(self.file, line, col, dotted(path))
            probe = probe[:-1]
        return Location(self.file, 1, 1, dotted(path) or None)


def dotted(path: PathKey) -> str:
    """``("rules", 0, "when")`` -> ``rules[0].when``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def load_yaml(path: Path) -> tuple[dict[str, Any], Marks]:
    """Parse one YAML file; raise :class:`RulesetError` on syntax errors or duplicate keys."""
    return parse_yaml(read_text(path), str(path))


def read_text(path: Path) -> str:
    """The text of a ruleset file, at most :data:`MAX_BYTES`; errors name the file, never its content."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise RulesetError(Problem("yaml.unreadable", {"error": e.strerror or str(e)}, Location(str(path)))) from None
    if len(data) > MAX_BYTES:
        size = path.stat().st_size if path.is_file() else len(data)
        raise RulesetError(Problem("yaml.too_large", {"size": size, "limit": MAX_BYTES}, Location(str(path))))
    try:
        # Notepad on Chinese Windows saves "ANSI", i.e. GBK: accept it like facts files do
        from kaohe.engine.facts.readers import decode

        return decode(data)
    except UnicodeDecodeError:
        raise RulesetError(Problem("yaml.encoding", {}, Location(str(path)))) from None


def parse_yaml(text: str, file: str) -> tuple[dict[str, Any], Marks]:
    """Parse YAML ``text`` (named ``file`` in messages)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        raise RulesetError(_syntax_problems(e, text, file)) from None
    except yaml.reader.ReaderError as e:
        raise RulesetError(yamlerrors.reader_problem(e, file, text)) from None
    except yaml.YAMLError as e:
        raise RulesetError(Problem("yaml.syntax", {"detail": str(e)}, Location(file))) from None
    except RecursionError:
        raise RulesetError(Problem("yaml.too_deep", {"limit": MAX_DEPTH}, Location(file))) from None
    marks = Marks(file)
    if node is None or not isinstance(node, yaml.MappingNode):
        line = node.start_mark.line + 1 if node is not None else 1
        raise RulesetError(Problem("yaml.not_mapping", {}, Location(file, line, 1)))
    wide = fullwidth.in_nodes(node, file)
    if wide:
        raise RulesetError(wide)
    builder = _Builder(marks)
    try:
        data = builder.build(node, ())
    except _TooBig as e:
        hint = Hint("hint.yaml_aliases") if e.code == "yaml.too_many_values" else None
        raise RulesetError(Problem(e.code, {"limit": e.limit}, marks.locate(e.path), hint)) from None
    if builder.problems:
        raise RulesetError(builder.problems)
    assert isinstance(data, dict)
    return data, marks


def _syntax_problems(e: yaml.MarkedYAMLError, text: str, file: str) -> list[Problem]:
    """Full-width punctuation near the error (the usual cause) first, then the parser's own finding."""
    problem = yamlerrors.describe(e, file)
    if problem.hint is None:
        if "\t" in text:
            problem = replace(problem, hint=Hint("hint.yaml_tabs"))
        elif _unquoted_operator(text):
            problem = replace(problem, hint=Hint("hint.yaml_quote"))
    marks = [m.line + 1 for m in (e.context_mark, e.problem_mark) if m is not None]
    last = max(marks) if marks else 1
    first = min(marks) if e.context_mark is not None else last - 2
    # a full-width character found there is the cause; the parser's own words would only confuse
    return fullwidth.in_lines(text, first, last, file) or [problem]


class _TooBig(Exception):
    def __init__(self, code: str, limit: int, path: PathKey):
        self.code, self.limit, self.path = code, limit, path


class _Builder:
    def __init__(self, marks: Marks):
        self.marks = marks
        self.problems: list[Problem] = []
        self.constructor = yaml.SafeLoader("")
        self.count = 0

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        # aliases make the node graph a DAG: counting what is built bounds the expansion
        self.count += 1
        if self.count > MAX_VALUES:
            raise _TooBig("yaml.too_many_values", MAX_VALUES, path)
        if len(path) > MAX_DEPTH:
            raise _TooBig("yaml.too_deep", MAX_DEPTH, path)
        self.marks.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as e:
            detail = (e.problem if isinstance(e, yaml.MarkedYAMLError) and e.problem else str(e)).splitlines()[0]
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
            self.problems.append(Problem("yaml.value", {"detail": detail, "line": line, "column": column},
                                         self.marks.locate(path)))
            return None

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged = self.build(value_node, path)
                if isinstance(merged, dict):
                    for k, v in merged.items():
                        out.setdefault(k, v)
                continue
            line = key_node.start_mark.line + 1
            try:
                key = self.constructor.construct_object(key_node, deep=True)
            except yaml.YAMLError as e:
                self.problems.append(Problem("yaml.syntax", {"detail": str(e).splitlines()[0]},
                                             Location(self.marks.file, line, key_node.start_mark.column + 1,
                                                      dotted(path))))
                continue
            if not isinstance(key, str | int | float) or isinstance(key, bool):
                self.problems.append(Problem("yaml.key_type", {"key": str(key)},
                                             Location(self.marks.file, line, key_node.start_mark.column + 1,
                                                      dotted(path))))
                continue
            key = str(key)
            if key in first_line:
                self.problems.append(
                    Problem("yaml.duplicate_key", {"key": key, "first": first_line[key]},
                            Location(self.marks.file, line, key_node.start_mark.column + 1,
                                     dotted((*path, key))))
                )
                continue
            first_line[key] = line
            self.marks.keys[(*path, key)] = (line, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, (*path, key))
        return out


_OPERATOR_VALUE = re.compile(r":\s+[<>%@`]")


def _unquoted_operator(text: str) -> bool:
    """A line like ``green: >= 0.85`` (an unquoted value YAML reads as syntax)."""
    return any(_OPERATOR_VALUE.search(line) for line in text.splitlines() if not line.lstrip().startswith("#"))
