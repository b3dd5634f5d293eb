"""The guideline's combination policy, in one place: what every part of calfspec must agree on.

The reference triage, ``calfspec check``, the fuzz invariants and the judge all call
these functions, so they cannot drift apart:

* :func:`canonical_presentation` reads deprecated ids as their replacements
  (``aliases``) and fills in the findings the structured fields settle
  (``derivations``: older age from ``age``, a man is not pregnant);
* :func:`urgency_floor` is the least urgency a decision may give: the rules that
  hold, and for red flags that are still open, the policy's tiers (an open
  emergency-level flag, or an open flag with one of its own findings or a listed
  risk factor present, is same-day care while its questions are asked);
* :func:`rule_contraindications` and :func:`withheld_advice` are the advice a red
  flag that holds, or might hold, withholds: what it lists, plus every item of a
  kind the policy's ``red_flags_withhold`` names, minus what it explicitly allows.

There is no clinical content here: every threshold, tier and kind is data in
``guideline/`` with its claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from .expressions import defining_atoms
from .guideline import GuidelineIndex
from .models.guideline import (
    Advice,
    AliasSection,
    Derivation,
    DerivedField,
    FindingKind,
    OpenFlagEvidence,
    OpenFlagTier,
    PregnantIs,
    Rule,
    RuleKind,
)
from .models.scenario import Scenario
from .models.triage import FindingState, Presentation, TriageDecision
from .models.urgency import Urgency
from .rules import RuleOutcome, Truth, TruthTable, evaluate_rules, truth_table

__all__ = [
    "DeprecatedUse",
    "Floor",
    "GuidelinePlan",
    "canonical_decision",
    "canonical_findings",
    "canonical_presentation",
    "canonical_scenario",
    "derivation_applies",
    "derived_states",
    "guideline_plan",
    "rule_contraindications",
    "urgency_floor",
    "withheld_advice",
]


_P = TypeVar("_P", bound=Presentation)


@dataclass(frozen=True)
class GuidelinePlan:
    """What the policy derives from a guideline alone, computed once per loaded guideline.

    Every request is evaluated against the same guideline, so the advice each rule
    withholds, each rule's positive tests and the compiled conditions are worked out
    on first use and kept here rather than recomputed per request.
    """

    index: GuidelineIndex
    alias_ids: dict[str, frozenset[str]]
    """The deprecated ids of each section (``findings``, ``advice``, ...)."""
    guarded_advice: tuple[str, ...]
    """The advice items that have a ``contraindicated_when``, in file order."""
    contraindicated_when: TruthTable
    """Their ``contraindicated_when``, compiled together (one truth per item of ``guarded_advice``)."""
    indicated: tuple[tuple[Advice, int | None], ...]
    """Every advice item, in file order, with the place of its ``indicated_when`` in ``indicated_when``."""
    indicated_when: TruthTable
    """The ``indicated_when`` conditions, compiled together."""
    suggested: tuple[str, ...]
    """The conditions that have a ``suggested_by``, in file order."""
    suggested_by: TruthTable
    """Their ``suggested_by``, compiled together (one truth per id of ``suggested``)."""
    withholds: dict[int, tuple[Rule, tuple[str, ...]]] = field(default_factory=dict)
    withheld: dict[tuple[int, ...], dict[str, tuple[str, ...]]] = field(default_factory=dict)
    """:func:`withheld_advice` by the rules that are not false and the guarded items that are not."""
    open_flags: dict[int, _OpenFlagPlan] = field(default_factory=dict)
    """:func:`urgency_floor`'s view of each rule (by identity), made on first use."""

    def contraindications(self, rule: Rule) -> tuple[str, ...]:
        hit = self.withholds.get(id(rule))
        if hit is not None and hit[0] is rule:
            return hit[1]
        ids = _rule_contraindications(self.index, rule)
        self.withholds[id(rule)] = (rule, ids)
        return ids

    def open_flag(self, rule: Rule) -> _OpenFlagPlan:
        """What :func:`urgency_floor` needs of ``rule``, worked out once: its rank, reasons and tiers."""
        hit = self.open_flags.get(id(rule))
        if hit is not None and hit.rule is rule:
            return hit
        made = _open_flag_plan(self.index, rule)
        self.open_flags[id(rule)] = made
        return made


