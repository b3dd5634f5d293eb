"""Decoding answers: one wording for JSON and schema problems, whichever transport met them."""

from __future__ import annotations

import pytest

from calfspec import ImplementationError, TriageDecision, Urgency
from calfspec._internal.adapters._decode import decision_from_data, decision_from_text, describe_exit, excerpt


def test_valid_json_decision_is_parsed() -> None:
    decision = decision_from_text(b'{"urgency": "routine", "pathways": ["gp-review"]}')
    assert decision == TriageDecision(urgency=Urgency.ROUTINE, pathways=("gp-review",))


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        ("not json", "invalid-json", "not valid JSON"),
        ('{"urgency": "routine"', "invalid-json", "not valid JSON"),
        (b"\xff\xfe", "invalid-json", "not valid JSON"),
        ("[1, 2]", "schema-invalid-decision", "must be a JSON object, got list"),
        ('{"urgency": "soon"}', "schema-invalid-decision", "urgency: Input should be"),
        ('{"urgency": "routine", "extra": 1}', "schema-invalid-decision", "extra: Extra inputs"),
        ('{"pathways": ["gp-review"]}', "schema-invalid-decision", "urgency: Field required"),
        ('{"urgency": "routine", "pathways": ["Not An Id"]}', "schema-invalid-decision", "pathways.0"),
    ],
)
def test_bad_answers_raise_implementation_errors_with_a_stable_code(
    text: str | bytes, code: str, expected: str
) -> None:
    with pytest.raises(ImplementationError) as info:
        decision_from_text(text)
    assert info.value.code == code
    assert expected in info.value.message


def test_many_schema_problems_are_summarised_not_dumped() -> None:
    with pytest.raises(ImplementationError) as info:
        decision_from_data({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})
    assert "and 3 more" in info.value.message


def test_excerpt_is_one_short_line() -> None:
    text = "line one\nline two\n" + "x" * 1000
    short = excerpt(text, limit=40)
    assert "\n" not in short
    assert short.endswith(f"({len(text)} characters)")


def test_exit_description_names_status_or_signal() -> None:
    assert describe_exit(3) == "exited with status 3"
    assert describe_exit(-9) == "was killed by signal SIGKILL"
