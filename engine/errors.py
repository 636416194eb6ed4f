"""The one root exception of kaohe and the structured problems it carries.

Every failure a user can cause is a :class:`KaoheError` holding one or more
:class:`Problem` records (what is wrong, where, what to write instead).  The CLI
renders them in the user's language and maps the error class to an exit code:
1 invalid ruleset, 2 invalid facts, 3 failed run.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kaohe.engine.i18n import Lang, text
from kaohe.engine.visible import shown


@dataclass(frozen=True)
class Location:
    """Where a problem is: a file, a 1-based line and column, and a YAML/fact path."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    path: str | None = None

    def render(self) -> str:
        """``file:line:column`` (the parts that are known) followed by the path."""
        parts = [self.file or ""]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        head = ":".join(p for p in parts if p != "") if any(parts) else ""
        if self.path:
            head = f"{head} [{self.path}]" if head else f"[{self.path}]"
        return shown(head)  # a path holding a bidi override is shown as <U+202E>


@dataclass(frozen=True)
class Hint:
    """A suggestion of what to write instead, as a message code and its parameters."""

    code: str
    params: dict[str, object] = field(default_factory=dict)

    def render(self, lang: Lang) -> str:
        """The suggestion in ``lang``."""
        return text(self.code, lang, **self.params)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, renderable in any supported language."""

    code: str
    params: dict[str, object] = field(default_factory=dict)
    location: Location | None = None
    hint: Hint | None = None
    severity: str = "error"

    def message(self, lang: Lang = "zh") -> str:
        """What is wrong, without the location."""
        return text(self.code, lang, **self.params)

    def render(self, lang: Lang = "zh") -> str:
        """``file:line:col [path] 错误: message  建议: hint`` on one or two lines."""
        label = text("label.error" if self.severity == "error" else "label.warning", lang)
        where = self.location.render() if self.location else ""
        head = f"{where}: {label}: " if where else f"{label}: "
        out = head + self.message(lang)
        if self.hint is not None:
            out += f"\n    {text('label.hint', lang)}: {self.hint.render(lang)}"
        return out

    def as_dict(self, lang: Lang = "zh") -> dict[str, object]:
        """A JSON-ready form for ``--json`` output."""
        loc = self.location or Location()
        return {
            "code": self.code,
            "severity": self.severity,
            "file": loc.file,
            "line": loc.line,
            "column": loc.column,
            "path": loc.path,
            "message": self.message(lang),
            "hint": self.hint.render(lang) if self.hint else None,
        }


class KaoheError(Exception):
    """Root of every error kaohe raises on purpose; carries one or more problems."""

    exit_code = 3

    def __init__(self, problems: Problem | Sequence[Problem]):
        self.problems: list[Problem] = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__(self.render("en"))

    def render(self, lang: Lang = "zh") -> str:
        """All problems, one after the other, followed by a count when there are several."""
        lines = [p.render(lang) for p in self.problems]
        errors = sum(1 for p in self.problems if p.severity == "error")
        if errors > 1:
            lines.append(text("summary.errors", lang, count=errors))
        return "\n".join(lines)


class RulesetError(KaoheError):
    """The ruleset is invalid (exit code 1)."""

    exit_code = 1


class FactsError(KaoheError):
    """The facts are invalid (exit code 2)."""

    exit_code = 2


class RunError(KaoheError):
    """A run failed; nothing was stored (exit code 3)."""

    exit_code = 3


def did_you_mean(name: str, candidates: Iterable[str]) -> Hint | None:
    """A "did you mean" hint for the closest candidate, or a list of choices when few."""
    pool = sorted(set(candidates))
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    if close:
        return Hint("hint.did_you_mean", {"name": close[0]})
    if 0 < len(pool) <= 12:
        return Hint("hint.choices", {"choices": ", ".join(pool)})
    return None