@dataclass(frozen=True, slots=True)
class _TierPlan:
    """One ``open_red_flag_tiers`` entry as it applies to one red flag (its ``flag_urgency`` already met)."""

    tier: OpenFlagTier
    level: Urgency
    """``min(tier.urgency, rule.urgency)``: a tier never raises the floor above the flag's own urgency."""
    level_rank: int
    reasons: tuple[str, ...] | None
    """The reasons when the tier asks for no evidence (being open is enough)."""
    evidence: tuple[tuple[OpenFlagEvidence, str], ...]
    """Each evidence kind the tier asks for, with the start of its reason."""


@dataclass(frozen=True, slots=True)
class _OpenFlagPlan:
    """A rule as :func:`urgency_floor` uses it, with every piece that depends on the rule alone."""

    rule: Rule
    rank: int
    red_flag: bool
    fired_reason: str
    atoms: tuple[tuple[str, bool, OpenFlagEvidence], ...]
    """The rule's positive tests: ``(name, is the pregnant test, kind of evidence)``, in the order written."""
    tiers: tuple[_TierPlan, ...]


def _open_flag_plan(index: GuidelineIndex, rule: Rule) -> _OpenFlagPlan:
    atoms: list[tuple[str, bool, OpenFlagEvidence]] = []
    for atom in defining_atoms(rule.when):
        if isinstance(atom, PregnantIs):
            atoms.append(("pregnant", True, OpenFlagEvidence.RISK_FACTOR))
            continue
        finding = index.findings.get(atom.finding)
        kind = (
            OpenFlagEvidence.RISK_FACTOR
            if finding is not None and finding.kind is FindingKind.RISK_FACTOR
            else OpenFlagEvidence.DEFINING_FINDING
        )
        atoms.append((atom.finding, False, kind))
    tiers: list[_TierPlan] = []
    for tier in index.meta.policy.open_red_flag_tiers:
        if tier.flag_urgency is not None and rule.urgency < tier.flag_urgency:
            continue
        level = min(tier.urgency, rule.urgency)
        reasons = None if tier.evidence else (f"{rule.id} is open and is an {rule.urgency.value}-level red flag",)
        evidence = tuple((kind, f"{rule.id} is open with {kind.value.replace('_', ' ')} ") for kind in tier.evidence)
        tiers.append(_TierPlan(tier, level, level.rank, reasons, evidence))
    return _OpenFlagPlan(
        rule=rule,
        rank=rule.urgency.rank,
        red_flag=rule.kind is RuleKind.RED_FLAG,
        fired_reason=f"{rule.id} ({rule.urgency.value})",
        atoms=tuple(atoms),
        tiers=tuple(tiers),
    )


def _minus_rank(made: _OpenFlagPlan) -> int:
    return -made.rank


_RANKS = {u: u.rank for u in Urgency}
_TRUE, _UNKNOWN = Truth.TRUE, Truth.UNKNOWN
_PRESENT = FindingState.PRESENT

_PLANS: dict[int, GuidelinePlan] = {}
_MAX_PLANS = 16
_MAX_WITHHELD = 4096
"""Distinct patterns of rules kept by :func:`withheld_advice`; a run meets a few dozen."""


