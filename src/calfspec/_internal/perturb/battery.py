"""The battery file: load it, refuse an inserted phrase or misspelling that names a fact, pick families."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..errors import InputError, ProblemsError, ValidationFailed
from ..guideline import GuidelineIndex, data_dir
from ..models.perturbation import Battery, Family, FamilyKind
from .facts import Lexicon, build_lexicon, tokens

__all__ = ["battery_path", "load_battery", "parse_families"]


def battery_path() -> Path:
    """The bundled battery file."""
    return data_dir("scenarios") / "perturbations.yaml"


def _phrase_variants(family: Family) -> Iterable[tuple[int, str]]:
    """Every phrase with every slot value filled in, with the phrase's index."""
    fills: dict[str, tuple[str, ...]] = dict(family.slots)
    if family.kind is FamilyKind.THIRD_PERSON:
        fills["relation"] = tuple(sorted({w for row in family.relations.values() for w in row.values()}))
    for i, phrase in enumerate(family.phrases):
        texts = [phrase]
        for name, values in fills.items():
            if "{" + name + "}" in phrase:
                texts = [t.replace("{" + name + "}", v) for t in texts for v in values]
        for text in texts:
            yield i, text


def _battery_problems(battery: Battery, lexicon: Lexicon) -> Iterable[tuple[tuple[str | int, ...], str]]:
    for fi, family in enumerate(battery.families):
        for pi, text in _phrase_variants(family):
            marks = lexicon.marks(text)
            if marks:
                words = ", ".join(sorted({w for w in tokens(text) if lexicon.mark(w) is not None}))
                yield (
                    ("families", fi, "phrases", pi),
                    f"family {family.id}: the phrase {text!r} names fact or negation word(s) ({words}); "
                    "a perturbation may change how the story is told, never what it says",
                )
        for word, typo in family.typos.items():
            for w in (word, typo):
                if lexicon.mark(w.lower()) is not None:
                    yield (
                        ("families", fi, "typos", word),
                        f"family {family.id}: the misspelling {word!r} -> {typo!r} touches a fact or negation word",
                    )


def load_battery(guideline: GuidelineIndex, path: str | Path | None = None) -> tuple[Battery, Lexicon]:
    """Load and check the battery: schema, and no inserted phrase or misspelling touching a fact.

    Raises :class:`~calfspec._internal.errors.InputError` (exit 4) naming the file and line.
    """
    from .._yaml import load_yaml_model

    where = Path(path) if path is not None else battery_path()
    loaded = load_yaml_model(
        where, Battery, what="a perturbation battery", hint="see scenarios/perturbations.yaml and docs/perturbations.md"
    )
    if isinstance(loaded, list):
        raise ProblemsError(list(loaded))
    doc, battery = loaded
    lexicon = build_lexicon(battery, guideline)
    problems: list[InputError] = []
    for loc, message in _battery_problems(battery, lexicon):
        line, col = doc.locate(loc)
        problems.append(
            ValidationFailed(
                message,
                code="perturbation-changes-facts",
                path=str(where),
                line=line,
                col=col,
                hint="reword the phrase without symptom, finding, side, time or negation words",
            )
        )
    if problems:
        raise ProblemsError(list(problems))
    return battery, lexicon


def parse_families(text: str, battery: Battery) -> tuple[Family, ...]:
    """``all`` or a comma-separated list of family ids; an unknown id is a usage error (exit 4)."""
    wanted = [t.strip() for t in text.split(",") if t.strip()]
    if wanted == ["all"]:
        return battery.families
    known = {f.id: f for f in battery.families}
    unknown = [w for w in wanted if w not in known]
    if unknown or not wanted:
        raise InputError(
            f"unknown perturbation famil{'ies' if len(unknown) > 1 else 'y'}: {', '.join(unknown) or '(none given)'}",
            code="unknown-perturbation",
            hint="--perturb takes 'all' or a comma-separated list of: " + ", ".join(known),
        )
    return tuple(known[w] for w in dict.fromkeys(wanted))
