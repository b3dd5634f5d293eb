"""The reviewer pack: every scenario laid out for a clinician, in HTML or Markdown.

For each scenario the pack shows, without the reader running anything:

* the case as the patient presents it (narrative, structured facts, and the
  facts revealed only when asked);
* what a safe answer must contain (urgency range, pathways, forbidden advice);
* the claims it rests on, each with the source passages that support it, and
  whether the claim is stated by a source or is our interpretation;
* the rules it exercises (should fire / must not fire), in words;
* the reference triage's answer, with its follow-up questions answered from
  the scenario, exactly as the harness runs it;
* its review status and, where an earlier version was signed, the changes
  since.

Templates live in ``templates/`` as package data; HTML is autoescaped, and
Markdown cells are escaped by the ``md`` filter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ..expressions import describe_expr
from ..guideline import GuidelineIndex
from ..models.guideline import Basis, RuleKind
from ..models.results import CaseResult
from ..models.triage import FindingState, Side
from ..scenarios import LoadedScenario
from ..words import md_cell, state_word
from .digest import Change, cited_claim_ids
from .verify import ReviewReport, ScenarioReport, ScenarioStatus

__all__ = ["PackFormat", "render_pack"]

PackFormat = Literal["html", "md"]


@dataclass(frozen=True)
class _Citation:
    source: str
    source_title: str
    section: str
    excerpt: str


@dataclass(frozen=True)
class _Claim:
    id: str
    statement: str
    interpretation: bool
    note: str | None
    citations: tuple[_Citation, ...]
    direct: bool


@dataclass(frozen=True)
class _Rule:
    id: str
    title: str
    kind: str
    role: str
    urgency: str
    pathway: str
    condition: str
    claims: tuple[str, ...]


@dataclass(frozen=True)
class _Round:
    urgency: str
    questions: tuple[str, ...]
    answered: tuple[str, ...]


@dataclass(frozen=True)
class _Reference:
    urgency: str
    urgency_label: str
    verdict: str
    failures: tuple[str, ...]
    pathways: tuple[str, ...]
    advice: tuple[str, ...]
    conditions: tuple[str, ...]
    open_questions: tuple[str, ...]
    rounds: tuple[_Round, ...]
    rationale: str


@dataclass(frozen=True)
class _Card:
    id: str
    title: str
    path: str
    tags: tuple[str, ...]
    narrative: str
    notes: str | None
    facts: tuple[tuple[str, str], ...]
    findings: tuple[tuple[str, str], ...]
    revealed: tuple[tuple[str, str], ...]
    urgency_min: str
    urgency_max: str
    pathways_required: tuple[str, ...]
    pathways_forbidden: tuple[str, ...]
    advice_forbidden: tuple[str, ...]
    claims: tuple[_Claim, ...]
    rules: tuple[_Rule, ...]
    reference: _Reference
    status: str
    digest: str
    approvers: tuple[str, ...]
    requested: tuple[str, ...]
    invalid: tuple[str, ...]
    last_signed: str | None
    changes: tuple[Change, ...] = field(default=())


def _state_word(state: FindingState | Side) -> str:
    return state.value if isinstance(state, Side) else state_word(state, "reviewer")


def _titled(ids: Sequence[str], table: dict[str, str]) -> tuple[str, ...]:
    return tuple(f"{table.get(i, i)} ({i})" for i in ids)


def _reference(result: CaseResult, guideline: GuidelineIndex) -> _Reference:
    pathways = {p.id: p.title for p in guideline.guideline.pathways}
    advice = {a.id: a.title for a in guideline.guideline.advice}
    conditions = {c.id: c.name for c in guideline.guideline.conditions}
    decision = result.decision
    rounds = tuple(
        _Round(
            urgency=ex.decision.urgency.value if ex.decision else "-",
            questions=tuple(guideline.label(q) for q in (ex.decision.questions if ex.decision else ())),
            answered=tuple(f"{guideline.label(k)}: {v}" for k, v in ex.answered.items()),
        )
        for ex in result.transcript
    )
    if decision is None:
        return _Reference(
            urgency="-",
            urgency_label="no answer",
            verdict=result.verdict.value,
            failures=(result.error or "error",),
            pathways=(),
            advice=(),
            conditions=(),
            open_questions=(),
            rounds=rounds,
            rationale="",
        )
    return _Reference(
        urgency=decision.urgency.value,
        urgency_label=decision.urgency.label,
        verdict=result.verdict.value + (f" ({result.severity.value})" if result.severity else ""),
        failures=tuple(f.message for f in result.failures),
        pathways=_titled(decision.pathways, pathways),
        advice=_titled(decision.advice, advice),
        conditions=_titled(decision.conditions, conditions),
        open_questions=tuple(guideline.label(q) for q in decision.questions),
        rounds=rounds,
        rationale=decision.rationale or "",
    )


def _card(
    loaded: LoadedScenario,
    guideline: GuidelineIndex,
    review: ScenarioReport,
    result: CaseResult,
    root: Path | None,
) -> _Card:
    s = loaded.scenario
    p = s.presentation
    pathways = {x.id: x.title for x in guideline.guideline.pathways}
    advice = {x.id: x.title for x in guideline.guideline.advice}
    facts = (
        ("Age", str(p.age) if p.age is not None else "not known"),
        ("Sex", p.sex.value.replace("_", " ")),
        ("Pregnant", _state_word(p.pregnant)),
        ("Side", p.side.value),
        ("Onset", p.onset.value),
        ("Duration", f"{p.duration_days:g} days" if p.duration_days is not None else "not known"),
        ("Trigger", p.trigger or "none given"),
    )
    claims = []
    for cid in cited_claim_ids(s, guideline):
        c = guideline.claims[cid]
        claims.append(
            _Claim(
                id=c.id,
                statement=c.statement,
                interpretation=c.basis is Basis.INTERPRETATION,
                note=c.note,
                direct=cid in s.expect.claims,
                citations=tuple(
                    _Citation(
                        source=cit.source,
                        source_title=guideline.sources[cit.source].title
                        if cit.source in guideline.sources
                        else cit.source,
                        section=cit.section,
                        excerpt=cit.excerpt,
                    )
                    for cit in c.citations
                ),
            )
        )
    rules = []
    for role, ids in (
        ("should fire (positive case)", s.covers.red_flags),
        ("must not fire (near miss)", s.covers.near_miss),
    ):
        for rid in ids:
            r = guideline.rules[rid]
            rules.append(
                _Rule(
                    id=r.id,
                    title=r.title,
                    kind="red flag" if r.kind is RuleKind.RED_FLAG else "routine review",
                    role=role,
                    urgency=r.urgency.label,
                    pathway=pathways.get(r.pathway, r.pathway),
                    condition=describe_expr(r.when, guideline),
                    claims=r.claims,
                )
            )
    path = loaded.path
    if root is not None:
        try:
            path = loaded.path.resolve().relative_to(root.resolve())
        except ValueError:
            path = loaded.path
    last = review.last_approved
    last_signed = None
    if last is not None and last.record is not None:
        last_signed = f"approved by {last.record.reviewer} on {last.record.date.isoformat()}"
    elif review.changes:
        last_signed = "an earlier version was reviewed (changes requested)"
    return _Card(
        id=s.id,
        title=s.title,
        path=str(path),
        tags=s.tags,
        narrative=s.narrative,
        notes=s.notes,
        facts=facts,
        findings=tuple((guideline.label(k), _state_word(v)) for k, v in p.findings.items()),
        revealed=tuple((guideline.label(k), _state_word(v)) for k, v in s.reveal_on_ask.items()),
        urgency_min=s.expect.urgency.min.label,
        urgency_max=s.expect.urgency.max.label,
        pathways_required=_titled(s.expect.pathways_required, pathways),
        pathways_forbidden=_titled(s.expect.pathways_forbidden, pathways),
        advice_forbidden=_titled(s.expect.advice_forbidden, advice),
        claims=tuple(claims),
        rules=tuple(rules),
        reference=_reference(result, guideline),
        status=review.status.value,
        digest=review.digest,
        approvers=review.approvers,
        requested=tuple(
            f"{r.record.reviewer} ({r.record.date.isoformat()}): {r.record.comment or 'no comment'}"
            for r in review.requested_changes
            if r.record is not None
        ),
        invalid=tuple(f"{r.path.name}: {'; '.join(r.problems)}" for r in review.invalid),
        last_signed=last_signed,
        changes=review.changes,
    )


def render_pack(
    scenarios: Sequence[LoadedScenario],
    guideline: GuidelineIndex,
    review: ReviewReport,
    results: Sequence[CaseResult],
    *,
    fmt: PackFormat = "html",
    generated: dt.datetime | None = None,
    root: Path | None = None,
) -> str:
    """Render the reviewer pack for ``scenarios`` as HTML or Markdown text.

    ``results`` holds the reference's answer to every scenario, run by the
    caller: a renderer only builds text.
    """
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("calfspec._internal.review", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = lambda value: md_cell(str(value))
    by_id = {r.scenario_id: r for r in review.scenarios}
    answers = {r.scenario_id: r for r in results}
    cards = [_card(s, guideline, by_id[s.id], answers[s.id], root) for s in scenarios]
    counts = {st.value: sum(1 for c in cards if c.status == st.value) for st in ScenarioStatus}
    template = env.get_template("pack.html.j2" if fmt == "html" else "pack.md.j2")
    return template.render(
        cards=cards,
        counts=counts,
        guideline=guideline.meta,
        sources=list(guideline.guideline.sources),
        generated=(generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        interpretations=sum(1 for c in guideline.guideline.claims if c.basis is Basis.INTERPRETATION),
    )
