"""Guideline lints: everything ``calfspec check`` reports, beyond what loading refuses.

Loading (:func:`calfspec._internal.guideline.load_guideline_unchecked`) already rejects
unsafe or malformed YAML, duplicate keys and ids, schema violations (including
excerpts over 30 words and claims without citations) and references to missing
ids. On a guideline that loads, this module adds:

``rule-pathway-urgency``
    a rule's urgency differs from its pathway's, so the decision and the place
    the patient is sent disagree;
``red-flag-urgency``
    a red flag below ``urgent``;
``policy-pathway-urgency``
    the policy's self-care or unresolved pathway has the wrong urgency;
``unknown-advice``
    a pathway lists advice that does not exist;
``contradictory-rules``
    rules A and B can both hold on one presentation, and B contraindicates
    advice that A's pathway gives (A and B may be the same rule);
``advice-never-given``
    an advice item's ``indicated_when`` can never hold without its own
    ``contraindicated_when``;
``unused-finding``
    a vocabulary entry no rule, condition or advice expression uses;
``condition-incomplete``
    a condition with no features or no risk factors;
``orphan-interpretation``
    an ``interpretation`` claim that no conflict record, rule, pathway, advice
    or the policy cites (an interpretation must be there for a reason);
``resolution-not-interpretation``
    a conflict resolved by a claim that is not marked ``interpretation``.

With the source texts (``--sources``):

``section-not-found`` / ``excerpt-not-found``
    a citation's section heading is not a line of the source, or its excerpt
    does not occur (verbatim, whitespace and typographic quotes aside) below it;
``exclusion-not-found``
    an exclusion's excerpt does not occur in its source;
``exclusion-covers-claim``
    an exclusion covers a sentence that a claim cites: exclusions are for
    non-clinical text only;
``source-changed``
    a source text's SHA-256 differs from the one ``sources.yaml`` pins; the
    message lists the claims whose excerpts the change touches (no longer
    found, or in a sentence that is not one of the pinned ones) for re-review;
``source-not-pinned``
    a source has no ``sha256`` in ``sources.yaml``.

Advice safe by construction (a red flag withholds every item of the kinds the
policy's ``red_flags_withhold`` names unless it ``allows_advice``):

``allows-advice-no-effect``
    a rule allows an item it would not withhold anyway (not a red flag, or an
    item of a kind the policy does not withhold);
``allows-advice-contraindicated``
    a rule both allows and contraindicates the same item;
``pathway-without-safety-net``
    a self-care or routine pathway lists no ``safety_net`` advice item.

With scenarios (the bundled suite by default, ``--scenarios``):

``scenario-contradicts-fields``
    a scenario states a finding (or pregnancy) that its own structured fields
    contradict (``age: 78`` with ``older_age: absent``; a man ``pregnant: present``),
    unless it carries the tag ``deliberate-field-contradiction`` (a case that tests
    the derivation itself);
``scenario-forbids-allowed-advice``
    a scenario forbids advice that a red flag holding on its facts explicitly
    allows, and nothing else withholds it: the reference gives it, the case fails;
and, as notes that do not fail the check, every deprecated id a scenario uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .check_sources import governance_problems, source_problems
from .errors import Location
from .expressions import all_exprs, expr_findings, satisfiable_together
from .guideline import GuidelineIndex, field_location, load_guideline_unchecked
from .models.guideline import AdviceKind, Basis, Expr, NotOf, RuleKind
from .models.triage import FindingState, Presentation
from .models.urgency import Urgency
from .problem import Problem
from .rules import Truth
from .sources import load_sources
from .words import witness_facts

if TYPE_CHECKING:
    from .scenarios import LoadedScenario

DELIBERATE_CONTRADICTION = "deliberate-field-contradiction"
"""Scenario tag: the contradiction between its fields and findings is the point of the case."""

LINT_CODES = frozenset(
    {
        "rule-pathway-urgency",
        "red-flag-urgency",
        "policy-pathway-urgency",
        "contradictory-rules",
        "advice-never-given",
        "unused-finding",
        "condition-incomplete",
        "orphan-interpretation",
        "resolution-not-interpretation",
        "section-not-found",
        "excerpt-not-found",
        "exclusion-not-found",
        "exclusion-covers-claim",
        "source-changed",
        "source-not-pinned",
        "allows-advice-no-effect",
        "allows-advice-contraindicated",
        "pathway-without-safety-net",
        "scenario-contradicts-fields",
        "scenario-forbids-allowed-advice",
        "deprecated-id",
    }
)
"""Every code ``calfspec check`` reports (the hazard log's controls name them)."""

__all__ = ["DELIBERATE_CONTRADICTION", "LINT_CODES", "CheckReport", "Problem", "check_guideline", "co_satisfiable"]


@dataclass(frozen=True)
class CheckReport:
    """The outcome of checking a guideline: counts of what it holds, and every problem."""

    problems: tuple[Problem, ...]
    counts: dict[str, int] = field(default_factory=dict)
    sources_checked: bool = False
    notes: tuple[Problem, ...] = ()
    """Things worth knowing that are not problems (deprecated ids in use)."""

    @property
    def ok(self) -> bool:
        """No problems."""
        return not self.problems


COUNT_KEYS = (
    "sources",
    "claims",
    "claims_stated",
    "claims_interpretation",
    "conditions",
    "findings",
    "red_flags",
    "routine_rules",
    "pathways",
    "advice",
    "conflicts",
    "exclusions",
)


def check_guideline(
    guideline_dir: str | Path | None = None,
    sources_dir: str | Path | None = None,
    scenarios: str | Path | None = None,
) -> CheckReport:
    """Load and lint a guideline (the bundled one by default), optionally against its sources and scenarios.

    Problems in the guideline are returned, never raised. A missing or
    unreadable source text is an input error and raises
    :class:`~calfspec._internal.errors.InputError`. ``scenarios`` is a scenario file or
    folder whose files are linted against the guideline (their fields, advice).
    """
    index, load_errors = load_guideline_unchecked(guideline_dir)
    if index is None:
        return CheckReport(tuple(Problem.from_error(e) for e in load_errors))
    problems = [Problem.from_error(e) for e in load_errors]
    notes: list[Problem] = []
    problems.extend(_lint(index))
    if sources_dir is not None:
        texts = load_sources(index.guideline, sources_dir)
        problems.extend(source_problems(index, texts))
        problems.extend(governance_problems(index, texts))
    if scenarios is not None and not load_errors:
        scenario_problems, scenario_notes = _scenario_lints(index, scenarios)
        problems.extend(scenario_problems)
        notes.extend(scenario_notes)
    return CheckReport(tuple(problems), _counts(index, len(problems)), sources_dir is not None, tuple(notes))


def _counts(index: GuidelineIndex, problems: int) -> dict[str, int]:
    g = index.guideline
    stated = sum(1 for c in g.claims if c.basis is Basis.STATED)
    return {
        "sources": len(g.sources),
        "claims": len(g.claims),
        "claims_stated": stated,
        "claims_interpretation": len(g.claims) - stated,
        "conditions": len(g.conditions),
        "findings": len(g.findings),
        "red_flags": len(index.red_flags),
        "routine_rules": len(g.rules) - len(index.red_flags),
        "pathways": len(g.pathways),
        "advice": len(g.advice),
        "conflicts": len(g.conflicts),
        "exclusions": len(g.exclusions),
        "problems": problems,
    }


def _lint(index: GuidelineIndex) -> Iterator[Problem]:
    yield from _urgency_problems(index)
    yield from _advice_construction_problems(index)
    yield from _contradictions(index)
    yield from _advice_never_given(index)
    yield from _unused_findings(index)
    yield from _incomplete_conditions(index)
    yield from _interpretation_problems(index)


def _urgency_problems(index: GuidelineIndex) -> Iterator[Problem]:
    for rule in index.guideline.rules:
        pathway = index.pathways.get(rule.pathway)
        if rule.kind is RuleKind.RED_FLAG and rule.urgency < Urgency.URGENT:
            yield Problem(
                "red-flag-urgency",
                f"red flag {rule.id!r} has urgency {rule.urgency.value}; a red flag is urgent or emergency",
                field_location(index, "rules", rule.id, "urgency"),
                "make it a routine_review rule, or raise its urgency",
            )
        if pathway is not None and pathway.urgency is not rule.urgency:
            yield Problem(
                "rule-pathway-urgency",
                f"rule {rule.id!r} has urgency {rule.urgency.value} but its pathway "
                f"{pathway.id!r} has {pathway.urgency.value}",
                field_location(index, "rules", rule.id, "pathway"),
                "send the rule to a pathway of the same urgency",
            )
    meta = index.meta
    expected = (
        (meta.policy.self_care_pathway, Urgency.SELF_CARE, "self_care_pathway"),
        (meta.policy.unresolved_pathway, meta.policy.unresolved_red_flag_urgency, "unresolved_pathway"),
    )
    for pathway_id, urgency, key in expected:
        pathway = index.pathways.get(pathway_id)
        if pathway is not None and pathway.urgency is not urgency:
            yield Problem(
                "policy-pathway-urgency",
                f"policy {key} {pathway_id!r} has urgency {pathway.urgency.value}, expected {urgency.value}",
                index.where("guideline", meta.id),
                "point the policy at a pathway of the matching urgency",
            )


def _advice_construction_problems(index: GuidelineIndex) -> Iterator[Problem]:
    withheld_kinds = set(index.meta.policy.red_flags_withhold)
    for rule in index.guideline.rules:
        for i, allowed in enumerate(rule.allows_advice):
            item = index.advice.get(allowed.advice)
            if item is None:
                continue
            where = field_location(index, "rules", rule.id, "allows_advice", i, "advice")
            if rule.kind is not RuleKind.RED_FLAG or item.kind not in withheld_kinds:
                why = "it is not a red flag" if rule.kind is not RuleKind.RED_FLAG else f"{item.kind.value} advice"
                yield Problem(
                    "allows-advice-no-effect",
                    f"rule {rule.id!r} allows advice {item.id!r}, which it would not withhold anyway ({why})",
                    where,
                    "remove the entry: allows_advice only lets through an item a red flag withholds by kind",
                )
            if item.id in rule.contraindicates:
                yield Problem(
                    "allows-advice-contraindicated",
                    f"rule {rule.id!r} both allows and contraindicates advice {item.id!r}",
                    where,
                    "decide: keep it in contraindicates or in allows_advice, not both",
                )
    safety_nets = {a.id for a in index.guideline.advice if a.kind is AdviceKind.SAFETY_NET}
    for pathway in index.guideline.pathways:
        if pathway.urgency <= Urgency.ROUTINE and not safety_nets & set(pathway.advice):
            yield Problem(
                "pathway-without-safety-net",
                f"{pathway.urgency.value} pathway {pathway.id!r} lists no safety-net advice: a patient sent home "
                "or to a doctor in days or weeks is not told when to get help sooner",
                index.where("pathways", pathway.id),
                "list a `kind: safety_net` advice item in the pathway's advice",
            )


def _scenario_loc(item: LoadedScenario, keys: tuple[str | int, ...]) -> Location:
    line, col = item.doc.locate(keys)
    return Location(str(item.path), line, col)


def _scenario_lints(index: GuidelineIndex, path: str | Path) -> tuple[list[Problem], list[Problem]]:
    from .errors import ProblemsError
    from .policy import canonical_presentation, derived_states, withheld_advice
    from .rules import evaluate_rules
    from .scenarios import full_facts, load_scenarios

    try:
        loaded = load_scenarios(path, index)
    except ProblemsError as exc:
        return [Problem.from_error(e) for e in exc.problems], []
    problems: list[Problem] = []
    notes: list[Problem] = []
    for item in loaded:
        s = item.scenario

        for use in item.deprecated:
            section = use.where[0]
            what = "finding" if section in ("presentation", "reveal_on_ask") else "id"
            alias = next((a for a in index.guideline.aliases if a.id == use.old), None)
            since = f" since protocol {alias.deprecated_in}" if alias is not None else ""
            notes.append(
                Problem(
                    "deprecated-id",
                    f"scenario {s.id!r} uses deprecated {what} {use.old!r}{since}; read as {', '.join(use.new)}",
                    _scenario_loc(item, use.where),
                    f"replace it with {', '.join(use.new)} (see guideline/aliases.yaml)",
                    subject=use.old,
                )
            )
        stated = dict(s.presentation.findings)
        for key, value in s.reveal_on_ask.items():
            if isinstance(value, FindingState) and key != "pregnant":
                stated.setdefault(key, value)
        for target, (state, der) in derived_states(index, s.presentation).items():
            if target == "pregnant":
                given = s.presentation.pregnant
                reveal = s.reveal_on_ask.get("pregnant")
                if given is FindingState.UNKNOWN and isinstance(reveal, FindingState):
                    given = reveal
                keys: tuple[str | int, ...] = ("presentation", "pregnant")
            else:
                given = stated.get(target, FindingState.UNKNOWN)
                keys = (
                    ("presentation", "findings", target)
                    if target in s.presentation.findings
                    else ("reveal_on_ask", target)
                )
            if given is FindingState.UNKNOWN or given is state or DELIBERATE_CONTRADICTION in s.tags:
                continue
            value = getattr(s.presentation, der.from_.value)
            shown = getattr(value, "value", value)
            problems.append(
                Problem(
                    "scenario-contradicts-fields",
                    f"scenario {s.id!r} has {target} {given.value}, but its {der.from_.value} ({shown}) "
                    f"settles it as {state.value} (derivation {der.id})",
                    _scenario_loc(item, keys),
                    f"make {target} {state.value} or leave it out; the structured field counts",
                )
            )
        facts = canonical_presentation(index, full_facts(s))
        outcomes = evaluate_rules(index.guideline.rules, facts)
        withheld = withheld_advice(index, facts, outcomes)
        allowed_by = {
            a.advice: (o.rule.id, a.reason) for o in outcomes if o.truth is Truth.TRUE for a in o.rule.allows_advice
        }
        for i, adv in enumerate(s.expect.advice_forbidden):
            if adv in allowed_by and adv not in withheld:
                rule_id, reason = allowed_by[adv]
                problems.append(
                    Problem(
                        "scenario-forbids-allowed-advice",
                        f"scenario {s.id!r} forbids advice {adv!r}, which rule {rule_id!r} explicitly allows "
                        f"on its facts ({reason})",
                        _scenario_loc(item, ("expect", "advice_forbidden", i)),
                        "if the advice is harmful here, take it out of the rule's allows_advice; otherwise "
                        "drop it from advice_forbidden",
                    )
                )
    return problems, notes


# --- satisfiability -----------------------------------------------------------------------


def co_satisfiable(*exprs: Expr) -> Presentation | None:
    """A presentation on which every expression is true, or ``None`` if there is none.

    The presentation fixes only what the simplest witness needs (see
    :func:`calfspec._internal.expressions.satisfiable_together`) and leaves the rest unknown.
    """
    return satisfiable_together(*exprs)


def _contradictions(index: GuidelineIndex) -> Iterator[Problem]:
    rules = index.guideline.rules
    for giver in rules:
        pathway = index.pathways.get(giver.pathway)
        if pathway is None or not pathway.advice:
            continue
        given = set(pathway.advice)
        for forbidder in rules:
            clash = [a for a in forbidder.contraindicates if a in given]
            if not clash:
                continue
            witness = co_satisfiable(giver.when, forbidder.when)
            if witness is None:
                continue
            if forbidder.id == giver.id:
                message = (
                    f"rule {giver.id!r} contraindicates advice {', '.join(clash)} "
                    f"that its own pathway {pathway.id!r} gives"
                )
            else:
                message = (
                    f"rules {giver.id!r} and {forbidder.id!r} can hold together "
                    f"(e.g. {witness_facts(witness)}), but {forbidder.id!r} contraindicates advice "
                    f"{', '.join(clash)} that {giver.id!r}'s pathway {pathway.id!r} gives"
                )
            yield Problem(
                "contradictory-rules",
                message,
                field_location(index, "rules", forbidder.id, "contraindicates"),
                f"drop the advice from pathway {pathway.id!r}, or make the rules exclusive",
            )


def _advice_never_given(index: GuidelineIndex) -> Iterator[Problem]:
    for advice in index.guideline.advice:
        if advice.indicated_when is None or advice.contraindicated_when is None:
            continue
        if co_satisfiable(advice.indicated_when, NotOf(not_=advice.contraindicated_when)) is None:
            yield Problem(
                "advice-never-given",
                f"advice {advice.id!r} can never be given: whenever it is indicated it is contraindicated",
                field_location(index, "advice", advice.id, "contraindicated_when"),
                "narrow contraindicated_when or widen indicated_when",
            )


def _used_findings(index: GuidelineIndex) -> set[str]:
    used = {f for e in all_exprs(index) for f in expr_findings(e)}
    for cond in index.guideline.conditions:
        used.update(cond.features)
        used.update(cond.risk_factors)
    return used


def _unused_findings(index: GuidelineIndex) -> Iterator[Problem]:
    used = _used_findings(index)
    for finding in index.guideline.findings:
        if finding.id not in used:
            yield Problem(
                "unused-finding",
                f"finding {finding.id!r} is not used by any rule, condition or advice",
                index.where("findings", finding.id),
                "use it (a condition's features or risk factors, or an expression) or remove it",
            )


def _incomplete_conditions(index: GuidelineIndex) -> Iterator[Problem]:
    for cond in index.guideline.conditions:
        missing = [name for name in ("features", "risk_factors") if not getattr(cond, name)]
        if missing:
            yield Problem(
                "condition-incomplete",
                f"condition {cond.id!r} has no {' and no '.join(m.replace('_', ' ') for m in missing)}",
                index.where("conditions", cond.id),
                "list them from the sources; where no source names them, record a gap in conflicts.yaml",
            )


def _interpretation_problems(index: GuidelineIndex) -> Iterator[Problem]:
    g = index.guideline
    cited: set[str] = set(g.meta.policy.claims)
    cited.update(c for tier in g.meta.policy.open_red_flag_tiers for c in tier.claims)
    cited.update(c for der in g.derivations for c in der.claims)
    cited.update(c for rule in g.rules for allowed in rule.allows_advice for c in allowed.claims)
    cited.update(c for hazard in g.hazards for control in hazard.controls for c in control.claims)
    for conflict in g.conflicts:
        cited.update(conflict.resolution_claims)
        for pos in conflict.positions:
            cited.update(pos.claims)
    for rule in g.rules:
        cited.update(rule.claims)
    for pathway in g.pathways:
        cited.update(pathway.claims)
    for adv in g.advice:
        cited.update(adv.claims)
    for claim in g.claims:
        if claim.basis is Basis.INTERPRETATION and claim.id not in cited:
            yield Problem(
                "orphan-interpretation",
                f"interpretation {claim.id!r} is not cited by any conflict record, rule, pathway, advice, "
                "derivation, hazard or the policy",
                index.where("claims", claim.id),
                "cite it where it is used (usually as a conflict's resolution_claims), or remove it",
            )
    for conflict in g.conflicts:
        for i, ref in enumerate(conflict.resolution_claims):
            resolution = index.claims.get(ref)
            if resolution is not None and resolution.basis is not Basis.INTERPRETATION:
                yield Problem(
                    "resolution-not-interpretation",
                    f"conflict {conflict.id!r} is resolved by claim {ref!r}, which is not an interpretation",
                    field_location(index, "conflicts", conflict.id, "resolution_claims", i),
                    "a resolution is our reading and needs sign-off: mark it basis: interpretation",
                )
