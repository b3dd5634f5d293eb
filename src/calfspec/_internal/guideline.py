"""Load the guideline from guideline/*.yaml, check its integrity and index it by id.

Loading is all-or-nothing: a file that does not parse or validate, a duplicate
id or a reference to a missing id raises :class:`GuidelineInvalid` listing every
problem with its position, so a partly loaded guideline is never used as whole.
Lints that do not make the data unusable (unused vocabulary, excerpts that do not
match the sources, ...) live in :mod:`calfspec._internal.check`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ._yaml import YamlDoc, load_yaml, load_yaml_model
from .errors import CalfspecError, InputError, Location, ProblemsError, UnknownIdError, YamlError
from .expressions import expr_findings
from .models.guideline import (
    Advice,
    Claim,
    Condition,
    Finding,
    Guideline,
    GuidelineFile,
    GuidelineMeta,
    Pathway,
    Rule,
    RuleKind,
    Source,
)

__all__ = [
    "GuidelineIndex",
    "GuidelineInvalid",
    "data_dir",
    "field_location",
    "load_guideline",
    "load_guideline_unchecked",
]

SECTIONS = (
    "sources",
    "findings",
    "claims",
    "conditions",
    "rules",
    "pathways",
    "advice",
    "conflicts",
    "exclusions",
    "derivations",
    "aliases",
    "hazards",
)


class GuidelineInvalid(ProblemsError):
    """The guideline could not be loaded as a whole; ``problems`` lists every problem.

    Likely causes: a YAML mistake, a misspelled id, or an id renamed in one file
    but not in the files that refer to it. Run ``calfspec check`` to see them all.
    """

    default_code = "guideline-invalid"


def data_dir(name: str) -> Path:
    """Where the bundled ``guideline``, ``schemas`` or ``scenarios`` live.

    In a checkout that is the repository's top-level folder; in an installed
    wheel it is package data under ``calfspec/_data``.
    """
    package = Path(__file__).resolve().parent.parent  # calfspec/, above _internal/
    packaged = package / "_data" / name
    if packaged.is_dir():
        return packaged
    return package.parent.parent / name


@dataclass(frozen=True)
class GuidelineIndex:
    """A loaded guideline with lookups by id and the file position of every item."""

    guideline: Guideline
    root: Path
    positions: dict[tuple[str, str], Location] = field(default_factory=dict)

    @property
    def meta(self) -> GuidelineMeta:
        """Identity and policy."""
        return self.guideline.meta

    @cached_property
    def sources(self) -> dict[str, Source]:
        """Sources by id."""
        return {s.id: s for s in self.guideline.sources}

    @cached_property
    def findings(self) -> dict[str, Finding]:
        """Vocabulary by id."""
        return {f.id: f for f in self.guideline.findings}

    @cached_property
    def claims(self) -> dict[str, Claim]:
        """Claims by id."""
        return {c.id: c for c in self.guideline.claims}

    @cached_property
    def conditions(self) -> dict[str, Condition]:
        """Conditions by id."""
        return {c.id: c for c in self.guideline.conditions}

    @cached_property
    def rules(self) -> dict[str, Rule]:
        """All rules by id."""
        return {r.id: r for r in self.guideline.rules}

    @cached_property
    def red_flags(self) -> tuple[Rule, ...]:
        """The red-flag rules, in file order."""
        return tuple(r for r in self.guideline.rules if r.kind is RuleKind.RED_FLAG)

    @cached_property
    def pathways(self) -> dict[str, Pathway]:
        """Pathways by id."""
        return {p.id: p for p in self.guideline.pathways}

    @cached_property
    def advice(self) -> dict[str, Advice]:
        """Advice by id."""
        return {a.id: a for a in self.guideline.advice}

    @cached_property
    def pathway_covers(self) -> dict[str, frozenset[str]]:
        """Each pathway id with every pathway it covers, transitively (``covers:`` in pathways.yaml).

        Covering only ever points to lower urgency (the loader checks it), so the
        closure has no cycles. A pathway is not listed as covering itself.
        """
        direct = {p.id: tuple(c for c in p.covers if c in self.pathways) for p in self.guideline.pathways}
        closure: dict[str, frozenset[str]] = {}

        def close(pid: str, seen: frozenset[str]) -> frozenset[str]:
            if pid not in closure:
                out: set[str] = set()
                for child in direct.get(pid, ()):
                    if child not in seen:
                        out.add(child)
                        out |= close(child, seen | {child})
                closure[pid] = frozenset(out)
            return closure[pid]

        for pid in direct:
            close(pid, frozenset({pid}))
        return closure

    @cached_property
    def aliases(self) -> dict[tuple[str, str], tuple[str, ...]]:
        """Deprecated ids: ``(section, old id)`` -> the ids it now reads as."""
        return {(a.section.value, a.id): a.replaced_by for a in self.guideline.aliases}

    def label(self, finding_id: str) -> str:
        """The vocabulary's label for a finding, or the id itself when the vocabulary does not hold it."""
        finding = self.findings.get(finding_id)
        return finding.label if finding is not None else finding_id

    def where(self, section: str, item_id: str) -> Location:
        """File position of an item (``section`` is e.g. ``"rules"``)."""
        return self.positions.get((section, item_id), Location(str(self.root)))


