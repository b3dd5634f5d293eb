"""Hostile and broken YAML gets a clear, positioned error, never a traceback or a partial load.

Covers calfspec._internal._yaml directly and through the guideline loader, which must
refuse the whole guideline when any file is bad. Every test runs twice: with
libyaml's C parser and with PyYAML's pure-Python one, the fallback when the C
extension is missing, which must keep every guarantee.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from calfspec._internal import _yaml
from calfspec._internal._yaml import MAX_BYTES, MAX_DEPTH, MAX_NUMBER_CHARS, load_yaml, load_yaml_model, load_yaml_text
from calfspec._internal.errors import YamlError
from calfspec._internal.guideline import GuidelineInvalid, load_guideline, load_guideline_unchecked
from calfspec._internal.models.scenario import Scenario
from tests.conftest import GUIDELINE_DIR, SCENARIOS_DIR

PARSERS = ["libyaml-compose", "libyaml-events", "pure-python"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # The guideline-loader tests below check the loaders' all-or-nothing rule, not
    # the parser: they run once, with the parser calfspec uses.
    if "broken_copy" not in metafunc.fixturenames:
        metafunc.parametrize("parser", PARSERS, indirect=True)


@pytest.fixture(autouse=True)
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run each test through each way a file can be read.

    libyaml's C composer reads files without anchors or aliases; libyaml's
    events, built into data in Python, read the rest; the pure-Python parser is
    the fallback when PyYAML has no C extension. Each must keep every guarantee.
    """
    if not hasattr(request, "param"):
        yield "default"
        return
    if request.param.startswith("libyaml"):
        assert _yaml.LIBYAML, "PyYAML was installed without libyaml: the fast path is missing"
        assert _yaml._C_COMPOSE, "this libyaml does not limit nesting, so its C composer is not used"
        monkeypatch.setattr(_yaml, "_Parser", yaml.CSafeLoader)
        monkeypatch.setattr(_yaml, "_C_COMPOSE", request.param == "libyaml-compose")
    else:
        monkeypatch.setattr(_yaml, "_Parser", yaml.SafeLoader)
        monkeypatch.setattr(_yaml, "_C_COMPOSE", False)
    yield request.param


def _yaml_error(text: str) -> YamlError:
    with pytest.raises(YamlError) as info:
        load_yaml_text(text, "f.yaml")
    return info.value


def test_duplicate_key_names_the_key_and_line() -> None:
    err = _yaml_error("claims:\n  - id: a\n    basis: stated\n    basis: interpretation\n")
    assert err.code == "yaml-duplicate-key"
    assert err.path == "f.yaml"
    assert err.line == 4
    assert "basis" in err.message


def test_anchors_and_aliases_are_refused() -> None:
    err = _yaml_error("a: &x [1, 2]\nb: *x\n")
    assert err.code == "yaml-alias"
    assert err.line is not None


def test_billion_laughs_alias_bomb_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")
    err = _yaml_error("\n".join(lines) + "\n")
    assert err.code == "yaml-alias"


def test_merge_key_alias_is_refused() -> None:
    err = _yaml_error("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n")
    assert err.code in ("yaml-alias", "yaml-duplicate-key", "yaml-syntax")


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# padding\n" * (MAX_BYTES // 10 + 1))
    with pytest.raises(YamlError) as info:
        load_yaml(path)
    assert info.value.code == "yaml-too-large"
    assert info.value.path == str(path)


def test_huge_text_is_refused() -> None:
    assert _yaml_error("a: " + "x" * (MAX_BYTES + 1)).code == "yaml-too-large"


def test_non_utf8_bytes_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("claims:\n  - id: a\n    statement: caf\xe9\n".encode("latin-1"))
    with pytest.raises(YamlError) as info:
        load_yaml(path)
    assert info.value.code == "yaml-not-utf8"
    assert info.value.line == 3


