"""Clinical review: sign-offs bound to content, their verification, reviewer packs and coverage.

* :mod:`~calfspec._internal.review.digest`: what a sign-off binds (scenario + cited claims).
* :mod:`~calfspec._internal.review.models`: sign-off records and the reviewers registry.
* :mod:`~calfspec._internal.review.signing`: OpenSSH signatures through ``ssh-keygen -Y``.
* :mod:`~calfspec._internal.review.store`: the registry file and the sign-off record files.
* :mod:`~calfspec._internal.review.verify`: each scenario approved, stale, unsigned or invalid.
* :mod:`~calfspec._internal.review.render`: the reviewer pack (HTML, Markdown).
* :mod:`~calfspec._internal.review.coverage`: traceability matrix, hazard log, coverage policy.
"""

from __future__ import annotations

from .digest import content_digest, content_snapshot
from .models import Decision, Reviewer, ReviewerRegistry, Role, SignOff
from .store import load_records, load_registry
from .verify import ReviewReport, ScenarioStatus, approved_scenario_ids, review_scenarios

__all__ = [
    "Decision",
    "ReviewReport",
    "Reviewer",
    "ReviewerRegistry",
    "Role",
    "ScenarioStatus",
    "SignOff",
    "approved_scenario_ids",
    "content_digest",
    "content_snapshot",
    "load_records",
    "load_registry",
    "review_scenarios",
]
