"""The openai: adapter's response cache key and usage sums (calfspec._internal.adapters.openai)."""

from __future__ import annotations

import json

import pytest

from calfspec._internal.adapters.openai import OpenAIImplementation
from calfspec._internal.errors import SpecError
from calfspec._internal.models.triage import TriageRequest

BASE = "http://127.0.0.1:1/v1"
REQUEST = TriageRequest(case_id="0123456789abcdef", narrative="my calf hurts")


def key(spec: str, request: TriageRequest = REQUEST, **body: object) -> str:
    impl = OpenAIImplementation(spec)
    full: dict[str, object] = {"model": "m", "temperature": 0, "messages": [{"role": "user", "content": "x"}]}
    full.update(body)
    return impl._cache_key(full, request)


def test_the_cache_key_changes_with_endpoint_body_sampling_and_request() -> None:
    same = key(f"m@{BASE}")
    assert key(f"m@{BASE}") == same
    assert key("m@http://127.0.0.1:2/v1") != same  # endpoint
    assert key(f"m@{BASE}", temperature=0.7) != same  # sampling
    assert key(f"m@{BASE}", messages=[{"role": "user", "content": "y"}]) != same  # prompt
    assert key(f"m@{BASE}", REQUEST.model_copy(update={"case_id": "fedcba9876543210"})) != same  # repeat/case


def test_usage_is_summed_and_priced_per_million_tokens() -> None:
    impl = OpenAIImplementation(f"m@{BASE}#price_prompt=2&price_completion=10")
    for prompt, completion in ((1000, 200), (3000, 100)):
        impl._count(
            json.dumps(
                {
                    "model": "m-2024",
                    "system_fingerprint": "fp_1",
                    "usage": {"prompt_tokens": prompt, "completion_tokens": completion},
                }
            )
        )
    impl._count("not json")
    info = impl.info()
    assert (info.name, info.version) == ("m-2024", "fp_1")
    assert info.usage is not None
    assert (info.usage.requests, info.usage.prompt_tokens, info.usage.completion_tokens) == (3, 4000, 300)
    assert info.usage.total_tokens == 4300 and info.usage.without_usage == 1
    assert info.usage.estimated_cost == pytest.approx((4000 * 2 + 300 * 10) / 1e6)


def test_no_cost_without_both_prices_and_a_bad_price_is_a_spec_error() -> None:
    impl = OpenAIImplementation(f"m@{BASE}#price_prompt=2")
    impl._count(json.dumps({"usage": {"prompt_tokens": 5, "completion_tokens": 5}}))
    assert impl.info().usage is not None and impl.info().usage.estimated_cost is None  # type: ignore[union-attr]
    with pytest.raises(SpecError, match="price_completion must be a number"):
        OpenAIImplementation(f"m@{BASE}#price_completion=cheap")