def test_truncated_file_is_a_syntax_error_with_a_line() -> None:
    err = _yaml_error('claims:\n  - id: a\n    statement: "unterminated\n')
    assert err.code == "yaml-syntax"
    assert err.line is not None and err.line >= 3


def test_truncated_flow_sequence_is_a_syntax_error() -> None:
    err = _yaml_error("rules:\n  - id: r\n    contraindicates: [a, b\n")
    assert err.code == "yaml-syntax"
    assert err.line is not None


def test_tab_indentation_is_a_syntax_error_with_a_hint() -> None:
    err = _yaml_error("claims:\n\t- id: a\n")
    assert err.code == "yaml-syntax"
    assert err.line == 2
    assert err.hint is not None and "tabs" in err.hint


def test_deep_nesting_is_refused() -> None:
    err = _yaml_error("a: " + "[" * 200 + "]" * 200 + "\n")
    assert err.code == "yaml-too-deep"


def test_deep_block_nesting_is_refused_at_its_line() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 5))
    err = _yaml_error(text)
    assert err.code == "yaml-too-deep"
    assert err.line is not None and MAX_DEPTH + 1 <= err.line <= MAX_DEPTH + 2


def test_nesting_a_whole_file_deep_is_an_error_not_a_crash() -> None:
    # 256 KiB of "[": a recursive builder would overflow the stack here
    err = _yaml_error("[" * (256 * 1024))
    assert err.code in ("yaml-too-deep", "yaml-syntax")
    assert err.line == 1


def test_anchor_without_alias_is_refused() -> None:
    err = _yaml_error("a: 1\nb: &x 2\n")
    assert err.code == "yaml-alias"
    assert (err.line, err.col) == (2, 4)


@pytest.mark.parametrize("digits", [MAX_NUMBER_CHARS + 1, 5000])
def test_huge_number_is_refused_at_its_line(digits: int) -> None:
    err = _yaml_error("a: 1\nb:\n  c: " + "7" * digits + "\n")
    assert err.code == "yaml-number-too-long"
    assert (err.line, err.col) == (3, 6)
    assert f"{digits} characters" in err.message


def test_huge_number_quoted_is_text() -> None:
    assert load_yaml_text('a: "' + "7" * 5000 + '"\n').data == {"a": "7" * 5000}


def test_huge_number_in_a_scenario_names_the_file_and_line(tmp_path: Path) -> None:
    source = next((SCENARIOS_DIR / "cases").rglob("*.yaml"))
    text = source.read_text(encoding="utf-8")
    assert "\n  age: " in text
    bad = tmp_path / "big.yaml"
    bad.write_text(text.replace("\n  age: ", "\n  age: " + "9" * 5000 + " #", 1), encoding="utf-8")
    # the loader every scenario and guideline file goes through (load_scenarios collects its problems)
    outcome = load_yaml_model(bad, Scenario, what="a scenario file", hint="")
    assert isinstance(outcome, list)
    (problem,) = outcome
    assert problem.code == "yaml-number-too-long"
    assert problem.path == str(bad)
    assert problem.line == text.splitlines().index(next(ln for ln in text.splitlines() if ln.startswith("  age: "))) + 1


@pytest.mark.parametrize(
    "text",
    ["a: !!python/object/apply:os.system [ls]\n", "a: !custom x\n", "a: !!set {x}\n", "a: !!binary aGk=\n"],
)
def test_tags_other_than_plain_data_are_refused(text: str) -> None:
    err = _yaml_error(text)
    assert err.code == "yaml-tag"
    assert err.line == 1


def test_second_document_is_refused() -> None:
    err = _yaml_error("a: 1\n---\nb: 2\n")
    assert err.code == "yaml-syntax"
    assert err.line == 2


def test_control_character_names_the_line() -> None:
    err = _yaml_error("a: 1\nb: x\x07y\n")
    assert err.code == "yaml-syntax"
    assert err.line == 2


