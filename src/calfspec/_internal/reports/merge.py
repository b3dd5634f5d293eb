"""Join the JSON results of ``--shard K/N`` runs into one result (``calfspec report merge``).

Shards must come from the same calfspec result format, implementation,
guideline (id and version), protocol version and repeat count; a scenario may
appear in one shard only. The merged result is *complete* only if every shard
is complete and the shards are exactly ``1/N`` ... ``N/N``; a missing shard is a
warning, not an error, so a CI job can still publish what it has. Trials are
ordered by scenario id and repeat, so the merge is independent of shard order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..models.results import RunResult

__all__ = ["Merged", "merge_runs"]


@dataclass(frozen=True)
class Merged:
    """The merged result and what the caller should be told about it."""

    result: RunResult
    warnings: tuple[str, ...]


def _shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    k, _, n = text.partition("/")
    try:
        return int(k), int(n)
    except ValueError:
        return None


def merge_runs(runs: Sequence[RunResult], names: Sequence[str | Path] | None = None) -> Merged:
    """Merge shard results; ``names`` (file paths) make error messages point at the right file.

    Raises :class:`InputError` if there is nothing to merge, the shards differ
    in identity, or a scenario appears in two shards.
    """
    if not runs:
        raise InputError("nothing to merge", code="merge-empty", hint="pass the JSON result of every shard")
    labels = [str(n) for n in names] if names is not None else [f"shard #{i + 1}" for i in range(len(runs))]
    first = runs[0]
    for label, run in zip(labels[1:], runs[1:], strict=True):
        for field in (
            "format_version",
            "implementation",
            "guideline_id",
            "guideline_version",
            "protocol_version",
            "repeat",
        ):
            if getattr(run, field) != getattr(first, field):
                raise InputError(
                    f"{field} differs between shards: {getattr(first, field)!r} in {labels[0]}, "
                    f"{getattr(run, field)!r} in {label}",
                    code="merge-mismatch",
                    path=label,
                    hint="merge only the shards of one run (same --impl, guideline, calfspec and --repeat)",
                )
    owner: dict[str, str] = {}
    for label, run in zip(labels, runs, strict=True):
        for sid in dict.fromkeys(c.scenario_id for c in run.cases):
            if sid in owner:
                raise InputError(
                    f"scenario {sid!r} is in two shards: {owner[sid]} and {label}",
                    code="merge-overlap",
                    path=label,
                    hint="each shard must be a different --shard K/N of the same N; was one file passed twice?",
                )
            owner[sid] = label

    warnings: list[str] = []
    versions = sorted({r.calfspec_version for r in runs})
    if len(versions) > 1:
        warnings.append(f"shards were written by different calfspec versions: {', '.join(versions)}")
    complete = all(r.complete for r in runs)
    for label, run in zip(labels, runs, strict=True):
        if not run.complete:
            warnings.append(f"{label} is incomplete; the merged result is marked incomplete")
    shards = [_shard(r.shard) for r in runs]
    if any(s is None for s in shards):
        warnings.append("some inputs are not shard results (no --shard K/N); their coverage cannot be checked")
    else:
        totals = {s[1] for s in shards if s is not None}
        ks = sorted(s[0] for s in shards if s is not None)
        if len(totals) != 1:
            raise InputError(
                f"shards of different splits: {', '.join(sorted(r.shard or '' for r in runs))}",
                code="merge-mismatch",
                hint="merge shards that share one N, e.g. 1/3, 2/3 and 3/3",
            )
        n = totals.pop()
        if any(not 1 <= k <= n for k in ks):
            raise InputError(
                f"shard numbers out of range: {', '.join(sorted(r.shard or '' for r in runs))}",
                code="merge-mismatch",
                hint="a shard is K/N with 1 <= K <= N, as calfspec run --shard writes it; was the file edited?",
            )
        missing = sorted(set(range(1, n + 1)) - set(ks))
        if len(ks) != len(set(ks)):
            raise InputError(f"shard given twice among {', '.join(r.shard or '' for r in runs)}", code="merge-overlap")
        if missing:
            complete = False
            warnings.append(f"missing shard(s) {', '.join(f'{k}/{n}' for k in missing)}; merged result is incomplete")

    cases = sorted((c for r in runs for c in r.cases), key=lambda c: (c.scenario_id, c.repeat))
    result = first.model_copy(
        update={
            "started_at": min(r.started_at for r in runs),
            "finished_at": max(r.finished_at for r in runs),
            "complete": complete,
            "shard": None,
            "selected": sum(r.selected for r in runs),
            "cases": tuple(cases),
            "metrics": None,
        }
    )
    return Merged(RunResult.model_validate(result.model_dump()), tuple(warnings))
