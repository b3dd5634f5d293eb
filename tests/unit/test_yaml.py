"""Hostile and broken YAML gets a clear, positioned error, never a traceback or a partial load.

Covers calfspec._yaml directly and through the guideline loader, which must
refuse the whole guideline when any file is bad.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from calfspec._yaml import MAX_BYTES, load_yaml, load_yaml_text
from calfspec.errors import YamlError
from calfspec.guideline import GuidelineInvalid, load_guideline, load_guideline_unchecked
from tests.conftest import GUIDELINE_DIR


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
