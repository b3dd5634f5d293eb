"""Load golden scenarios, check them against the guideline, and select which to run.

A scenario file holds one :class:`~calfspec._internal.models.scenario.Scenario`. Loading
is all-or-nothing: any malformed file, unknown id, duplicate scenario id or
impossible expectation raises :class:`ScenarioInvalid` listing every problem
with ``path:line:col`` before a single case is sent to an implementation.
"""

from __future__ import annotations

import gc
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from ._suggest import suggest
from ._yaml import YamlDoc, model_from_doc
from ._yaml_pool import read_docs
from .errors import CalfspecError, InputError, ProblemsError, UnknownIdError, YamlError
from .guideline import GuidelineIndex, data_dir
from .models.scenario import Scenario
from .models.triage import FindingState, Presentation, Side
from .policy import DeprecatedUse, canonical_presentation, canonical_scenario
from .rules import Truth, evaluate

__all__ = [
    "REVEALABLE_FIELDS",
    "LoadedScenario",
    "ScenarioInvalid",
    "full_facts",
    "load_scenarios",
    "parse_shard",
    "scenario_files",
    "select_scenarios",
    "with_answers",
]

_NOT_SCENARIOS = {"reviewers.yaml", "reviewers.yml"}
_NOT_SCENARIO_DIRS = {"signoffs"}

_LISTED = ("finding", "pathway", "advice", "condition", "rule")
"""The kinds of id `calfspec ids --kind` lists."""


class ScenarioInvalid(ProblemsError):
    """One or more scenario files are invalid; ``problems`` lists them all.

    Likely causes: a finding id not in guideline/vocabulary.yaml, a misspelled
    pathway, advice or claim id, an urgency range with min above max, or two
    files with the same scenario id. The run stops before any case is sent.
    """

    default_code = "scenario-invalid"


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario and the file it came from."""

    scenario: Scenario
    path: Path
    doc: YamlDoc
    deprecated: tuple[DeprecatedUse, ...] = ()
    """Deprecated ids the file uses (already read as their replacements in ``scenario``)."""
    perturbation: str | None = None
    """The narrative perturbation family this is a variant for (``--perturb``); None for the scenario as written."""

    @property
    def id(self) -> str:
        """The scenario id."""
        return self.scenario.id


def scenario_files(path: str | Path | None = None) -> list[Path]:
    """The scenario files under ``path`` (default: the bundled suite), sorted.

    A directory with a ``cases/`` folder means that folder; otherwise every
    ``*.yaml`` below it except the reviewers registry and sign-off records.
    """
    base = Path(path) if path is not None else data_dir("scenarios")
    if base.is_file():
        return [base]
    if not base.is_dir():
        raise InputError(
            "scenario path not found",
            code="file-not-found",
            path=str(base),
            hint="pass --scenarios with a scenario file or a folder of them",
        )
    if (base / "cases").is_dir():
        base = base / "cases"
    broken = []
    for link in base.rglob("*"):
        if link.is_symlink():
            try:
                link.resolve(strict=True)
            except (OSError, RuntimeError) as exc:  # dangling (FileNotFoundError) or a loop
                broken.append(f"{link} ({'a symlink loop' if 'loop' in str(exc).lower() else 'points nowhere'})")
    if broken:
        # A scenario that silently vanished from the gate would let a run go green without it.
        raise InputError(
            "broken symlink(s) in the scenario folder: " + "; ".join(sorted(broken)),
            code="scenario-broken-symlink",
            path=str(base),
            hint="remove the link or point it at a scenario file",
        )
    return sorted(
        p
        for p in base.rglob("*")
        if p.suffix in (".yaml", ".yml")
        and p.is_file()
        and p.name not in _NOT_SCENARIOS
        and not _NOT_SCENARIO_DIRS.intersection(p.relative_to(base).parts[:-1])
    )


_P = TypeVar("_P", bound=Presentation)

REVEALABLE_FIELDS = ("side", "pregnant")
"""Presentation fields (besides findings) a scenario may reveal when asked."""


def with_answers(presentation: _P, answers: Mapping[str, FindingState | Side]) -> _P:
    """``presentation`` with answered facts filled in (findings, ``side``, ``pregnant``)."""
    update: dict[str, object] = {}
    findings = dict(presentation.findings)
    for key, value in answers.items():
        if key == "side":
            update["side"] = value
        elif key == "pregnant":
            update["pregnant"] = value
        elif isinstance(value, FindingState):
            findings[key] = value
    update["findings"] = findings
    return presentation.model_copy(update=update)


def full_facts(scenario: Scenario) -> Presentation:
    """The presentation with every ``reveal_on_ask`` fact filled in: the case's whole truth."""
    return with_answers(scenario.presentation, scenario.reveal_on_ask)


