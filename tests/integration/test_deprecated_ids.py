"""Protocol 1.1 keeps 1.0 working: a scenario file and an implementation that use a deprecated
(split) finding id run green through the real CLI, the old ids read as all their replacements."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

EXE = [str(Path(sys.executable).parent / "calfspec")]

SCENARIO = """\
id: old-ids-sudden-pain-pop-revealed-left
title: Sudden severe pain at tennis; the pop is only told when asked (written with 1.0 ids)
presentation:
  age: 40
  sex: male
  side: left
  onset: sudden
  findings:
    sudden_severe_pain: present
    difficulty_walking: present
narrative: Sudden sharp pain in my left calf at tennis and I can hardly walk on it.
reveal_on_ask:
  pop_or_snap: present
expect:
  urgency: {min: urgent, max: urgent, expected: urgent}
  pathways_required: [urgent-tear-assessment]
  claims: [tear-red-flag]
"""

# A 1.0 implementation (JSON in, JSON out): it asks about the old compound id, and decides once
# it is answered.
IMPL = """\
def triage(request):
    seen = request["findings"]
    if "heard_or_felt_pop" not in seen and "pop_or_snap" not in seen:
        return {"urgency": "routine", "questions": ["pop_or_snap"]}
    pop = seen.get("heard_or_felt_pop") or seen.get("pop_or_snap")
    if pop == "present":
        return {"urgency": "urgent", "pathways": ["urgent-tear-assessment"]}
    return {"urgency": "routine", "pathways": ["gp-review"]}
"""


def test_a_scenario_and_an_implementation_using_deprecated_ids_still_pass(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "old.yaml").write_text(SCENARIO, encoding="utf-8")
    (tmp_path / "old_impl.py").write_text(IMPL, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    out = tmp_path / "result.json"
    proc = subprocess.run(
        [*EXE, "run", "--impl", "python:old_impl:triage", "--scenarios", str(cases), "--report", f"json:{out}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (case,) = json.loads(out.read_text(encoding="utf-8"))["cases"]
    assert case["verdict"] == "pass"
    # The old question was answered from the scenario's old reveal_on_ask, in 1.1 terms.
    rounds = case["transcript"]
    assert len(rounds) == 2
    assert rounds[1]["request"]["findings"]["heard_or_felt_pop"] == "present"
    assert rounds[1]["request"]["findings"]["felt_struck"] == "present"
    # And `calfspec check` notes each deprecated id the file uses, without failing.
    check = subprocess.run(
        [*EXE, "check", "--scenarios", str(cases)], capture_output=True, text=True, timeout=120, check=False, env=env
    )
    assert check.returncode == 0, check.stderr[-3000:]
    notes = [line for line in check.stderr.splitlines() if line.startswith("note:") and "deprecated-id" in line]
    assert len(notes) == 2, notes  # difficulty_walking in the presentation, pop_or_snap in reveal_on_ask
    assert any("'difficulty_walking'" in n and "walking_difficulty, push_off_difficulty" in n for n in notes)