def _read_files(
    root: Path,
) -> tuple[list[tuple[Path, GuidelineFile]], dict[tuple[str, str], Location], list[CalfspecError]]:
    problems: list[CalfspecError] = []
    files: list[tuple[Path, GuidelineFile]] = []
    positions: dict[tuple[str, str], Location] = {}
    paths = sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    if not paths:
        problems.append(
            InputError(
                "no guideline files (*.yaml) found",
                code="guideline-empty",
                path=str(root),
                hint="point --guideline at the folder that holds the guideline YAML files",
            )
        )
    for path in paths:
        outcome = load_yaml_model(
            path,
            GuidelineFile,
            what="a guideline file",
            hint=f"top-level keys are: guideline, {', '.join(SECTIONS)}",
            positions=True,  # every item's position is recorded below
        )
        if isinstance(outcome, list):
            problems.extend(outcome)
            continue
        doc, parsed = outcome
        files.append((path, parsed))
        for section in SECTIONS:
            for i, item in enumerate(getattr(parsed, section)):
                line, col = doc.locate((section, i, "id"))
                loc = Location(str(path), line, col)
                key = (section, item.id)
                if key in positions:
                    prev = positions[key]
                    problems.append(
                        InputError(
                            f"duplicate {section} id {item.id!r} (first defined at {prev.render()})",
                            code="duplicate-id",
                            path=loc.path,
                            line=loc.line,
                            col=loc.col,
                            hint="ids must be unique across all guideline files",
                        )
                    )
                else:
                    positions[key] = loc
        if parsed.guideline is not None:
            line, col = doc.locate(("guideline",))
            positions[("guideline", parsed.guideline.id)] = Location(str(path), line, col)
    return files, positions, problems


def _merge(root: Path, files: list[tuple[Path, GuidelineFile]]) -> tuple[Guideline | None, list[CalfspecError]]:
    metas = [(p, f.guideline) for p, f in files if f.guideline is not None]
    if len(metas) != 1:
        where = ", ".join(str(p) for p, _ in metas) or str(root)
        return None, [
            InputError(
                f"exactly one file must hold the `guideline:` section; found {len(metas)} ({where})",
                code="guideline-meta",
                path=str(root),
                hint="keep id, title, version and policy in guideline/guideline.yaml",
            )
        ]
    merged: dict[str, list[object]] = {s: [] for s in SECTIONS}
    for _, f in files:
        for s in SECTIONS:
            merged[s].extend(getattr(f, s))
    meta = metas[0][1]
    assert meta is not None
    # Every item was validated as its type in its file (GuidelineFile's sections are Guideline's
    # fields, and every section is given here), so the merge needs no second validation.
    fields: dict[str, Any] = {"meta": meta, **{s: tuple(items) for s, items in merged.items()}}
    return Guideline.model_construct(**fields), []


