"""Invisible code points in ids (issue 8 #11): refused where ids are read, shown as <U+XXXX>
in every message."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaohe.engine.errors import Location, Problem, RulesetError
from kaohe.engine.i18n import text
from kaohe.engine.ruleset import load_ruleset
from kaohe.engine.visible import invisible, shown
from tests.samples import MINI


@pytest.mark.parametrize("ch", ["\u202e", "\u202d", "\u2066", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
                                "\u00ad", "\x01", "\x0b", "\x7f", "\u3000", "\u3164", "\ufe0f", "\U000e0041"])
def test_bidi_zero_width_control_and_blank_characters_are_invisible(ch):
    assert invisible(f"a{ch}b") == [f"U+{ord(ch):04X}"]
    assert shown(f"a{ch}b") == f"a<U+{ord(ch):04X}>b"


@pytest.mark.parametrize("ident", ["closure_rate", "结案率", "c-01.2", "一庭 二组", "Überstunden", "№1"])
def test_visible_ids_pass(ident):
    assert invisible(ident) == [] and shown(ident) == ident


@given(st.text())
def test_shown_text_holds_nothing_invisible(value):
    out = shown(value)
    assert invisible(out) == []
    assert (out == value) == (invisible(value) == [])


def test_messages_show_invisible_characters_in_parameters_but_keep_line_breaks():
    assert text("hint.did_you_mean", "en", name="a\u202eb") == "did you mean `a<U+202E>b`?"
    assert Location("x\u200b.yaml", 3, 1).render() == "x<U+200B>.yaml:3:1"
    message = Problem("hint.did_you_mean", {"name": "a\nb\tc"}).message("en")
    assert "a\nb\tc" in message


def test_a_grade_name_with_a_zero_width_space_is_refused(tmp_path):
    ruleset = textwrap.dedent(MINI).lstrip("\n").replace("  - {name: 称职, min: 70}", "  - {name: 称\u200b职, min: 70}")
    (tmp_path / "mini.yaml").write_text(ruleset, encoding="utf-8")
    with pytest.raises(RulesetError) as caught:
        load_ruleset(tmp_path / "mini.yaml")
    problems = [p for p in caught.value.problems if p.code == "check.invisible_id"]
    assert len(problems) == 1 and problems[0].location is not None
    assert problems[0].location.path == "grades[1].name" and problems[0].location.line == ruleset[:ruleset.index("称\u200b职")].count("\n") + 1
    assert "`称<U+200B>职` 含有不可见字符 U+200B" in problems[0].render("zh")