def test_plain_scalars_resolve_as_yaml_1_2() -> None:
    text = (
        "yes: yes\nno: no\non: on\noctal: 010\nreal_octal: 0o10\nhex: 0x1F\nsep: 1_000\nbool: True\n"
        "null: ~\nempty:\nfloat: 1.5e3\ninf: -.inf\ntime: 1:20\nday: 2024-05-01\nquoted: '12'\ntagged: !!str 12\n"
    )
    assert load_yaml_text(text).data == {
        "yes": "yes",
        "no": "no",
        "on": "on",
        "octal": 10,
        "real_octal": 8,
        "hex": 31,
        "sep": 1000,
        "bool": True,
        "null": None,
        "empty": None,
        "float": 1500.0,
        "inf": float("-inf"),
        "time": "1:20",
        "day": dt.date(2024, 5, 1),
        "quoted": "12",
        "tagged": "12",
    }


def test_keys_are_the_text_written() -> None:
    assert load_yaml_text("1: a\ntrue: b\nnull: c\n'2': d\n").data == {"1": "a", "true": "b", "null": "c", "2": "d"}


def test_empty_file_is_none() -> None:
    doc = load_yaml_text("# only a comment\n")
    assert doc.data is None
    assert doc.locate(("anything",)) == (1, 1)


# YAML folds NEL and the Unicode line separators like newlines; the files hold neither
_chars = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="\x85\ufeff")
_keys = st.text(_chars, min_size=1, max_size=8)
# YAML 1.2 core-schema numbers (spec 10.3.2) that YAML 1.1 reads as text, so PyYAML's 1.1 emitter
# leaves them unquoted: a float without a dot ("0E0", "1e5") and an octal "0o7". Our 1.2 reader
# rightly reads those as numbers, so a text spelt like one cannot round-trip through this emitter.
_YAML12_NUMBER = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+")
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.text(_chars, max_size=12).filter(lambda text: not _YAML12_NUMBER.fullmatch(text))
    | st.floats(allow_nan=False, width=32)
)
_data = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=25, deadline=None)
@given(data=st.dictionaries(_keys, _data, max_size=5), flow=st.booleans())
def test_any_plain_data_reads_back_as_written(data: dict[str, Any], flow: bool) -> None:
    # PyYAML's emitter quotes anything YAML 1.1 would read as another type, which covers
    # YAML 1.2's cases but the numbers excluded above; so the document must read back exactly.
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    assert load_yaml_text(text).data == data


def test_every_node_has_a_position() -> None:
    doc = load_yaml_text("a:\n  - x\n  - {b: 1, c: [2, 3]}\nd: e\n")
    assert doc.locate(("a",)) == (1, 1)
    assert doc.locate(("a", 0)) == (2, 5)
    assert doc.locate(("a", 1, "c")) == (3, 12)
    assert doc.locate(("a", 1, "c", 1)) == (3, 19)
    assert doc.locate(("d",)) == (4, 1)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(YamlError) as info:
        load_yaml(tmp_path / "nope.yaml")
    assert info.value.code == "yaml-missing"


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffa: 1\n".encode())
    assert load_yaml(path).data == {"a": 1}


def test_locate_maps_a_field_path_to_its_line() -> None:
    doc = load_yaml_text("claims:\n  - id: a\n    citations:\n      - excerpt: x\n")
    assert doc.locate(("claims", 0, "citations", 0, "excerpt")) == (4, 9)
    # a missing key reports the nearest existing parent
    assert doc.locate(("claims", 0, "nope")) == (2, 5)


def test_a_light_document_finds_its_positions_again_from_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.yaml").write_text("\ufeffa:\n  - x\n  - {b: 1, c: [2, 3]}\nd: e\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    light = load_yaml("a.yaml").light()
    assert light.data is None and light.text is None
    monkeypatch.chdir(tmp_path.parent)  # the file is found again by its absolute path
    assert light.locate(("a", 1, "c", 1)) == (3, 19)
    assert light.locate(("d",)) == (4, 1)


