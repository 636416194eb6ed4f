"""Message catalogue: every text a policy-staff member reads, in Chinese and English.

Each module keeps its own messages next to the code that raises them and
registers them here with :func:`register`; nothing else needs editing when a
module adds a message.  Messages are ``str.format`` templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from kaohe.engine.visible import shown

Lang = Literal["zh", "en"]

_CATALOGUE: dict[str, tuple[str, str]] = {}


def register(messages: Mapping[str, tuple[str, str]]) -> None:
    """Add ``{code: (zh, en)}`` messages; a code registered twice must not change."""
    for code, texts in messages.items():
        existing = _CATALOGUE.get(code)
        if existing is not None and existing != texts:
            raise ValueError(f"message code {code!r} registered twice with different text")
        _CATALOGUE[code] = texts


@dataclass(frozen=True)
class Message:
    """A message code with its parameters, rendered later in the reader's language.

    A parameter of another message may itself be a ``Message`` (a plugin's
    parameter error inside "bad parameters for plugin `dea`: …"); :func:`text`
    renders nested messages in the same language.
    """

    code: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, lang: Lang = "zh") -> str:
        """The message in ``lang``."""
        return text(self.code, lang, **self.params)


def text(code: str, lang: Lang = "zh", **params: object) -> str:
    """Render message ``code`` in ``lang``; unknown codes fall back to the code itself."""
    params = {k: v.render(lang) if isinstance(v, Message) else v for k, v in params.items()}
    texts = _CATALOGUE.get(code)
    if texts is None:
        return f"{code} {params}" if params else code
    template = texts[0] if lang == "zh" else texts[1]
    # text from files may hide bidi overrides or zero-width characters: show them as <U+202E>
    params = {k: shown(v, keep_lines=True) if isinstance(v, str) else v for k, v in params.items()}
    try:
        return template.format(**{k: _phrase(v, lang) for k, v in params.items()})
    except (KeyError, IndexError, ValueError):
        return template


def phrase(code: str, **params: object) -> dict[str, object]:
    """A message used as a parameter of another message, rendered in the outer message's language.

    A plain dict (``{"msg": code, ...params}``), so problems that carry it stay JSON-ready.
    """
    return {"msg": code, **params}


def _phrase(value: object, lang: Lang) -> object:
    if isinstance(value, Mapping) and isinstance(value.get("msg"), str):
        return text(value["msg"], lang, **{k: v for k, v in value.items() if k != "msg"})
    return value


def known_codes() -> list[str]:
    """All registered message codes (for tests that keep both languages complete)."""
    return sorted(_CATALOGUE)


register(
    {
        "label.error": ("错误", "error"),
        "label.warning": ("警告", "warning"),
        "label.hint": ("建议", "hint"),
        "hint.did_you_mean": ("您是否想写 `{name}`？", "did you mean `{name}`?"),
        "hint.choices": ("可选值：{choices}", "expected one of: {choices}"),
        "summary.errors": ("共 {count} 个错误", "{count} error(s)"),
        "hint.visible_id": ("编号只用 ASCII 字母、数字、_ - . 或可见的中文；重新键入该编号，不要从别处粘贴",
                            "ids use ASCII letters, digits, _ - . or visible Chinese; type the id again rather than pasting it"),
    }
)
