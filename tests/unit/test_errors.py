"""Errors render as `path:line:col: code: message` with a hint (calfspec._internal.errors)."""

from __future__ import annotations

from calfspec._internal.errors import CalfspecError, InputError, ProblemsError, YamlError


def test_a_positioned_error_renders_path_line_col_code_and_hint() -> None:
    err = YamlError("duplicate key: 'id'", code="yaml-duplicate-key", path="g/x.yaml", line=3, col=5, hint="rename it")
    assert err.render() == "g/x.yaml:3:5: yaml-duplicate-key: duplicate key: 'id'\n  hint: rename it"
    assert isinstance(err, ValueError) and isinstance(err, CalfspecError)


def test_unknown_parts_are_left_out_and_an_option_error_names_the_program() -> None:
    assert InputError("bad", code="c", path="f.yaml").render() == "f.yaml: c: bad"
    assert InputError("bad shard", code="bad-shard").render() == "calfspec: bad-shard: bad shard"


def test_problems_error_reports_every_problem_and_takes_the_first_position() -> None:
    first = InputError("one", code="a", path="a.yaml", line=1, col=2)
    second = InputError("two", code="b", path="b.yaml", line=7)
    err = ProblemsError([first, second])
    assert (err.path, err.line, err.col, err.code) == ("a.yaml", 1, 2, "a")
    assert "(and 1 more problem(s))" in err.message
    assert err.render().splitlines() == ["a.yaml:1:2: a: one", "b.yaml:7: b: two"]
