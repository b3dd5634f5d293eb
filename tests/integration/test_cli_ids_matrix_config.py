"""``calfspec ids``, ``calfspec matrix`` and ``calfspec config`` run as the installed command."""

from __future__ import annotations

import json
import re
from pathlib import Path

from calfspec import load_guideline
from tests.conftest import ROOT
from tests.fixtures.results import case, run, sample_run
from tests.fixtures.results.cli import calfspec, save


def test_ids_lists_every_id_of_a_kind_with_label_question_and_urgency(tmp_path: Path) -> None:
    g = load_guideline()
    proc = calfspec("ids", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    entries = json.loads(proc.stdout)
    by_kind: dict[str, set[str]] = {}
    for e in entries:
        by_kind.setdefault(e["kind"], set()).add(e["id"])
    assert by_kind["finding"] == set(g.findings)
    assert by_kind["pathway"] == {p.id for p in g.guideline.pathways}
    assert by_kind["advice"] == {a.id for a in g.guideline.advice}
    assert by_kind["condition"] == set(g.conditions)
    pathway = next(e for e in entries if e["kind"] == "pathway")
    assert pathway["urgency"] in ("emergency", "urgent", "routine", "self_care")
    asked = [e for e in entries if e["kind"] == "finding" and e["question"]]
    assert asked  # findings carry the plain-words question the harness asks

    findings = calfspec("ids", "--kind", "finding", cwd=tmp_path)
    assert findings.returncode == 0, findings.stderr
    first = g.guideline.findings[0]
    assert first.id in findings.stdout and first.label[:20] in findings.stdout
    assert "pathway " not in findings.stdout
    assert findings.stdout.rstrip().endswith(f"{len(g.findings)} id(s)")


def test_matrix_writes_html_and_markdown_and_highlights_disagreement(tmp_path: Path) -> None:
    a = save(tmp_path / "a.json", sample_run())
    other = run(
        [
            case("dvt-warm-swollen-left", "self_care", ("urgent", "emergency")),
            case("cramp-at-night", "routine", ("self_care", "routine")),
        ],
        implementation="cmd:other",
    )
    b = save(tmp_path / "b.json", other)
    html, md = tmp_path / "out" / "m.html", tmp_path / "m.md"
    proc = calfspec("matrix", a, b, "--report", f"html:{html}", "--report", f"md:{md}", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "scenario(s) disagree" in proc.stderr  # the console summary on stderr
    page = html.read_text(encoding="utf-8")
    disagreeing = re.findall(r'<tr class="scenario disagree" id="([^"]+)"', page)
    # dvt-warm-swollen-left: pass vs safety; cramp-at-night: quality vs pass; the rest are only in a.json
    assert "dvt-warm-swollen-left" in disagreeing and "cramp-at-night" in disagreeing
    assert set(re.findall(r'<tr class="implementation"><td><code>([^<]+)</code>', page)) == {
        "python:tests.fixtures.fake:triage",
        "cmd:other",
    }
    text = md.read_text(encoding="utf-8")
    assert text.startswith("## calfspec conformance matrix: 2 implementation(s)")
    assert "| Implementation | Self-reported | Status |" in text


def test_matrix_refuses_a_format_it_has_no_renderer_for_and_a_bad_file(tmp_path: Path) -> None:
    a = save(tmp_path / "a.json", sample_run())
    bad = calfspec("matrix", a, "--report", f"junit:{tmp_path / 'j.xml'}", cwd=tmp_path)
    assert bad.returncode == 4 and "a matrix has no junit report" in bad.stderr
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    broken = calfspec("matrix", a, tmp_path / "broken.json", cwd=tmp_path)
    assert broken.returncode == 4 and "broken.json" in broken.stderr and "Traceback" not in broken.stderr


def test_config_file_sets_run_defaults_flags_override_and_config_shows_origins(tmp_path: Path) -> None:
    (tmp_path / "calfspec.toml").write_text(
        '# CI settings\nreports = ["json:out/result.json"]\nfail-on = "quality"\ntimeout = 20\n', encoding="utf-8"
    )
    shown = calfspec("config", "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    settings = json.loads(shown.stdout)["settings"]
    assert settings["fail-on"] == {"value": "quality", "origin": f"{tmp_path / 'calfspec.toml'}:3"}
    assert settings["timeout"]["origin"].endswith("calfspec.toml:4")
    assert settings["repeat"] == {"value": 1, "origin": "default"}

    # the report the file asks for is written (its path relative to the file)
    scen = ROOT / "scenarios" / "cases"
    proc = calfspec("run", "--scenarios", scen, "--tag", "red-flag", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "out" / "result.json").is_file()
    # a flag overrides the file
    flag = calfspec("run", "--tag", "red-flag", "--report", f"json:{tmp_path / 'flag.json'}", cwd=tmp_path)
    assert flag.returncode == 0 and (tmp_path / "flag.json").is_file()


def test_a_bad_config_is_exit_4_with_file_and_line_before_anything_runs(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.calfspec]\nrepeat = 0\n', encoding="utf-8")
    proc = calfspec("run", cwd=tmp_path)
    assert proc.returncode == 4
    assert proc.stderr.startswith(f"{tmp_path / 'pyproject.toml'}:5: bad-config: repeat must be a whole number")
    ignored = calfspec("--config", "none", "config", cwd=tmp_path)
    assert ignored.returncode == 0 and "(none found)" in ignored.stdout
