"""The ``openai:`` adapter: any OpenAI-compatible chat-completions endpoint.

Spec: ``openai:MODEL[@BASE_URL][#OPTIONS]``, for example::

    openai:gpt-4o-mini
    openai:llama3.1@http://127.0.0.1:11434/v1
    openai:my-model@https://llm.example.org/v1#key_env=LLM_KEY&system_prompt=prompt.txt

* ``BASE_URL`` defaults to ``$CALFSPEC_OPENAI_BASE_URL``, else https://api.openai.com/v1;
  calfspec POSTs to ``BASE_URL/chat/completions``.
* The API key comes only from an environment variable: ``$CALFSPEC_OPENAI_API_KEY``,
  or the variable named by ``key_env=``. It is sent as a bearer token and is
  removed from every text calfspec keeps (the raw reply, error messages, the
  name). A key is required for api.openai.com; local servers may need none.
* ``system_prompt=FILE`` (or ``$CALFSPEC_OPENAI_SYSTEM_PROMPT``) replaces the
  default instructions. The decision JSON Schema and the guideline's allowed ids
  are always appended, because the reply is validated against them.
* ``temperature=T`` (default 0).
* ``format=text`` lets the model answer in prose: no ``response_format``, no
  schema in the prompt, and :func:`calfspec._internal.extract.extract_decision` reads the
  urgency, a pathway and the named conditions from the reply. A reply it cannot
  read is an error of code ``extraction``, never a verdict (``format=json``, the
  default, asks for the decision JSON).
* ``price_prompt=USD`` and ``price_completion=USD`` (per million tokens): with
  both, the run's summed token usage gets an estimated cost in every report.

``calfspec run --cache DIR`` (:meth:`OpenAIImplementation.use_cache`) keeps each
response body in ``DIR``, keyed by a SHA-256 of the endpoint, the whole request
body (model, system prompt, patient text, temperature, response format) and the
triage request (so repeats stay distinct); a later run with the same key reads
it instead of asking, and its reports say how many replies came from the cache.
Token usage is summed from the responses' ``usage`` fields (live requests only);
the ``model`` and ``system_fingerprint`` the endpoint returns are reported as the
implementation's self-reported name and version (:meth:`OpenAIImplementation.info`).

Each case is one stateless chat: the system prompt, then the patient's
narrative, or, when the scenario has none, a plain-words rendering of the
presentation built from the guideline's vocabulary labels. The model is asked
for a JSON object (``response_format: json_object``). A refusal, a reply that is
not JSON or JSON that breaks the decision schema is an error for that case.
The whole response body is kept as :attr:`Reply.raw` for audit.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from urllib.parse import parse_qsl

from ..errors import ImplementationError, SpecError
from ..guideline import GuidelineIndex, load_guideline
from ..models.results import ChatUsage, ImplementationInfo
from ..models.triage import TriageDecision, TriageRequest
from ..models.urgency import URGENCY_ORDER
from ..words import third_person_summary
from ._decode import decision_from_text, excerpt
from .base import Reply
from .http import DEFAULT_CONCURRENCY, SERVER_ERRORS, JsonPoster, check_url, public_url

__all__ = [
    "DEFAULT_BASE_URL",
    "KEY_ENV",
    "OpenAIImplementation",
    "parse_openai_spec",
    "render_presentation",
]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
KEY_ENV = "CALFSPEC_OPENAI_API_KEY"
BASE_URL_ENV = "CALFSPEC_OPENAI_BASE_URL"
PROMPT_ENV = "CALFSPEC_OPENAI_SYSTEM_PROMPT"

_OPTIONS = ("key_env", "system_prompt", "temperature", "format", "price_prompt", "price_completion")
_SPEC = re.compile(r"^(?P<model>[^#]+?)(?:@(?P<base>https?://[^#]+))?(?:#(?P<options>.*))?$")
_FENCE = re.compile(r"^```(?:json)?\s*\n(?P<body>.*)\n```\s*$", re.DOTALL)

DEFAULT_INSTRUCTIONS = """\
You triage people with calf pain. Read the patient's account and decide how soon \
they need care and where they should go. Safety comes first: if a serious cause \
(for example a blood clot, a torn muscle or tendon, an infection or a threatened \
blood supply) cannot be ruled out, do not send the person home with self-care. \
Something the account does not mention is unknown, not absent. If you need an \
answer before you can decide, list the finding ids you want answered in \
"questions" and give your safest decision so far."""


