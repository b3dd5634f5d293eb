"""Settings files: found upwards, checked with file:line, turned into click defaults (calfspec._internal.config)."""

from __future__ import annotations

from pathlib import Path

import pytest

from calfspec._internal._suggest import nearest, suggest
from calfspec._internal.config import SETTINGS, find_config, load_config
from calfspec._internal.errors import InputError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_calfspec_toml_is_found_from_a_subfolder_and_paths_are_relative_to_it(tmp_path: Path) -> None:
    cfg = write(tmp_path / "calfspec.toml", 'scenarios = "suite"\nreports = ["junit:out/j.xml", "md:-"]\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == cfg
    loaded = load_config(cfg)
    assert loaded.values["scenarios"] == str((tmp_path / "suite").resolve())
    assert loaded.values["reports"] == [f"junit:{tmp_path / 'out/j.xml'}", "md:-"]
    assert loaded.origin("reports") == f"{cfg}:2"


def test_pyproject_counts_only_with_a_tool_calfspec_table(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    assert find_config(tmp_path) is None
    py = write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.calfspec]\ntimeout = 5\nrepeat = 3\n')
    assert find_config(tmp_path) == py
    loaded = load_config(py)
    assert loaded.values == {"timeout": 5, "repeat": 3}
    assert loaded.lines == {"timeout": 5, "repeat": 6}


def test_the_nearer_file_wins(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.calfspec]\ntimeout = 5\n")
    inner = write(tmp_path / "sub" / "calfspec.toml", "timeout = 9\n")
    assert find_config(tmp_path / "sub") == inner


def test_settings_become_defaults_only_for_commands_that_take_them(tmp_path: Path) -> None:
    cfg = write(tmp_path / "calfspec.toml", 'impl = "cmd:x"\nguideline = "g"\nfail-on = "quality"\nmax-rounds = 0\n')
    dm = load_config(cfg).default_map()
    assert dm["run"]["impl_spec"] == "cmd:x" and dm["run"]["fail_on"] == "quality" and dm["run"]["max_rounds"] == 0
    assert "fail_on" not in dm.get("fuzz", {}) and dm["fuzz"]["max_rounds"] == 0
    assert dm["check"] == {"guideline_dir": str((tmp_path / "g").resolve())}
    assert "compare" not in dm  # compare has no such options


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('\n\ntimeout = "fast"\n', 3, "timeout must be a number of seconds"),
        ("concurrency = 0\n", 1, "concurrency must be a whole number from 1 to 1024"),
        ("repeat = true\n", 1, "repeat must be a whole number"),
        ('fail-on = "never"\n', 1, "fail-on must be one of 'safety', 'quality'"),
        ('reports = "junit:j.xml"\n', 1, "reports must be a list"),
        ("# a comment\ntimout = 3\n", 2, "unknown setting 'timout'"),
    ],
)
def test_a_bad_value_is_an_input_error_naming_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    cfg = write(tmp_path / "calfspec.toml", text)
    with pytest.raises(InputError, match=message) as info:
        load_config(cfg)
    assert (info.value.path, info.value.line, info.value.code) == (str(cfg), line, "bad-config")


def test_an_unknown_key_suggests_the_nearest_setting(tmp_path: Path) -> None:
    cfg = write(tmp_path / "calfspec.toml", "max_rounds = 2\n")
    with pytest.raises(InputError) as info:
        load_config(cfg)
    assert info.value.hint is not None and "did you mean 'max-rounds'?" in info.value.hint


def test_broken_toml_reports_line_and_column(tmp_path: Path) -> None:
    cfg = write(tmp_path / "calfspec.toml", 'timeout = 3\nimpl = "unterminated\n')
    with pytest.raises(InputError, match="not valid TOML") as info:
        load_config(cfg)
    assert info.value.line == 2 and info.value.col is not None


def test_every_setting_is_named_as_the_flag_it_sets() -> None:
    assert [s.key for s in SETTINGS] == [
        "impl", "scenarios", "guideline", "reports", "fail-on", "concurrency", "timeout", "repeat", "max-rounds"
    ]  # fmt: skip


def test_suggest_names_the_closest_ids_treating_dash_and_underscore_alike() -> None:
    known = ["leg_swollen", "leg_warm", "calf_tender", "dvt-swollen-warm-red-calf"]
    assert nearest("leg-swolen", known)[0] == "leg_swollen"
    assert suggest("leg_swolen", known).startswith("did you mean 'leg_swollen'")
    assert suggest("zzz", known).startswith("no id is close to 'zzz'")
