"""PyYAML's syntax errors, said in the user's language and placed where the construct began.

PyYAML reports a *problem* (what it found, and where) and often a *context*
(the construct it was reading, and where that began): an unclosed ``[`` on
line 13 is noticed on line 15, but the context says "while parsing a flow
sequence" at line 13.  We turn both into one :class:`Problem` whose location
is the start of a bracket or quote construct (where the fix usually is) and
whose message names both lines.  Every message PyYAML can produce maps to a
message code; anything unforeseen still gets a Chinese sentence, with the
parser's own words kept in parentheses.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import yaml

from kaohe.engine.errors import Hint, Location, Problem
from kaohe.engine.i18n import phrase, register

register(
    {
        # what was being read (the context), with the line it began on
        "yaml.ctx.flow_sequence": ("第 {line} 行第 {column} 列开始的 `[` 列表",
                                   "the `[` list that begins at line {line}, column {column}"),
        "yaml.ctx.flow_mapping": ("第 {line} 行第 {column} 列开始的 `{{` 映射",
                                  "the `{{` mapping that begins at line {line}, column {column}"),
        "yaml.ctx.block_mapping": ("第 {line} 行开始的键值块", "the block of keys that begins at line {line}"),
        "yaml.ctx.block_sequence": ("第 {line} 行开始的 `-` 列表", "the `-` list that begins at line {line}"),
        "yaml.ctx.quoted": ("第 {line} 行第 {column} 列开始的引号字符串",
                            "the quoted text that begins at line {line}, column {column}"),
        "yaml.ctx.block_scalar": ("第 {line} 行开始的多行文本（| 或 >）",
                                  "the multi-line text (| or >) that begins at line {line}"),
        "yaml.ctx.simple_key": ("第 {line} 行第 {column} 列的键", "the key at line {line}, column {column}"),
        "yaml.ctx.node": ("第 {line} 行第 {column} 列的值", "the value at line {line}, column {column}"),
        "yaml.ctx.anchor": ("第 {line} 行的锚点或别名（& 或 *）", "the anchor or alias (& or *) at line {line}"),
        "yaml.ctx.tag": ("第 {line} 行的标签（!）", "the tag (!) at line {line}"),
        "yaml.ctx.directive": ("第 {line} 行的指令（%）", "the directive (%) at line {line}"),
        "yaml.ctx.other": ("第 {line} 行开始的内容", "what begins at line {line}"),
        # what went wrong
        "yaml.unclosed": ("{context}没有正确结束：第 {line} 行第 {column} 列遇到 {found}，这里应为 {expected}",
                          "{context} is not closed properly: found {found} at line {line}, column {column} "
                          "where {expected} was expected"),
        "yaml.indent": ("{context}中，第 {line} 行第 {column} 列的缩进与上文不一致（遇到 {found}）",
                        "in {context}, line {line}, column {column} is not indented like the lines above "
                        "(found {found})"),
        "yaml.colon_here": ("第 {line} 行第 {column} 列的冒号 `:` 不能出现在这里",
                            "the colon `:` at line {line}, column {column} is not allowed here"),
        "yaml.no_colon": ("{context}后面没有找到冒号 `:`（第 {line} 行）",
                          "no colon `:` after {context} (line {line})"),
        "yaml.bad_char": ("第 {line} 行第 {column} 列的字符 {found} 不能出现在这里",
                          "the character {found} at line {line}, column {column} cannot start a value"),
        "yaml.stream_end": ("{context}直到文件结尾（第 {line} 行）都没有结束，可能少了一个引号",
                            "{context} runs to the end of the file (line {line}); a closing quote may be missing"),
        "yaml.undefined_alias": ("第 {line} 行的别名 `*{name}` 没有定义（先用 `&{name}` 定义锚点）",
                                 "the alias `*{name}` at line {line} is not defined (define it first with `&{name}`)"),
        "yaml.duplicate_anchor": ("第 {line} 行的锚点 `&{name}` 重复定义", "the anchor `&{name}` at line {line} is defined twice"),
        "yaml.no_value": ("{context}中，第 {line} 行第 {column} 列应为一个值，却遇到 {found}",
                          "in {context}, a value was expected at line {line}, column {column} but found {found}"),
        "yaml.dash_here": ("第 {line} 行第 {column} 列的列表项 `-` 不能出现在这里（检查缩进）",
                           "the list item `-` at line {line}, column {column} is not allowed here (check the indentation)"),
        "yaml.question_here": ("第 {line} 行第 {column} 列的 `?` 不能出现在这里",
                               "`?` at line {line}, column {column} is not allowed here"),
        "yaml.escape": ("第 {line} 行第 {column} 列：双引号文本中的转义 `\\{name}` 无效（反斜杠写成 `\\\\`，或改用单引号）",
                        "line {line}, column {column}: `\\{name}` is not a valid escape in double quotes "
                        "(write `\\\\` or use single quotes)"),
        "yaml.line_end": ("第 {line} 行第 {column} 列的 {found} 之前应换行或写 # 注释",
                          "a line break or a # comment was expected before {found} at line {line}, column {column}"),
        "yaml.documents": ("一个规则集文件只能有一个 YAML 文档（第 {line} 行的 `---` 开始了第二个）",
                           "a ruleset file holds one YAML document (the `---` at line {line} starts a second one)"),
        "yaml.indent_or_bracket": ("第 {line} 行第 {column} 列：缩进不对，或 `[`、`{{` 没有闭合",
                                   "line {line}, column {column}: wrong indentation, or an unclosed `[` or `{{`"),
        "yaml.space_needed": ("第 {line} 行第 {column} 列的 {found} 之前需要一个空格",
                              "a space is needed before {found} at line {line}, column {column}"),
        "yaml.name_chars": ("第 {line} 行第 {column} 列：锚点、别名名称只能用字母、数字、- 和 _，不能有 {found}",
                            "line {line}, column {column}: anchor and alias names use letters, digits, - and _, not {found}"),
        "yaml.control_char": ("文件中有不可见的控制字符 {found}（第 {line} 行），请删除",
                              "the file holds an invisible control character {found} (line {line}); remove it"),
        "yaml.other": ("第 {line} 行第 {column} 列附近有误（解析器：{detail}）",
                       "at line {line}, column {column} ({detail})"),
        "yaml.value": ("第 {line} 行第 {column} 列的值无法读取：{detail}",
                       "the value at line {line}, column {column} cannot be read: {detail}"),
        # how a token is named in messages
        "yaml.tok.end": ("文件结尾", "the end of the file"),
        "yaml.tok.block_end": ("缩进块的结束", "the end of an indented block"),
        "yaml.tok.block_mapping": ("新的一组键", "a new block of keys"),
        "yaml.tok.block_sequence": ("新的 `-` 列表", "a new `-` list"),
        "yaml.tok.scalar": ("一个值", "a value"),
        "yaml.tok.document": ("新文档 `---`", "a new document `---`"),
        "yaml.tok.comma_or": ("`,` 或 `{closer}`", "`,` or `{closer}`"),
        "hint.yaml_close": ("检查 {opener} 是否少了 {closer}，或各项之间是否少了半角逗号 `,`",
                            "check whether {opener} lacks its {closer}, or items lack a comma `,` between them"),
        "hint.yaml_indent": ("同一层的键要对齐（相同数量的空格）", "keys of the same level must line up (same number of spaces)"),
        "hint.yaml_colon": ("键后面写半角冒号加空格（`key: value`）；值里有冒号时给值加引号",
                            "write a colon and a space after a key (`key: value`); quote a value that holds a colon"),
    }
)

_TOKENS = {
    "<stream end>": "yaml.tok.end", "<block end>": "yaml.tok.block_end",
    "<block mapping start>": "yaml.tok.block_mapping", "<block sequence start>": "yaml.tok.block_sequence",
    "<scalar>": "yaml.tok.scalar", "<document start>": "yaml.tok.document",
}
_CONTEXTS: list[tuple[str, str]] = [
    ("flow sequence", "yaml.ctx.flow_sequence"), ("flow mapping", "yaml.ctx.flow_mapping"),
    ("block mapping", "yaml.ctx.block_mapping"), ("block collection", "yaml.ctx.block_sequence"),
    ("quoted scalar", "yaml.ctx.quoted"), ("block scalar", "yaml.ctx.block_scalar"),
    ("simple key", "yaml.ctx.simple_key"), ("node", "yaml.ctx.node"), ("anchor", "yaml.ctx.anchor"),
    ("alias", "yaml.ctx.anchor"), ("tag", "yaml.ctx.tag"), ("directive", "yaml.ctx.directive"),
]
# constructs left open by a bracket or a quote: the fix is where they began
_OPENED_AT_START = {"yaml.ctx.flow_sequence", "yaml.ctx.flow_mapping", "yaml.ctx.quoted"}

Params = dict[str, object]
Build = Callable[[re.Match[str], Params], tuple[str, Params, Hint | None]]


def describe(e: yaml.MarkedYAMLError, file: str) -> Problem:
    """One located problem for a PyYAML error (see the module doc)."""
    mark = e.problem_mark or e.context_mark
    line = mark.line + 1 if mark else 1
    column = mark.column + 1 if mark else 1
    context, ctx_code = _context(e, line, column)
    where = Location(file, line, column)
    if ctx_code in _OPENED_AT_START and e.context_mark is not None:
        where = Location(file, e.context_mark.line + 1, e.context_mark.column + 1)
    base: Params = {"line": line, "column": column, "context": context}
    problem = e.problem or ""
    for pattern, build in _PROBLEMS:
        m = pattern.search(problem)
        if m:
            code, extra, hint = build(m, base)
            return Problem("yaml.syntax", {"detail": phrase(code, **base, **extra)}, where, hint)
    detail = " ".join(p for p in (e.context, problem) if p)
    return Problem("yaml.syntax", {"detail": phrase("yaml.other", **base, detail=detail)}, where)


def _context(e: yaml.MarkedYAMLError, line: int, column: int) -> tuple[Params, str | None]:
    """The construct being read, as a phrase (the problem's own place when PyYAML names none)."""
    if not e.context or e.context_mark is None:
        return phrase("yaml.ctx.other", line=line, column=column), None
    at = {"line": e.context_mark.line + 1, "column": e.context_mark.column + 1}
    code = next((c for needle, c in _CONTEXTS if needle in e.context), "yaml.ctx.other")
    return phrase(code, **at), code


def _found(token: str) -> object:
    """A token as PyYAML names it (``'<stream end>'``, ``':'``, ``'\\t'``) -> a message parameter."""
    bare = token.strip()
    if len(bare) >= 2 and bare[0] == bare[-1] and bare[0] in "'\"":
        bare = bare[1:-1]
    if bare in _TOKENS:
        return phrase(_TOKENS[bare])
    return f"`{bare}`"


def _unclosed(closer: str) -> Build:
    opener = "`[`" if closer == "]" else "`{`"

    def build(m: re.Match[str], _base: Params) -> tuple[str, Params, Hint | None]:
        return ("yaml.unclosed", {"found": _found(m.group(1)), "expected": phrase("yaml.tok.comma_or", closer=closer)},
                Hint("hint.yaml_close", {"opener": opener, "closer": f"`{closer}`"}))
    return build


def _simple(code: str, hint: Hint | None = None, group: str | None = None) -> Build:
    def build(m: re.Match[str], _base: Params) -> tuple[str, Params, Hint | None]:
        extra: Params = {}
        if group == "found":
            extra["found"] = _found(m.group(1))
        elif group is not None:
            extra[group] = m.group(1).strip("'\"")
        return code, extra, hint
    return build


_PROBLEMS: list[tuple[re.Pattern[str], Build]] = [
    (re.compile(r"expected ',' or '\]', but got (.+)$"), _unclosed("]")),
    (re.compile(r"expected ',' or '\}', but got (.+)$"), _unclosed("}")),
    (re.compile(r"expected <block end>, but found (.+)$"), _simple("yaml.indent", Hint("hint.yaml_indent"), "found")),
    (re.compile(r"mapping values are not allowed here"), _simple("yaml.colon_here", Hint("hint.yaml_colon"))),
    (re.compile(r"could not find expected ':'"), _simple("yaml.no_colon", Hint("hint.yaml_colon"))),
    (re.compile(r"found character (.+) that cannot start any token"), _simple("yaml.bad_char", None, "found")),
    (re.compile(r"found unexpected end of stream"), _simple("yaml.stream_end")),
    (re.compile(r"found undefined alias (.+)$"), _simple("yaml.undefined_alias", None, "name")),
    (re.compile(r"found duplicate anchor ('[^']*'|\S+)"), _simple("yaml.duplicate_anchor", None, "name")),
    (re.compile(r"expected the node content, but found (.+)$"), _simple("yaml.no_value", None, "found")),
    (re.compile(r"sequence entries are not allowed here"), _simple("yaml.dash_here", Hint("hint.yaml_indent"))),
    (re.compile(r"mapping keys are not allowed here"), _simple("yaml.question_here")),
    (re.compile(r"found unknown escape character (.+)$"), _simple("yaml.escape", None, "name")),
    (re.compile(r"expected a comment or a line break, but found (.+)$"), _simple("yaml.line_end", None, "found")),
    (re.compile(r"expected '<document start>', but found|but found another document|"
                r"expected a single document"), _simple("yaml.documents")),
    (re.compile(r"invalid indentation or unclosed"), _simple("yaml.indent_or_bracket")),
    (re.compile(r"expected ' ', but found (.+)$"), _simple("yaml.space_needed", None, "found")),
    (re.compile(r"expected alphabetic or numeric character, but found (.+)$"),
     _simple("yaml.name_chars", None, "found")),
]


def reader_problem(e: yaml.reader.ReaderError, file: str, text: str) -> Problem:
    """A control character the YAML reader refuses, with its line."""
    line = text.count("\n", 0, max(e.position, 0)) + 1
    char = e.character
    found = f"U+{ord(char):04X}" if isinstance(char, str) else f"0x{char:02X}"
    return Problem("yaml.syntax", {"detail": phrase("yaml.control_char", found=found, line=line)},
                   Location(file, line))