TEXT_ANSWER = (
    "Answer in plain words, as you would to the person. Say clearly how soon they should be "
    "seen and where: for example call 999 or go to A&E now, see a doctor today, see a GP in the "
    "coming weeks, or look after it at home."
)
"""What ``format=text`` asks for instead of the decision JSON."""


def parse_openai_spec(text: str, spec: str) -> tuple[str, str, dict[str, str]]:
    """Split the part after ``openai:`` into (model, base URL, options)."""
    match = _SPEC.match(text.strip())
    if match is None:
        raise SpecError(
            f"cannot read the openai spec {spec!r}",
            hint="use openai:MODEL, openai:MODEL@BASE_URL or openai:MODEL@BASE_URL#key_env=VAR",
        )
    model = match["model"].strip()
    base = match["base"] or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    options: dict[str, str] = {}
    for key, value in parse_qsl(match["options"] or "", keep_blank_values=True, strict_parsing=False):
        if key not in _OPTIONS:
            raise SpecError(
                f"unknown openai option {key!r}",
                hint=f"options are: {', '.join(_OPTIONS)}",
            )
        options[key] = value
    return model, check_url(base).rstrip("/"), options


def render_presentation(request: TriageRequest, guideline: GuidelineIndex) -> str:
    """The presentation in plain words, from the vocabulary labels; unknowns are left unsaid."""
    return third_person_summary(request, guideline)


def _allowed_ids(guideline: GuidelineIndex) -> str:
    def block(title: str, items: list[tuple[str, str]]) -> str:
        return f"{title}:\n" + "\n".join(f"- {i}: {text}" for i, text in items)

    g = guideline.guideline
    return "\n\n".join(
        [
            block("urgency (most urgent first)", [(u.value, u.label) for u in reversed(URGENCY_ORDER)]),
            block("pathways", [(p.id, p.title) for p in g.pathways]),
            block("advice", [(a.id, a.title) for a in g.advice]),
            block("conditions", [(c.id, c.name) for c in g.conditions]),
            block("questions (finding ids)", [(f.id, f.label) for f in g.findings]),
        ]
    )


def build_system_prompt(guideline: GuidelineIndex, instructions: str = DEFAULT_INSTRUCTIONS) -> str:
    """Instructions, then the decision schema and the ids the answer may use."""
    schema = json.dumps(TriageDecision.model_json_schema(), indent=1, sort_keys=True)
    return (
        f"{instructions.strip()}\n\n"
        "Answer with one JSON object and nothing else. It must match this JSON Schema:\n"
        f"{schema}\n\n"
        "Use only these ids.\n\n"
        f"{_allowed_ids(guideline)}\n"
    )


