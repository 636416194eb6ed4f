"""What ``extends`` may read: YAML rulesets in the rulesets folder tree, nothing else.

A ruleset names files by ``extends``, and a ruleset can come from anyone (an
upload, an e-mail).  So before a file named there is read:

1. it must be a ``.yaml`` / ``.yml`` file (after following symlinks), a regular file;
2. it must lie inside an allowed folder, unless ``--allow-outside`` is given:

   - the ruleset's *rulesets root*: the nearest folder named ``rulesets`` above
     it (the layout ``rulesets/<region>/x.yaml`` extending
     ``../national/core.yaml``), or, when it is in no such folder, its own folder;
   - folders the caller adds: the command line adds the project (the folder
     kaohe runs in: ``shunde/court.yaml`` may extend ``../national/core.yaml``)
     and a folder given as an argument that holds the ruleset; ``kaohe serve``
     adds the folder it serves;
   - the folders listed in ``KAOHE_LIBRARY`` (a national core kept elsewhere);

3. it must be a ruleset: a line starting ``kaohe:`` before it is parsed (so not
   even a syntax error or a duplicate key of another file is shown), and a
   mapping with a ``kaohe`` key once parsed.

Each refusal names the file as the ruleset wrote it and never shows what is in
it; checks 1 and 2 happen before the file is opened (or even looked for).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kaohe.engine.errors import Hint, Location, Problem, RulesetError
from kaohe.engine.i18n import register

LIBRARY_ENV = "KAOHE_LIBRARY"
SUFFIXES = (".yaml", ".yml")
ROOT_NAME = "rulesets"
# a `kaohe:` line at the top level, or `kaohe` as the first key of a document that is one flow mapping
# (a ruleset written as JSON: {"kaohe": 1, …})
_VERSION_KEY = re.compile(r"""^\ufeff?["']?kaohe["']?[ \t]*:|\A\ufeff?\s*\{\s*["']?kaohe["']?[ \t]*:""",
                          re.MULTILINE)

register(
    {
        "extends.not_yaml": ("extends 只能指向 YAML 规则集文件（.yaml 或 .yml）：{target}",
                             "extends can only name a YAML ruleset file (.yaml or .yml): {target}"),
        "extends.outside": ("extends 指向的 {target} 不在规则集文件夹 {root} 之内",
                            "extends names {target}, which is outside the rulesets folder {root}"),
        "hint.extends_outside": (
            "把被继承的规则集放进 {root}；或在环境变量 KAOHE_LIBRARY 中列出它所在的文件夹；确属可信时加 --allow-outside",
            "put the extended ruleset under {root}; or list its folder in the KAOHE_LIBRARY environment variable; "
            "if you trust it, add --allow-outside"),
        "extends.not_ruleset": ("extends 指向的 {target} 不是 kaohe 规则集（顶层没有 `kaohe:` 版本键）",
                                "extends names {target}, which is not a kaohe ruleset (no `kaohe:` version key at the top)"),
        "extends.not_file": ("extends 指向的 {target} 不是普通文件", "extends names {target}, which is not a regular file"),
    }
)


@dataclass(frozen=True)
class ExtendsPolicy:
    """Where ``extends`` may read, beyond the ruleset's own rulesets root."""

    roots: tuple[Path, ...] = ()
    allow_outside: bool = False

    def with_roots(self, roots: Iterable[Path]) -> ExtendsPolicy:
        """The same policy with more allowed folders."""
        return ExtendsPolicy((*self.roots, *roots), self.allow_outside)


def rulesets_root(ruleset: Path) -> Path:
    """The nearest folder named ``rulesets`` holding ``ruleset``, else its own folder."""
    resolved = ruleset.resolve()
    for folder in resolved.parents:
        if folder.name == ROOT_NAME:
            return folder
    return resolved.parent


def library_folders() -> list[Path]:
    """The folders of ``KAOHE_LIBRARY`` (separated like PATH)."""
    value = os.environ.get(LIBRARY_ENV, "")
    return [Path(p).expanduser().resolve() for p in value.split(os.pathsep) if p.strip()]


def check_target(origin: Path, written: str, target: Path, policy: ExtendsPolicy, where: Location) -> None:
    """Refuse ``target`` (``written`` in ``origin``'s ``extends``) before it is opened."""
    if target.suffix.lower() not in SUFFIXES:
        raise RulesetError(Problem("extends.not_yaml", {"target": written}, where))
    if policy.allow_outside:
        return
    root = rulesets_root(origin)
    allowed = [root, *(r.resolve() for r in policy.roots), *library_folders()]
    if not any(target.is_relative_to(folder) for folder in allowed):
        raise RulesetError(Problem("extends.outside", {"target": written, "root": str(root)}, where,
                                   Hint("hint.extends_outside", {"root": str(root)})))


def check_regular(written: str, target: Path, where: Location) -> None:
    """An existing ``target`` must be a regular file (not a folder, FIFO or device)."""
    if target.exists() and not target.is_file():
        raise RulesetError(Problem("extends.not_file", {"target": written}, where))


def check_ruleset_text(written: str, text: str, where: Location) -> None:
    """What ``extends`` names must hold a top-level ``kaohe:`` line, before it is parsed."""
    if not _VERSION_KEY.search(text):
        raise RulesetError(Problem("extends.not_ruleset", {"target": written}, where))


def check_ruleset(written: str, data: dict[str, object], where: Location) -> None:
    """What ``extends`` read must be a ruleset once parsed (its content is never shown otherwise)."""
    if "kaohe" not in data:
        raise RulesetError(Problem("extends.not_ruleset", {"target": written}, where))