def _ref_problems(index: GuidelineIndex) -> list[CalfspecError]:
    problems: list[CalfspecError] = []

    def missing(section: str, owner: str, what: str, ref: str, known: Iterable[str]) -> None:
        if ref not in known:
            loc = index.where(section, owner)
            problems.append(
                UnknownIdError(
                    f"{section[:-1] if section.endswith('s') else section} {owner!r} refers to unknown {what} {ref!r}",
                    path=loc.path,
                    line=loc.line,
                    col=loc.col,
                    hint=f"define {what} {ref!r} in guideline/ or fix the spelling",
                )
            )

    g = index.guideline
    for claim in g.claims:
        for c in claim.citations:
            missing("claims", claim.id, "source", c.source, index.sources)
    for finding in g.findings:
        for ref in finding.claims:
            missing("findings", finding.id, "claim", ref, index.claims)
    for cond in g.conditions:
        for ref in (*cond.features, *cond.risk_factors):
            missing("conditions", cond.id, "finding", ref, index.findings)
        if cond.suggested_by is not None:
            for ref in expr_findings(cond.suggested_by):
                missing("conditions", cond.id, "finding", ref, index.findings)
        for ref in cond.claims:
            missing("conditions", cond.id, "claim", ref, index.claims)
    for rule in g.rules:
        for ref in expr_findings(rule.when):
            missing("rules", rule.id, "finding", ref, index.findings)
        missing("rules", rule.id, "pathway", rule.pathway, index.pathways)
        for ref in rule.contraindicates:
            missing("rules", rule.id, "advice", ref, index.advice)
        for ref in rule.conditions:
            missing("rules", rule.id, "condition", ref, index.conditions)
        for ref in rule.claims:
            missing("rules", rule.id, "claim", ref, index.claims)
    for pw in g.pathways:
        for ref in pw.claims:
            missing("pathways", pw.id, "claim", ref, index.claims)
        for ref in pw.advice:
            missing("pathways", pw.id, "advice", ref, index.advice)
        for ref in pw.covers:
            missing("pathways", pw.id, "pathway", ref, index.pathways)
            covered = index.pathways.get(ref)
            if covered is not None and not covered.urgency < pw.urgency:
                loc = field_location(index, "pathways", pw.id, "covers")
                problems.append(
                    InputError(
                        f"pathway {pw.id!r} ({pw.urgency.value}) covers {ref!r}, which is not of lower urgency "
                        f"({covered.urgency.value})",
                        code="pathway-covers-not-lower",
                        path=loc.path,
                        line=loc.line,
                        col=loc.col,
                        hint="a pathway may only stand in for less urgent pathways; remove it from covers",
                    )
                )
    for adv in g.advice:
        for expr in (adv.indicated_when, adv.contraindicated_when):
            if expr is not None:
                for ref in expr_findings(expr):
                    missing("advice", adv.id, "finding", ref, index.findings)
        for ref in adv.claims:
            missing("advice", adv.id, "claim", ref, index.claims)
    for conflict in g.conflicts:
        for pos in conflict.positions:
            missing("conflicts", conflict.id, "source", pos.source, index.sources)
            for ref in pos.claims:
                missing("conflicts", conflict.id, "claim", ref, index.claims)
        for ref in conflict.resolution_claims:
            missing("conflicts", conflict.id, "claim", ref, index.claims)
    for exc in g.exclusions:
        missing("exclusions", exc.id, "source", exc.source, index.sources)
    for rule in g.rules:
        for allowed in rule.allows_advice:
            missing("rules", rule.id, "advice", allowed.advice, index.advice)
            for ref in allowed.claims:
                missing("rules", rule.id, "claim", ref, index.claims)
    policy = g.meta.policy
    for ref in (policy.unresolved_pathway, policy.self_care_pathway, *(t.pathway for t in policy.open_red_flag_tiers)):
        missing("guideline", g.meta.id, "pathway", ref, index.pathways)
    for ref in (*policy.claims, *(c for t in policy.open_red_flag_tiers for c in t.claims)):
        missing("guideline", g.meta.id, "claim", ref, index.claims)
    for der in g.derivations:
        if der.target != "pregnant":
            missing("derivations", der.id, "finding", der.target, index.findings)
        for ref in der.claims:
            missing("derivations", der.id, "claim", ref, index.claims)
    spaces: dict[str, Iterable[str]] = {
        "findings": index.findings,
        "advice": index.advice,
        "pathways": index.pathways,
        "conditions": index.conditions,
    }
    for alias in g.aliases:
        known = spaces[alias.section.value]
        for ref in alias.replaced_by:
            missing("aliases", alias.id, alias.section.value.rstrip("s"), ref, known)
        if alias.id in known:
            loc = index.where("aliases", alias.id)
            problems.append(
                InputError(
                    f"alias {alias.id!r} is also a current {alias.section.value} id",
                    code="alias-shadows-id",
                    path=loc.path,
                    line=loc.line,
                    col=loc.col,
                    hint="a deprecated id must not be defined any more; remove it or the alias",
                )
            )
    for hazard in g.hazards:
        for control in hazard.controls:
            for ref in control.claims:
                missing("hazards", hazard.id, "claim", ref, index.claims)
    return problems