_REVEALABLE: dict[int, tuple[GuidelineIndex, frozenset[str]]] = {}


def _revealable(guideline: GuidelineIndex) -> frozenset[str]:
    """What ``reveal_on_ask`` may name: the guideline's findings and :data:`REVEALABLE_FIELDS` (once per guideline)."""
    hit = _REVEALABLE.get(id(guideline))
    if hit is None or hit[0] is not guideline:
        if len(_REVEALABLE) >= 16:
            _REVEALABLE.clear()
        hit = _REVEALABLE[id(guideline)] = (guideline, frozenset([*guideline.findings, *REVEALABLE_FIELDS]))
    return hit[1]


def _id_problems(loaded: LoadedScenario, guideline: GuidelineIndex) -> list[CalfspecError]:
    s = loaded.scenario
    doc = loaded.doc
    problems: list[CalfspecError] = []

    def check(ids: Iterable[str], known: Collection[str], what: str, loc: tuple[str | int, ...], by_key: bool) -> None:
        for i, ref in enumerate(ids):
            if ref in known:
                continue
            known_set = set(known)
            line, col = doc.locate((*loc, ref) if by_key else (*loc, i))
            problems.append(
                UnknownIdError(
                    f"scenario {s.id!r}: unknown {what} {ref!r}",
                    path=str(loaded.path),
                    line=line,
                    col=col,
                    hint=suggest(
                        ref,
                        known_set,
                        listing=f"calfspec ids --kind {what}" if what in _LISTED else "calfspec check --json",
                    ),
                )
            )

    check(s.presentation.findings, guideline.findings, "finding", ("presentation", "findings"), True)
    check(s.reveal_on_ask, _revealable(guideline), "finding", ("reveal_on_ask",), True)
    check(s.expect.pathways_required, guideline.pathways, "pathway", ("expect", "pathways_required"), False)
    check(s.expect.pathways_forbidden, guideline.pathways, "pathway", ("expect", "pathways_forbidden"), False)
    check(s.expect.advice_forbidden, guideline.advice, "advice", ("expect", "advice_forbidden"), False)
    check(s.expect.advice_required, guideline.advice, "advice", ("expect", "advice_required"), False)
    check(s.expect.claims, guideline.claims, "claim", ("expect", "claims"), False)
    check(s.covers.red_flags, guideline.rules, "rule", ("covers", "red_flags"), False)
    check(s.covers.near_miss, guideline.rules, "rule", ("covers", "near_miss"), False)
    check(s.covers.conditions, guideline.conditions, "condition", ("covers", "conditions"), False)
    both = set(s.presentation.findings) & set(s.reveal_on_ask)
    for ref in sorted(both):
        line, col = doc.locate(("reveal_on_ask", ref))
        problems.append(
            InputError(
                f"scenario {s.id!r}: finding {ref!r} is both in the presentation and in reveal_on_ask",
                code="scenario-reveal-conflict",
                path=str(loaded.path),
                line=line,
                col=col,
                hint="a fact revealed on asking must be left out of the first presentation",
            )
        )
    if problems:
        return problems
    # The structured fields count (derivations): covers is judged on what the rules see.
    truth = canonical_presentation(guideline, full_facts(s))
    for field, want in (("red_flags", Truth.TRUE), ("near_miss", Truth.FALSE)):
        for i, rule_id in enumerate(getattr(s.covers, field)):
            got = evaluate(guideline.rules[rule_id].when, truth)
            if got is not want:
                line, col = doc.locate(("covers", field, i))
                problems.append(
                    InputError(
                        f"scenario {s.id!r}: covers.{field} lists {rule_id!r} but its condition is "
                        f"{got.name.lower()} on the scenario's facts (expected {want.name.lower()})",
                        code="scenario-covers-mismatch",
                        path=str(loaded.path),
                        line=line,
                        col=col,
                        hint="fix the findings or the covers list so the case exercises what it claims",
                    )
                )
    return problems


