"""The loader's fast path reads exactly what the careful one reads, and is only taken where that is safe.

Most files go through libyaml's C composer with no Python call per node and no
position tree (:func:`~calfspec._internal._yaml._build.compose_plain_data`); their
positions are found again from the text when an error needs one. These tests pin
that the shortcut changes nothing: the same data and the same positions as the
event builder on every bundled file and on generated documents, and never a text
that may hold an anchor or alias (which the C composer would follow silently).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from calfspec._internal import _yaml
from calfspec._internal._yaml._build import Fail, compose_events, compose_nodes, compose_plain_data, may_hold_anchor
from calfspec._internal.errors import YamlError
from tests.conftest import GUIDELINE_DIR, SCENARIOS_DIR

BUNDLED = sorted([*SCENARIOS_DIR.rglob("*.yaml"), *GUIDELINE_DIR.rglob("*.yaml")])


def _events(text: str) -> tuple[Any, Any]:
    parser = yaml.CSafeLoader(text)
    try:
        return compose_events(parser)
    finally:
        parser.dispose()


def test_nearly_every_bundled_file_takes_the_fast_path() -> None:
    # A file that does not (a `*word*` in a comment, a tag) is only read more slowly; this says
    # when that stops being the exception.
    fast = [p for p in BUNDLED if not may_hold_anchor(t := p.read_text(encoding="utf-8")) and "!" not in t]
    assert len(fast) >= 0.95 * len(BUNDLED)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_every_bundled_file_reads_the_same_through_every_builder(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    data, tree = _events(text)
    assert compose_plain_data(text) == data
    assert compose_nodes(text) == (data, tree)
    doc = _yaml.load_yaml_text(text, str(path))
    assert doc.data == data
    assert doc.tree == tree  # found again from the text, on first use


_alphabet = st.sampled_from([*"ab &*:-[]{},'\"#?|>\n\t", "\ufeff", "\x85", "\u2028", "  ", "- ", ": "])


@settings(max_examples=400, deadline=None)
@given(st.lists(_alphabet, max_size=24).map("".join))
def test_a_text_said_to_hold_no_anchor_holds_none(text: str) -> None:
    # The one thing the fast path must never get wrong: libyaml itself finds no anchor or alias.
    if may_hold_anchor(text):
        return
    parser = yaml.CSafeLoader(text)
    try:
        while parser.check_event():
            event = parser.get_event()
            assert not isinstance(event, yaml.AliasEvent), text
            assert getattr(event, "anchor", None) is None, text
    except yaml.YAMLError:
        pass  # not YAML at all: every builder refuses it the same way
    finally:
        parser.dispose()


@pytest.mark.parametrize(
    "text", ["a: &x 1\n", "- *x\n", "[&a 1]\n", "{a: *b}\n", "\ufeff&a x: 1\n", "a:\n  &b c: 1\n", "x,*y\n"]
)
def test_anchors_and_aliases_are_noticed(text: str) -> None:
    assert may_hold_anchor(text)


@pytest.mark.parametrize("text", ["a: R & D\n", "a: 2 * 3\n", "a: x*y&z\n", "a: '&'\n"])
def test_an_ampersand_or_star_that_starts_no_name_keeps_the_fast_path(text: str) -> None:
    assert not may_hold_anchor(text)


_chars = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="\x85\ufeff")
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.text(_chars, max_size=12)
    | st.sampled_from(["yes", "no", "010", "0o10", "1_000", "~", "null", ".inf", "2024-05-01", "1:20", "-", ""])
    | st.floats(allow_nan=False, width=32)
)
_keys = st.text(_chars, min_size=1, max_size=8)
_data = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=16,
)


@settings(max_examples=100, deadline=None)
@given(data=st.dictionaries(_keys, _data, max_size=5), flow=st.booleans())
def test_generated_documents_read_the_same_through_every_builder(data: dict[str, Any], flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    expected, tree = _events(text)
    if "!" not in text and not may_hold_anchor(text):
        assert compose_plain_data(text) == expected
    if not may_hold_anchor(text):
        assert compose_nodes(text) == (expected, tree)


@pytest.mark.parametrize(
    ("text", "code", "line", "col"),
    [
        ("a: 1\nb:\n  c: 2\n  c: 3\n", "yaml-duplicate-key", 4, 3),
        ("a:\n  - [x, y]\n  - {[k]: v}\n", "yaml-complex-key", 3, 6),
        ("a: " + "[" * 70 + "]" * 70 + "\n", "yaml-too-deep", 1, 68),
        ("a:\n  b: " + "7" * 100 + "\n", "yaml-number-too-long", 2, 6),
    ],
)
def test_the_fast_path_refuses_at_the_same_place(text: str, code: str, line: int, col: int) -> None:
    assert "!" not in text and not may_hold_anchor(text)
    with pytest.raises(YamlError) as fast:
        _yaml.load_yaml_text(text, "f.yaml")
    parser = yaml.CSafeLoader(text)
    try:
        with pytest.raises(Fail) as careful:
            compose_events(parser)
    finally:
        parser.dispose()
    assert (fast.value.code, fast.value.line, fast.value.col) == (code, line, col)
    assert (careful.value.code, careful.value.mark.line + 1, careful.value.mark.column + 1) == (code, line, col)
    assert fast.value.message == careful.value.message


def test_a_duplicate_key_names_its_first_line() -> None:
    with pytest.raises(YamlError) as info:
        _yaml.load_yaml_text("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert "first at line 1" in info.value.message