def guideline_plan(index: GuidelineIndex) -> GuidelinePlan:
    """What the policy derives from ``index`` alone, made on first use (an index is frozen: it never goes stale)."""
    plan = _PLANS.get(id(index))
    if plan is not None and plan.index is index:
        return plan
    advice = index.guideline.advice
    guarded = [(item.id, when) for item in advice if (when := item.contraindicated_when) is not None]
    indicating = [when for item in advice if (when := item.indicated_when) is not None]
    places: list[int | None] = []  # each item's place in `indicating`
    for item in advice:
        places.append(None if item.indicated_when is None else len(places) - places.count(None))
    suggesting = [(cond.id, when) for cond in index.guideline.conditions if (when := cond.suggested_by) is not None]
    plan = GuidelinePlan(
        index=index,
        alias_ids={
            section.value: frozenset(a.id for a in index.guideline.aliases if a.section is section)
            for section in AliasSection
        },
        guarded_advice=tuple(item_id for item_id, _ in guarded),
        contraindicated_when=truth_table([when for _, when in guarded]),
        indicated=tuple(zip(advice, places, strict=True)),
        indicated_when=truth_table(indicating),
        suggested=tuple(cond_id for cond_id, _ in suggesting),
        suggested_by=truth_table([when for _, when in suggesting]),
    )
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    _PLANS[id(index)] = plan
    return plan


# --- aliases and derivations -------------------------------------------------------------


def canonical_findings(index: GuidelineIndex, findings: dict[str, FindingState]) -> dict[str, FindingState]:
    """Findings with deprecated ids read as all their replacements (same state).

    A replacement stated explicitly wins over the state the alias maps to it.
    """
    if guideline_plan(index).alias_ids["findings"].isdisjoint(findings):
        return dict(findings)
    out: dict[str, FindingState] = {}
    for key, state in findings.items():
        if ("findings", key) not in index.aliases:
            out[key] = state
    for key, state in findings.items():
        for new in index.aliases.get(("findings", key), ()):
            out.setdefault(new, state)
    return out


_FIELD_NAMES = {field: field.value for field in DerivedField}


def derivation_applies(derivation: Derivation, presentation: Presentation) -> bool:
    """Whether the derivation's test holds on the presentation's structured field (unknown fields never do)."""
    value = getattr(presentation, _FIELD_NAMES[derivation.from_])
    if value is None:
        return False
    if derivation.equals is not None:
        # The tested fields (sex, onset) are string enums: a member equals its value.
        return bool(value == derivation.equals)
    assert isinstance(value, int | float)
    if derivation.at_least is not None:
        return value >= derivation.at_least
    assert derivation.below is not None
    return value < derivation.below


def derived_states(index: GuidelineIndex, presentation: Presentation) -> dict[str, tuple[FindingState, Derivation]]:
    """Target (finding id or ``pregnant``) -> the state its structured field settles, and the derivation.

    When two derivations disagree on one target, ``present`` wins (conservative).
    """
    out: dict[str, tuple[FindingState, Derivation]] = {}
    for der in index.guideline.derivations:
        if not derivation_applies(der, presentation):
            continue
        prev = out.get(der.target)
        if prev is None or (prev[0] is FindingState.ABSENT and der.state is FindingState.PRESENT):
            out[der.target] = (der.state, der)
    return out


def _settle(stated: FindingState, derived: FindingState) -> FindingState:
    # A derived `present` overrides a stated absent; a derived `absent` only fills an unknown.
    if derived is FindingState.PRESENT:
        return FindingState.PRESENT
    return derived if stated is FindingState.UNKNOWN else stated


def canonical_presentation(index: GuidelineIndex, presentation: _P) -> _P:
    """The presentation every rule is evaluated on: aliases mapped, derivations applied.

    The same model type comes back (a :class:`~calfspec._internal.models.triage.TriageRequest`
    stays one), so callers can use it in place of what they received.
    """
    stated = presentation.findings
    # Copied only once something changes: most presentations use no deprecated id, and
    # their structured fields settle nothing they do not already state.
    aliased = not guideline_plan(index).alias_ids["findings"].isdisjoint(stated)
    findings = canonical_findings(index, stated) if aliased else stated
    pregnant = presentation.pregnant
    for target, (state, _) in derived_states(index, presentation).items():
        if target == "pregnant":
            pregnant = _settle(pregnant, state)
            continue
        settled = _settle(findings.get(target, FindingState.UNKNOWN), state)
        if findings.get(target) is not settled:
            if findings is stated:
                findings = dict(stated)
            findings[target] = settled
    if findings == stated and pregnant is presentation.pregnant:
        return presentation
    return presentation.model_copy(update={"findings": dict(findings), "pregnant": pregnant})