def load_guideline_unchecked(root: str | Path | None = None) -> tuple[GuidelineIndex | None, list[CalfspecError]]:
    """Load what can be loaded and return it with every problem found.

    Used by ``calfspec check`` to report everything at once. Anything else
    should call :func:`load_guideline`, which refuses a guideline with problems.
    """
    base = Path(root) if root is not None else data_dir("guideline")
    if not base.is_dir():
        return None, [
            InputError(
                "guideline folder not found",
                code="guideline-missing",
                path=str(base),
                hint="pass --guideline DIR pointing at a folder of guideline YAML files",
            )
        ]
    files, positions, problems = _read_files(base)
    if problems:
        return None, problems
    guideline, merge_problems = _merge(base, files)
    if guideline is None:
        return None, merge_problems
    index = GuidelineIndex(guideline=guideline, root=base, positions=positions)
    return index, _ref_problems(index)


_CACHE: dict[tuple[Path, tuple[tuple[str, int, int], ...]], GuidelineIndex] = {}


def _signature(base: Path) -> tuple[tuple[str, int, int], ...]:
    out = []
    for p in sorted(base.rglob("*.y*ml")):
        st = p.stat()
        out.append((str(p), st.st_mtime_ns, st.st_size))
    return tuple(out)


def load_guideline(root: str | Path | None = None) -> GuidelineIndex:
    """Load, check the integrity of, and index the guideline (the bundled one by default).

    Raises :class:`GuidelineInvalid` listing every problem if any file fails to
    parse or validate, an id is duplicated, or a reference is dangling.
    """
    base = (Path(root) if root is not None else data_dir("guideline")).resolve()
    key = (base, _signature(base) if base.is_dir() else ())
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    index, problems = load_guideline_unchecked(base)
    if problems or index is None:
        raise GuidelineInvalid(problems)
    _CACHE[key] = index
    return index


_DOC_CACHE: dict[tuple[str, int, int], YamlDoc] = {}


def field_location(index: GuidelineIndex, section: str, item_id: str, *field_path: str | int) -> Location:
    """File position of a field inside an item, e.g. a citation's excerpt.

    ``field_location(index, "claims", "dvt-red-flag-signs", "citations", 0, "excerpt")``
    gives the line and column of that excerpt. Falls back to the item's own
    position when the file cannot be re-read or the field does not exist.
    """
    loc = index.where(section, item_id)
    if loc.path is None or not field_path:
        return loc
    path = Path(loc.path)
    try:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size)
        doc = _DOC_CACHE.get(key)
        if doc is None:
            doc = _DOC_CACHE[key] = load_yaml(path)
    except (OSError, YamlError):
        return loc
    items = doc.data.get(section) if isinstance(doc.data, dict) else None
    if not isinstance(items, list):
        return loc
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("id") == item_id:
            line, col = doc.locate((section, i, *field_path))
            return Location(loc.path, line, col)
    return loc
