"""The openai: adapter without a server: spec parsing, key handling, prompt and rendering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calfspec import FindingState, TriageDecision, TriageRequest, load_guideline, load_implementation
from calfspec._internal.adapters.openai import (
    DEFAULT_BASE_URL,
    OpenAIImplementation,
    build_system_prompt,
    parse_openai_spec,
    render_presentation,
)
from calfspec._internal.errors import SpecError

KEY = "sk-unit-test-0123456789abcdef"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CALFSPEC_OPENAI_API_KEY", "CALFSPEC_OPENAI_BASE_URL", "CALFSPEC_OPENAI_SYSTEM_PROMPT"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("text", "model", "base", "options"),
    [
        ("gpt-4o-mini", "gpt-4o-mini", DEFAULT_BASE_URL, {}),
        ("llama3.1@http://127.0.0.1:11434/v1/", "llama3.1", "http://127.0.0.1:11434/v1", {}),
        ("org/model-7b@https://llm.example.org/v1", "org/model-7b", "https://llm.example.org/v1", {}),
        (
            "m@http://h:1/v1#key_env=MY_KEY&temperature=0.2",
            "m",
            "http://h:1/v1",
            {"key_env": "MY_KEY", "temperature": "0.2"},
        ),
    ],
)
def test_spec_parts_are_model_base_url_and_options(text: str, model: str, base: str, options: dict[str, str]) -> None:
    assert parse_openai_spec(text, f"openai:{text}") == (model, base, options)


def test_base_url_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALFSPEC_OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert parse_openai_spec("m", "openai:m")[1] == "http://127.0.0.1:9/v1"


def test_the_official_endpoint_needs_a_key() -> None:
    with pytest.raises(SpecError) as info:
        load_implementation("openai:gpt-4o-mini")
    assert "CALFSPEC_OPENAI_API_KEY is not set" in info.value.message


def test_a_named_key_variable_must_exist() -> None:
    with pytest.raises(SpecError) as info:
        load_implementation("openai:m@http://127.0.0.1:9/v1#key_env=NOT_SET_ANYWHERE_XYZ")
    assert "NOT_SET_ANYWHERE_XYZ" in info.value.message


def test_a_local_server_may_need_no_key() -> None:
    impl = load_implementation("openai:m@http://127.0.0.1:9/v1")
    assert impl.name == "openai:m@http://127.0.0.1:9/v1"


def test_the_key_is_read_from_the_named_variable_and_never_in_the_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_LLM_KEY", KEY)
    impl = load_implementation("openai:m@https://llm.example.org/v1#key_env=MY_LLM_KEY")
    assert isinstance(impl, OpenAIImplementation)
    assert KEY not in impl.name and KEY not in repr(vars(impl).get("_name"))


def test_whitespace_around_the_key_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALFSPEC_OPENAI_API_KEY", f"  {KEY}\r\n")  # read from a file with Windows line ends
    impl = load_implementation("openai:m@http://127.0.0.1:9/v1")
    assert isinstance(impl, OpenAIImplementation)
    assert impl._poster._headers == {"authorization": f"Bearer {KEY}"}


@pytest.mark.parametrize("bad", ["sk-line\nbreak", "sk-with space", "sk-caf\u00e9", "sk-tab\there"])
def test_a_key_a_header_cannot_carry_is_a_spec_error_that_does_not_quote_it(
    monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setenv("CALFSPEC_OPENAI_API_KEY", bad)
    with pytest.raises(SpecError) as info:
        load_implementation("openai:m@http://127.0.0.1:9/v1")
    assert "CALFSPEC_OPENAI_API_KEY" in info.value.message
    assert bad not in info.value.render() and "sk-" not in info.value.render()


def test_a_system_prompt_file_replaces_the_instructions_but_keeps_schema_and_ids(tmp_path: Path) -> None:
    prompt = tmp_path / "prompt.txt"
    prompt.write_text("You are Dr Calf. Be careful.", encoding="utf-8")
    impl = OpenAIImplementation(f"m@http://127.0.0.1:9/v1#system_prompt={prompt}")
    assert impl._instructions == "You are Dr Calf. Be careful."


def test_an_unreadable_system_prompt_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        OpenAIImplementation(f"m@http://127.0.0.1:9/v1#system_prompt={tmp_path / 'missing.txt'}")
    assert "cannot read the system prompt file" in info.value.message


def test_system_prompt_carries_the_decision_schema_and_every_allowed_id() -> None:
    guideline = load_guideline()
    prompt = build_system_prompt(guideline)
    schema_start = prompt.index("{")
    schema_text = prompt[schema_start : prompt.index("\n\nUse only these ids")]
    assert json.loads(schema_text) == TriageDecision.model_json_schema()
    for pathway in guideline.pathways:
        assert f"- {pathway}:" in prompt
    for advice in guideline.advice:
        assert f"- {advice}:" in prompt
    for finding in guideline.findings:
        assert f"- {finding}:" in prompt


def test_rendering_uses_vocabulary_labels_and_keeps_unknown_unsaid() -> None:
    guideline = load_guideline()
    request = TriageRequest(
        age=54,
        sex="female",
        pregnant="absent",
        side="left",
        onset="sudden",
        duration_days=2,
        trigger="long flight",
        findings={
            "calf_swelling": FindingState.PRESENT,
            "chest_pain": FindingState.ABSENT,
            "fever": FindingState.UNKNOWN,
        },
    )
    text = render_presentation(request, guideline)
    assert text.startswith("A 54-year-old woman who is not pregnant has calf pain.")
    assert "left calf" in text and "suddenly 2 day(s) ago" in text and "long flight" in text
    assert f"They have: {guideline.findings['calf_swelling'].label}." in text
    assert f"They do not have: {guideline.findings['chest_pain'].label}." in text
    assert guideline.findings["fever"].label not in text
    assert text.endswith("Nothing else is known.")


def test_rendering_an_empty_presentation_says_nothing_is_known() -> None:
    text = render_presentation(TriageRequest(), load_guideline())
    assert text == "A person of unknown age and sex has calf pain. Nothing else is known."