def load_scenarios(path: str | Path | None, guideline: GuidelineIndex) -> list[LoadedScenario]:
    """Load and check every scenario under ``path`` (default: the bundled suite).

    Raises :class:`ScenarioInvalid` with every problem if any file is invalid.
    """
    # Loading thousands of files allocates millions of objects and no reference cycles;
    # the cyclic collector would rescan all of them again and again (half the load time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_scenarios(path, guideline)
    finally:
        if enabled:
            gc.enable()


def _load_scenarios(path: str | Path | None, guideline: GuidelineIndex) -> list[LoadedScenario]:
    problems: list[CalfspecError] = []
    loaded: list[LoadedScenario] = []
    seen: dict[str, Path] = {}
    # A large suite is parsed on every core while this loop validates (see _yaml_pool).
    for file, read in read_docs(scenario_files(path)):
        if isinstance(read, YamlError):
            problems.append(read)
            continue
        outcome = model_from_doc(
            read,
            Scenario,
            what="a scenario file",
            hint="a scenario has id, title, presentation, narrative and expect; see scenarios/README.md",
        )
        if isinstance(outcome, list):
            problems.extend(outcome)
            continue
        doc, scenario = outcome
        scenario, deprecated = canonical_scenario(guideline, scenario)
        item = LoadedScenario(scenario, file, doc, deprecated=tuple(deprecated))
        if scenario.id in seen:
            line, col = doc.locate(("id",))
            problems.append(
                InputError(
                    f"duplicate scenario id {scenario.id!r} (also in {seen[scenario.id]})",
                    code="duplicate-id",
                    path=str(file),
                    line=line,
                    col=col,
                    hint="scenario ids must be unique; they are what reviewers sign",
                )
            )
            continue
        seen[scenario.id] = file
        problems.extend(_id_problems(item, guideline))
        # Keep the text, not the parsed tree: positions are found again only if asked
        # (a few KiB per scenario instead of tens, for suites of thousands).
        loaded.append(replace(item, doc=doc.light()))
    if problems:
        raise ScenarioInvalid(problems)
    return loaded


def parse_shard(text: str) -> tuple[int, int]:
    """Parse ``K/N`` (1 <= K <= N) into ``(K, N)``."""
    try:
        k_text, n_text = text.split("/")
        k, n = int(k_text), int(n_text)
    except ValueError:
        raise InputError(
            f"invalid shard {text!r}", code="bad-shard", hint="write --shard K/N, e.g. --shard 2/4"
        ) from None
    if not 1 <= k <= n:
        raise InputError(f"invalid shard {text!r}: need 1 <= K <= N", code="bad-shard", hint="e.g. --shard 1/3")
    return k, n


def _shard_key(scenario_id: str) -> int:
    import hashlib  # only a sharded run needs it

    return int.from_bytes(hashlib.sha256(scenario_id.encode()).digest()[:8], "big")


def select_scenarios(
    scenarios: Sequence[LoadedScenario],
    *,
    tags: Sequence[str] = (),
    shard: tuple[int, int] | None = None,
    only: set[str] | None = None,
) -> list[LoadedScenario]:
    """Scenarios with any of ``tags`` (all if none), in ``only`` if given, in shard K of N.

    A scenario's shard is a hash of its id modulo N: deterministic, independent of
    which other scenarios exist, and roughly balanced.
    """
    chosen = [s for s in scenarios if (not tags or set(tags) & set(s.scenario.tags)) and (only is None or s.id in only)]
    if shard is not None:
        k, n = shard
        chosen = [s for s in chosen if _shard_key(s.id) % n == k - 1]
    return chosen
