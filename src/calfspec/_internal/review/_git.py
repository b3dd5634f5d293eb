"""What a guideline change since a git revision means for the review (``calfspec coverage --changed-since``).

The old guideline is read with ``git archive`` into a temporary folder; this is
the one place that runs git.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import CalfspecError, InputError
from ..guideline import GuidelineIndex, load_guideline
from ..models.scenario import Scenario
from .digest import content_snapshot, diff_snapshots, snapshot_digest
from .models import Decision
from .store import RecordFile

__all__ = ["GuidelineChange", "changed_since"]


@dataclass(frozen=True)
class GuidelineChange:
    """What a guideline change since a git revision means for the review."""

    rev: str
    files: tuple[str, ...]
    claims: tuple[str, ...]
    """Claim ids added, removed or changed."""
    scenarios: tuple[str, ...]
    """Scenarios whose signed content (scenario + cited claims) changed."""
    approvals: tuple[RecordFile, ...]
    """Approval records of the old content of those scenarios: they need re-review."""


def _git(args: Sequence[str], cwd: Path) -> bytes:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=120)
    except FileNotFoundError:
        raise InputError("git not found on PATH", code="tool-missing", hint="install git") from None
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(
            f"git {' '.join(args[:2])} failed: {detail[-1] if detail else proc.returncode}",
            code="git-failed",
            path=cwd,
            hint="--changed-since needs a git checkout and a revision that exists (e.g. a tag or main)",
        )
    return proc.stdout


def changed_since(
    rev: str,
    guideline: GuidelineIndex,
    scenarios: Sequence[Scenario],
    records: Iterable[RecordFile],
) -> GuidelineChange:
    """Compare the guideline with its state at git revision ``rev``.

    The old guideline is read from git (``git archive``), loaded, and each
    scenario's signed content is computed under both. A scenario is affected
    when the two differ; an approval is invalidated when it approved the old
    content of an affected scenario.
    """
    gdir = guideline.root.resolve()
    top = Path(_git(["rev-parse", "--show-toplevel"], gdir).decode().strip())
    rel = gdir.relative_to(top).as_posix()
    files = tuple(line for line in _git(["diff", "--name-only", rev, "--", rel], top).decode().splitlines() if line)
    if not files:
        return GuidelineChange(rev, (), (), (), ())
    archive = _git(["archive", "--format=tar", rev, "--", rel], top)
    with tempfile.TemporaryDirectory(prefix="calfspec-guideline-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        try:
            old = load_guideline(Path(tmp) / rel)
        except CalfspecError as exc:
            raise InputError(
                f"the guideline at {rev} does not load: {exc.message}",
                code="git-guideline-invalid",
                hint="pick a revision where `calfspec check` passed",
            ) from None
    claims = tuple(
        sorted(
            cid
            for cid in old.claims.keys() | guideline.claims.keys()
            if (old.claims.get(cid) != guideline.claims.get(cid))
        )
    )
    affected: dict[str, str] = {}
    for s in scenarios:
        new_snap = content_snapshot(s, guideline)
        try:
            old_snap = content_snapshot(s, old)
        except CalfspecError:
            affected[s.id] = ""  # it cites a claim or rule that did not exist then
            continue
        if diff_snapshots(old_snap, new_snap):
            affected[s.id] = snapshot_digest(old_snap)
    approvals = tuple(
        f
        for f in records
        if f.record is not None
        and f.record.decision is Decision.APPROVED
        and affected.get(f.record.scenario_id) == f.record.digest
    )
    return GuidelineChange(rev, files, claims, tuple(sorted(affected)), approvals)