def canonical_decision(index: GuidelineIndex, decision: TriageDecision) -> TriageDecision:
    """A decision with deprecated advice, pathway, condition and question ids read as their replacements."""

    def mapped(section: str, ids: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        for ref in ids:
            for new in index.aliases.get((section, ref), (ref,)):
                if new not in out:
                    out.append(new)
        return tuple(out)

    deprecated = guideline_plan(index).alias_ids
    if (
        deprecated["pathways"].isdisjoint(decision.pathways)
        and deprecated["advice"].isdisjoint(decision.advice)
        and deprecated["conditions"].isdisjoint(decision.conditions)
        and deprecated["findings"].isdisjoint(decision.questions)
        and len(set(decision.pathways)) == len(decision.pathways)
        and len(set(decision.advice)) == len(decision.advice)
        and len(set(decision.conditions)) == len(decision.conditions)
        and len(set(decision.questions)) == len(decision.questions)
    ):
        # Nothing deprecated and nothing repeated: the decision already reads in current ids.
        return decision
    update = {
        "pathways": mapped("pathways", decision.pathways),
        "advice": mapped("advice", decision.advice),
        "conditions": mapped("conditions", decision.conditions),
        "questions": mapped("findings", decision.questions),
    }
    if all(update[k] == getattr(decision, k) for k in update):
        return decision
    return decision.model_copy(update=update)


@dataclass(frozen=True)
class DeprecatedUse:
    """A deprecated id a scenario file uses: where (a YAML key path), which id, and what it reads as."""

    where: tuple[str | int, ...]
    old: str
    new: tuple[str, ...]


def canonical_scenario(index: GuidelineIndex, scenario: Scenario) -> tuple[Scenario, list[DeprecatedUse]]:
    """A scenario with deprecated ids read as their replacements, and each deprecated id it used.

    Findings in ``presentation`` and ``reveal_on_ask`` map to all their parts with the same
    state; advice and pathway ids in ``expect`` map to their replacements.
    """
    uses: list[DeprecatedUse] = []
    for key in scenario.presentation.findings:
        new = index.aliases.get(("findings", key))
        if new:
            uses.append(DeprecatedUse(("presentation", "findings", key), key, new))
    reveal: dict[str, object] = {}
    for key, value in scenario.reveal_on_ask.items():
        new = index.aliases.get(("findings", key))
        if not new:
            reveal[key] = value
            continue
        uses.append(DeprecatedUse(("reveal_on_ask", key), key, new))
    for key, value in scenario.reveal_on_ask.items():
        for part in index.aliases.get(("findings", key), ()):
            if part not in scenario.presentation.findings:
                reveal.setdefault(part, value)
    expect_update: dict[str, tuple[str, ...]] = {}
    for fld, section in (
        ("pathways_required", "pathways"),
        ("pathways_forbidden", "pathways"),
        ("advice_forbidden", "advice"),
    ):
        ids: tuple[str, ...] = getattr(scenario.expect, fld)
        mapped: list[str] = []
        for i, ref in enumerate(ids):
            new = index.aliases.get((section, ref))
            if new:
                uses.append(DeprecatedUse(("expect", fld, i), ref, new))
            mapped.extend(x for x in (new or (ref,)) if x not in mapped)
        if tuple(mapped) != ids:
            expect_update[fld] = tuple(mapped)
    if not uses:
        return scenario, []
    presentation = scenario.presentation.model_copy(
        update={"findings": canonical_findings(index, scenario.presentation.findings)}
    )
    update: dict[str, object] = {"presentation": presentation, "reveal_on_ask": reveal}
    if expect_update:
        update["expect"] = scenario.expect.model_copy(update=expect_update)
    return scenario.model_copy(update=update), uses


# --- urgency floor -----------------------------------------------------------------------


def _tier_reasons(tier: _TierPlan, evidence: dict[OpenFlagEvidence, list[str]] | None) -> Sequence[str] | None:
    """The reasons ``tier`` applies to its open flag, or ``None`` when it does not."""
    if tier.reasons is not None:
        return tier.reasons
    if evidence is None:
        return None
    reasons = [
        f"{start}{', '.join(dict.fromkeys(evidence[kind]))} present"
        for kind, start in tier.evidence
        if evidence.get(kind)
    ]
    return reasons or None


@dataclass(frozen=True)
class Floor:
    """The least a decision on a presentation may give, and why."""

    urgency: Urgency
    pathways: tuple[str, ...]
    """Pathways the floor itself sends to (the fired rules' pathways, then the policy's)."""
    claims: tuple[str, ...]
    reasons: tuple[str, ...]
    fired: tuple[Rule, ...]
    open_flags: tuple[Rule, ...]
    """Red flags neither true nor false that could still raise the urgency."""
    tiers: tuple[str, ...]
    """Ids of the policy tiers that set the floor (``unresolved`` for the baseline)."""


def urgency_floor(
    index: GuidelineIndex, presentation: Presentation, outcomes: list[RuleOutcome] | None = None
) -> Floor:
    """The required floor for a presentation (already canonical: see :func:`canonical_presentation`).

    * every rule that holds: at least its urgency, its pathway;
    * an open red flag that could still raise the urgency: at least the policy's
      ``unresolved_red_flag_urgency`` ("nothing so far points to a red flag"), raised
      by each ``open_red_flag_tiers`` entry that applies, never above the flag's own urgency.
    """
    outcomes = outcomes if outcomes is not None else evaluate_rules(index.guideline.rules, presentation)
    policy = index.meta.policy
    plan = guideline_plan(index)
    fired = [o.rule for o in outcomes if o.truth is _TRUE]
    urgency = Urgency.SELF_CARE
    pathways: list[str] = []
    claims: list[str] = []
    reasons: list[str] = []
    if fired:
        # Most urgent first (a stable sort: file order within one urgency).
        ranked = sorted((plan.open_flag(rule) for rule in fired), key=_minus_rank)
        urgency = ranked[0].rule.urgency
        for made in ranked:
            rule = made.rule
            if rule.pathway not in pathways:
                pathways.append(rule.pathway)
            claims.extend(rule.claims)
            reasons.append(made.fired_reason)
    base_rank = _RANKS[urgency]
    open_flags: list[_OpenFlagPlan] = []
    known = plan.open_flags
    for o in outcomes:
        if o.truth is _UNKNOWN:
            rule = o.rule
            hit = known.get(id(rule))  # GuidelinePlan.open_flag, inlined: most rules are open on most requests
            flag = hit if hit is not None and hit.rule is rule else plan.open_flag(rule)
            if flag.red_flag and flag.rank > base_rank:
                open_flags.append(flag)
    tiers: list[str] = []
    if open_flags:
        floor, pathway, why = policy.unresolved_red_flag_urgency, policy.unresolved_pathway, "unresolved"
        floor_rank = _RANKS[floor]
        tier_claims: list[str] = list(policy.claims)
        tier_reasons: list[str] = []
        findings, pregnant = presentation.findings, presentation.pregnant
        for made in open_flags:
            evidence: dict[OpenFlagEvidence, list[str]] | None = None  # none present, the most common case
            for name, is_pregnant, kind in made.atoms:
                if (pregnant if is_pregnant else findings.get(name)) == _PRESENT:
                    if evidence is None:
                        evidence = {}
                    evidence.setdefault(kind, []).append(name)
            for tier in made.tiers:
                applies = _tier_reasons(tier, evidence)
                if applies is None:
                    continue
                tier_reasons.extend(applies)
                tier_claims.extend(tier.tier.claims)
                if tier.level_rank > floor_rank:
                    floor, floor_rank, pathway, why = tier.level, tier.level_rank, tier.tier.pathway, tier.tier.id
        if floor_rank > base_rank:
            urgency = floor
            tiers.append(why)
            if pathway not in pathways:
                pathways.append(pathway)
            claims.extend(tier_claims)
            reasons.extend(tier_reasons)
        elif not any(r.kind is RuleKind.RED_FLAG for r in fired):
            tiers.append(why)
            if pathway not in pathways:
                pathways.append(pathway)
            claims.extend(tier_claims)
        reasons.append("red flags not excluded: " + ", ".join(made.rule.id for made in open_flags))
    return Floor(
        urgency=urgency,
        pathways=tuple(pathways),
        claims=tuple(dict.fromkeys(claims)),
        reasons=tuple(reasons),
        fired=tuple(fired),
        open_flags=tuple(made.rule for made in open_flags),
        tiers=tuple(tiers),
    )


# --- advice ----------------------------------------------------------------------------


def rule_contraindications(index: GuidelineIndex, rule: Rule) -> tuple[str, ...]:
    """The advice ids a rule withholds while it holds or might hold.

    What it lists in ``contraindicates``; for a red flag, also every item of a kind in the
    policy's ``red_flags_withhold``, except the items it lists in ``allows_advice``.
    """
    return guideline_plan(index).contraindications(rule)


def _rule_contraindications(index: GuidelineIndex, rule: Rule) -> tuple[str, ...]:
    out = list(dict.fromkeys(rule.contraindicates))
    if rule.kind is RuleKind.RED_FLAG:
        kinds = set(index.meta.policy.red_flags_withhold)
        allowed = {a.advice for a in rule.allows_advice}
        out.extend(a.id for a in index.guideline.advice if a.kind in kinds and a.id not in allowed and a.id not in out)
    return tuple(out)


def withheld_advice(
    index: GuidelineIndex, presentation: Presentation, outcomes: list[RuleOutcome] | None = None
) -> dict[str, tuple[str, ...]]:
    """Advice id -> why it must not be given on the presentation (already canonical).

    A reason is a rule id (the rule holds or is undetermined) or ``contraindicated_when``
    (the item's own condition holds or is undetermined): unknown is never absent.
    """
    outcomes = outcomes if outcomes is not None else evaluate_rules(index.guideline.rules, presentation)
    plan = guideline_plan(index)
    findings, side, pregnant = presentation.findings, presentation.side, presentation.pregnant
    # The answer depends only on which rules and guarded items are not false: one bit pattern
    # stands for every presentation that shares it.
    guarded = tuple(
        i for i, truth in enumerate(plan.contraindicated_when(findings, side, pregnant)) if truth is not Truth.FALSE
    )
    rules = index.guideline.rules
    key: tuple[int, ...] | None = None
    if len(outcomes) == len(rules):
        bits = [i for i, o in enumerate(outcomes) if o.truth is not Truth.FALSE]
        # only the guideline's own rules share an answer (a caller may pass others)
        if all(outcomes[i].rule is rules[i] for i in bits):
            key = (*bits, -1, *guarded)
            known = plan.withheld.get(key)
            if known is not None:
                return dict(known)
    out: dict[str, list[str]] = {}
    for o in outcomes:
        if o.truth is Truth.FALSE:
            continue
        for adv in plan.contraindications(o.rule):
            out.setdefault(adv, []).append(o.rule.id)
    for i in guarded:
        out.setdefault(plan.guarded_advice[i], []).append("contraindicated_when")
    result = {k: tuple(v) for k, v in out.items()}
    if key is not None:
        if len(plan.withheld) >= _MAX_WITHHELD:
            plan.withheld.clear()
        plan.withheld[key] = dict(result)
    return result
