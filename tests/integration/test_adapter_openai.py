"""The openai: adapter against a local chat-completions server (tests/fixtures/servers/fake_openai.py).

The fake server picks its reply from the model name: valid JSON, fenced JSON,
prose, schema-breaking JSON, a refusal, a content-filter stop, and replies that
echo the API key back, which must never reach anything calfspec keeps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from calfspec import ImplementationError, Reply, TriageRequest, Urgency, load_implementation
from tests.fixtures.containment import no_leftover_processes  # noqa: F401
from tests.fixtures.servers import running_server

pytestmark = pytest.mark.usefixtures("no_leftover_processes")

KEY = "sk-test-SECRET-5f2c9a1b7e"
REQUEST = TriageRequest(case_id="dvt", age=61, side="left", findings={"calf_swelling": "present", "fever": "absent"})


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with running_server("fake_openai") as (url, _):
        yield f"{url}/v1"


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALFSPEC_OPENAI_API_KEY", KEY)


def ask(base_url: str, model: str, request: TriageRequest = REQUEST) -> Reply | ImplementationError:
    async def go() -> Reply | ImplementationError:
        impl = load_implementation(f"openai:{model}@{base_url}")
        assert KEY not in impl.name
        await impl.start()
        try:
            return await impl.triage(request, 10.0)
        except ImplementationError as exc:
            return exc
        finally:
            await impl.close()

    return asyncio.run(go())


@pytest.mark.parametrize("model", ["valid", "fenced"])
def test_a_json_reply_becomes_the_decision_and_the_whole_response_is_kept(base_url: str, model: str) -> None:
    reply = ask(base_url, model)
    assert isinstance(reply, Reply)
    assert reply.decision.urgency is Urgency.URGENT
    assert reply.raw is not None and '"chat.completion"' in reply.raw


@pytest.mark.parametrize(
    ("model", "code", "expected"),
    [
        ("not-json", "invalid-json", "I think you should see a doctor"),
        ("schema-breaking", "schema-invalid-decision", "urgency: Input should be"),
        ("refusal", "model-refusal", "I can't help with medical triage"),
        ("content-filter", "model-refusal", "content filter"),
        ("no-such-model", "http-status", "HTTP 404"),
    ],
)
def test_unusable_replies_are_errors_naming_the_cause(base_url: str, model: str, code: str, expected: str) -> None:
    outcome = ask(base_url, model)
    assert isinstance(outcome, ImplementationError)
    assert outcome.code == code
    assert expected in outcome.message


def test_the_narrative_is_sent_when_there_is_one(base_url: str) -> None:
    request = REQUEST.model_copy(update={"narrative": "My left calf has been swollen since my flight."})
    reply = ask(base_url, "echo-user", request)
    assert isinstance(reply, Reply)
    assert reply.decision.rationale == "My left calf has been swollen since my flight."


def test_without_a_narrative_the_presentation_is_rendered_in_plain_words(base_url: str) -> None:
    reply = ask(base_url, "echo-user")
    assert isinstance(reply, Reply) and reply.decision.rationale is not None
    assert reply.decision.rationale.startswith("A 61-year-old person has calf pain. It is in the left calf.")
    assert "Swollen calf" in reply.decision.rationale and "Fever" in reply.decision.rationale


def test_the_api_key_never_reaches_raw_replies_errors_or_logs(base_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    echoed = ask(base_url, "echo-key")
    assert isinstance(echoed, Reply)
    assert echoed.raw is not None and "[redacted]" in echoed.raw
    assert echoed.decision.rationale == "you sent Bearer [redacted]"
    refused = ask(base_url, "echo-key-401")
    assert isinstance(refused, ImplementationError) and "HTTP 401" in refused.message
    for text in (echoed.raw, repr(echoed), refused.render(), repr(refused), caplog.text):
        assert KEY not in text
