"""Chat-model runs: response cache, token usage and cost, and the self-reported model, against a real local server.

The OpenAI-compatible server (tests/fixtures/servers/fake_openai.py) runs on
127.0.0.1. The second run is made after the server is stopped: it can only
succeed from the cache.
"""

from __future__ import annotations

import json
from pathlib import Path

from calfspec._internal.compare import load_run_result
from tests.conftest import ROOT
from tests.fixtures.results.cli import calfspec
from tests.fixtures.servers import running_server

SCENARIOS = ROOT / "scenarios" / "cases" / "red-flags"


def chat_run(base: str, out: Path, cache: Path, name: str) -> tuple[int, str]:
    impl = f"openai:valid@{base}#price_prompt=1.5&price_completion=4"
    proc = calfspec(
        "run", "--impl", impl, "--scenarios", SCENARIOS, "--timeout", "30", "--cache", cache,
        "--report", f"json:{out / f'{name}.json'}", "--report", f"md:{out / f'{name}.md'}",
        "--report", f"html:{out / f'{name}.html'}",
        cwd=out,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    return proc.returncode, proc.stderr


def test_a_cached_run_needs_no_server_and_says_so_with_usage_cost_and_the_reported_model(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with running_server("fake_openai") as (url, _):
        base = f"{url}/v1"
        code, stderr = chat_run(base, tmp_path, cache, "live")
    assert code in (0, 1), stderr[-3000:]  # a fixed answer passes some cases and fails others
    live = load_run_result(tmp_path / "live.json")
    n = len(live.cases)
    assert n > 5 and all(c.error_code != "implementation-unreachable" for c in live.cases)
    info = live.implementation_info
    assert info is not None and info.name == "valid"  # the model field the endpoint returned
    assert (info.cache_hits, info.cache_misses) == (0, n)
    assert info.usage is not None
    assert (info.usage.requests, info.usage.prompt_tokens, info.usage.completion_tokens) == (n, n, n)
    assert info.usage.estimated_cost == round(n * (1.5 + 4) / 1_000_000, 6)
    assert "self-reported: valid" in stderr and f"over {n} request(s)" in stderr
    assert len(list(cache.rglob("*.json"))) == n

    # the server is gone (same endpoint, nothing listening): every answer must come from the cache
    code2, stderr2 = chat_run(base, tmp_path, cache, "cached")
    cached = load_run_result(tmp_path / "cached.json")
    assert code2 == code, stderr2[-3000:]
    assert all(c.verdict.value != "error" for c in cached.cases)
    assert [(c.scenario_id, c.verdict, c.given) for c in cached.cases] == [
        (c.scenario_id, c.verdict, c.given) for c in live.cases
    ]
    info2 = cached.implementation_info
    assert info2 is not None and (info2.cache_hits, info2.cache_misses) == (n, 0)
    assert info2.usage is not None and info2.usage.requests == 0 and info2.usage.estimated_cost == 0
    assert f"CACHED RUN: {n} of {n} replies" in stderr2
    assert "CACHED RUN" in (tmp_path / "cached.md").read_text(encoding="utf-8")
    assert "CACHED RUN" in (tmp_path / "cached.html").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "cached.json").read_text(encoding="utf-8"))["implementation_info"]["cache"] == str(
        cache
    )


def test_cache_is_refused_for_an_implementation_that_is_not_a_chat_model(tmp_path: Path) -> None:
    proc = calfspec("run", "--cache", tmp_path / "c", "--tag", "red-flag", cwd=tmp_path)
    assert proc.returncode == 4
    assert "--cache works only with openai: implementations" in proc.stderr