class OpenAIImplementation:
    """A chat model behind an OpenAI-compatible endpoint, asked for a decision per case."""

    def __init__(
        self,
        spec_text: str,
        guideline: GuidelineIndex | None = None,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        model, base, options = parse_openai_spec(spec_text, f"openai:{spec_text}")
        key_env = options.get("key_env", KEY_ENV)
        # A key read from a file with Windows line ends keeps its "\r"; surrounding
        # whitespace is never part of a key.
        key = (os.environ.get(key_env) or "").strip()
        if "key_env" in options and not key:
            raise SpecError(
                f"the environment variable {key_env} named by key_env is not set",
                hint=f"export {key_env}=... before running calfspec",
            )
        if not key and base == DEFAULT_BASE_URL:
            raise SpecError(
                f"no API key for {DEFAULT_BASE_URL}: {KEY_ENV} is not set",
                hint=f"export {KEY_ENV}=..., or name another variable with #key_env=VAR",
            )
        # Anything else a header cannot carry is refused here, without quoting the key
        # (httpx would quote the whole header in every case's error).
        bad = next((i for i, char in enumerate(key) if not 33 <= ord(char) <= 126), None)
        if bad is not None:
            raise SpecError(
                f"the API key in {key_env} has a character an HTTP header cannot carry at position {bad + 1}",
                hint="API keys are printable ASCII without spaces; check how the variable was set",
            )
        self._key = key or None
        prompt_file = options.get("system_prompt") or os.environ.get(PROMPT_ENV)
        instructions = DEFAULT_INSTRUCTIONS
        if prompt_file:
            try:
                instructions = Path(prompt_file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise SpecError(
                    f"cannot read the system prompt file: {exc}",
                    path=prompt_file,
                    hint="system_prompt= takes a UTF-8 text file",
                ) from None
        try:
            temperature = float(options.get("temperature", "0"))
        except ValueError:
            raise SpecError(
                f"temperature must be a number, got {options['temperature']!r}",
                hint="e.g. openai:MODEL@BASE_URL#temperature=0",
            ) from None
        answer_format = options.get("format", "json")
        if answer_format not in ("json", "text"):
            raise SpecError(
                f"format must be json or text, got {answer_format!r}",
                hint="#format=text lets the model answer in prose, read by calfspec's prose extractor",
            )
        self._text = answer_format == "text"
        self._prices: dict[str, float] = {}
        for option in ("price_prompt", "price_completion"):
            if option in options:
                try:
                    self._prices[option] = float(options[option])
                except ValueError:
                    raise SpecError(
                        f"{option} must be a number (USD per million tokens), got {options[option]!r}",
                        hint="e.g. openai:MODEL@BASE_URL#price_prompt=0.15&price_completion=0.6",
                    ) from None
        self._cache: Path | None = None
        self._hits = self._misses = 0
        self._usage = {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0, "without": 0}
        self._reported_model: str | None = None
        self._fingerprint: str | None = None
        self._endpoint = f"{public_url(base)}/chat/completions"
        self._model = model
        self._temperature = temperature
        self._guideline = guideline
        self._instructions = instructions
        self._system_prompt: str | None = None
        self._name = f"openai:{model}@{public_url(base)}" + ("#format=text" if self._text else "")
        headers = {"authorization": f"Bearer {key}"} if key else {}
        self._poster = JsonPoster(
            f"{base}/chat/completions",
            concurrency=concurrency,
            headers=headers,
            # Rate limits (429) pass with time, like server errors.
            retry_statuses=SERVER_ERRORS | {429},
            redact=self._redact,
        )

    @property
    def name(self) -> str:
        """``openai:MODEL@BASE_URL``; never the key."""
        return self._name

    def _redact(self, text: str) -> str:
        from .._secrets import redact, register_secret

        if self._key:
            text = text.replace(self._key, "[redacted]")
            register_secret(self._key)
        # The key also in base64 (of itself, or of "Bearer <key>") or URL-encoded, as servers echo it.
        return redact(text)

    async def start(self) -> None:
        """Build the system prompt and open the HTTP client."""
        if self._guideline is None:
            self._guideline = load_guideline()
        if self._text:
            self._system_prompt = f"{self._instructions.strip()}\n\n{TEXT_ANSWER}"
        else:
            self._system_prompt = build_system_prompt(self._guideline, self._instructions)
        await self._poster.open()

    async def triage(self, request: TriageRequest, timeout: float) -> Reply:
        """Ask the model; validate its JSON answer."""
        if self._system_prompt is None or self._guideline is None:
            await self.start()
        assert self._system_prompt is not None and self._guideline is not None
        user = request.narrative or render_presentation(request, self._guideline)
        body = {
            "model": self._model,
            "temperature": self._temperature,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": self._system_prompt},
                {"role": "user", "content": user},
            ],
        }
        if self._text:
            body.pop("response_format")
        key = self._cache_key(body, request) if self._cache is not None else None
        raw = self._cached(key)
        if raw is None:
            raw = await self._poster.post(json.dumps(body).encode(), timeout)
            self._count(raw)
            self._store(key, raw)
        return Reply(self._read_completion(raw), raw=raw)

    def use_cache(self, folder: Path) -> None:
        """Keep responses in ``folder`` and answer repeated requests from it (``calfspec run --cache``)."""
        self._cache = folder

    def _cache_key(self, body: dict[str, object], request: TriageRequest) -> str:
        material = {"endpoint": self._endpoint, "body": body, "request": request.model_dump(mode="json")}
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()

    def _cached(self, key: str | None) -> str | None:
        if key is None or self._cache is None:
            return None
        try:
            entry = json.loads((self._cache / key[:2] / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # no entry, or a damaged one: ask the endpoint and store it afresh
        raw = entry.get("response") if isinstance(entry, dict) else None
        if not isinstance(raw, str):
            return None
        self._hits += 1
        return raw

    def _store(self, key: str | None, raw: str) -> None:
        if key is None or self._cache is None:
            return
        from .._io import atomic_write_text

        self._misses += 1
        entry = {"endpoint": self._endpoint, "model": self._model, "response": raw}
        try:
            atomic_write_text(self._cache / key[:2] / f"{key}.json", json.dumps(entry))
        except OSError as exc:
            raise ImplementationError(
                f"cannot write the response cache: {exc.strerror or exc}", code="cache-unwritable"
            ) from None

    def _count(self, raw: str) -> None:
        """Sum ``usage`` and remember the model and fingerprint the endpoint reports (live responses only)."""
        self._usage["requests"] += 1
        try:
            data = json.loads(raw)
        except ValueError:
            self._usage["without"] += 1
            return
        if not isinstance(data, dict):
            self._usage["without"] += 1
            return
        usage = data.get("usage")
        if isinstance(usage, dict) and all(
            isinstance(usage.get(k, 0), int) for k in ("prompt_tokens", "completion_tokens")
        ):
            prompt, completion = int(usage.get("prompt_tokens", 0)), int(usage.get("completion_tokens", 0))
            total = usage.get("total_tokens")
            self._usage["prompt_tokens"] += prompt
            self._usage["completion_tokens"] += completion
            self._usage["total_tokens"] += total if isinstance(total, int) else prompt + completion
        else:
            self._usage["without"] += 1
        if isinstance(data.get("model"), str):
            self._reported_model = self._redact(data["model"])[:200]
        if isinstance(data.get("system_fingerprint"), str):
            self._fingerprint = self._redact(data["system_fingerprint"])[:200]

    def info(self) -> ImplementationInfo:
        """Self-reported model and fingerprint, cache hits and misses, summed usage and its estimated cost."""
        u = self._usage
        price_in, price_out = self._prices.get("price_prompt"), self._prices.get("price_completion")
        cost = None
        if price_in is not None and price_out is not None:
            cost = round((u["prompt_tokens"] * price_in + u["completion_tokens"] * price_out) / 1_000_000, 6)
        usage = ChatUsage(
            requests=u["requests"],
            prompt_tokens=u["prompt_tokens"],
            completion_tokens=u["completion_tokens"],
            total_tokens=u["total_tokens"],
            without_usage=u["without"],
            price_prompt=price_in,
            price_completion=price_out,
            estimated_cost=cost,
        )
        return ImplementationInfo(
            name=self._reported_model,
            version=self._fingerprint,
            cache=str(self._cache) if self._cache is not None else None,
            cache_hits=self._hits,
            cache_misses=self._misses,
            usage=usage,
        )

    def _read_completion(self, raw: str) -> TriageDecision:
        try:
            data = json.loads(raw)
            choice = data["choices"][0]
            message = choice["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ImplementationError(
                f"not a chat-completions response: {excerpt(raw)}", code="invalid-completion"
            ) from None
        refusal = message.get("refusal") if isinstance(message, dict) else None
        if refusal:
            raise ImplementationError(f"the model refused: {excerpt(str(refusal))}", code="model-refusal")
        if choice.get("finish_reason") == "content_filter":
            raise ImplementationError("the reply was withheld by the provider's content filter", code="model-refusal")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str) or not content.strip():
            raise ImplementationError("the reply has no text content", code="invalid-completion")
        if self._text:
            from ..extract import extract_decision

            assert self._guideline is not None
            return extract_decision(content, self._guideline)
        # Some models wrap JSON in a Markdown fence despite json_object mode; the
        # content inside is still judged strictly.
        fenced = _FENCE.match(content.strip())
        return decision_from_text(fenced["body"] if fenced else content)

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._poster.aclose()