def test_a_light_document_whose_file_changed_gives_no_position(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("a: 1\nb: 2\n", encoding="utf-8")
    changed, gone = load_yaml(path).light(), load_yaml(path).light()
    path.write_text("\n\na: 1\nb: 2\n", encoding="utf-8")
    assert changed.locate(("b",)) == (None, None)  # not line 2, which is no longer true
    path.unlink()
    assert gone.locate(("b",)) == (None, None)
    with pytest.raises(LookupError):
        _ = gone.tree


# --- through the guideline loader: all or nothing ---------------------------------------


@pytest.fixture
def broken_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "guideline"
    shutil.copytree(GUIDELINE_DIR, dest)
    return dest


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_one_bad_file_refuses_the_whole_guideline(broken_copy: Path) -> None:
    _append(broken_copy / "advice.yaml", "  - id: [broken\n")
    index, problems = load_guideline_unchecked(broken_copy)
    assert index is None
    assert problems and problems[0].path == str(broken_copy / "advice.yaml")
    with pytest.raises(GuidelineInvalid) as info:
        load_guideline(broken_copy)
    assert info.value.path == str(broken_copy / "advice.yaml")
    assert info.value.line is not None


def test_wrong_type_names_the_file_line_and_field(broken_copy: Path) -> None:
    path = broken_copy / "pathways.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    urgency: emergency\n", "    urgency: [emergency]\n", 1), encoding="utf-8")
    index, problems = load_guideline_unchecked(broken_copy)
    assert index is None
    (problem,) = problems
    assert problem.code == "schema-invalid"
    assert problem.path == str(path)
    assert "urgency" in problem.message
    line = text.splitlines().index("    urgency: emergency") + 1
    assert problem.line == line


def test_text_where_a_list_is_expected_is_a_schema_error(broken_copy: Path) -> None:
    path = broken_copy / "conditions.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    serious: false\n", "    serious: perhaps\n", 1), encoding="utf-8")
    _, problems = load_guideline_unchecked(broken_copy)
    assert [p.code for p in problems] == ["schema-invalid"]
    assert problems[0].line is not None


def test_top_level_list_is_refused_with_its_file(broken_copy: Path) -> None:
    (broken_copy / "extra.yaml").write_text("- just\n- a list\n", encoding="utf-8")
    _, problems = load_guideline_unchecked(broken_copy)
    assert [(p.code, p.path) for p in problems] == [("schema-invalid", str(broken_copy / "extra.yaml"))]


def test_unknown_section_is_refused(broken_copy: Path) -> None:
    (broken_copy / "extra.yaml").write_text("clams: []\n", encoding="utf-8")
    _, problems = load_guideline_unchecked(broken_copy)
    assert [p.code for p in problems] == ["schema-invalid"]
    assert "clams" in problems[0].message


def test_excerpt_over_thirty_words_is_refused_at_its_line(broken_copy: Path) -> None:
    path = broken_copy / "claims" / "care.yaml"
    text = path.read_text(encoding="utf-8")
    long = " ".join(["word"] * 31)
    old = '        excerpt: "Simple pain relief as needed, on medical advice."\n'
    assert old in text
    path.write_text(text.replace(old, f'        excerpt: "{long}"\n', 1), encoding="utf-8")
    _, problems = load_guideline_unchecked(broken_copy)
    # pydantic also reports the now-empty citation tuple; the word count comes first
    problem = problems[0]
    assert "31 words" in problem.message
    assert problem.line == text.splitlines().index(old.rstrip("\n")) + 1


def test_claim_without_citations_has_no_provenance_and_is_refused(broken_copy: Path) -> None:
    _append(
        broken_copy / "claims" / "care.yaml",
        "  - id: no-provenance\n    statement: Unsourced.\n    basis: stated\n    citations: []\n",
    )
    _, problems = load_guideline_unchecked(broken_copy)
    (problem,) = problems
    assert problem.code == "schema-invalid"
    assert "citations" in problem.message
