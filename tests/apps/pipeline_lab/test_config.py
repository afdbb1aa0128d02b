"""The lab's configuration: the embedded default, a TOML file, flags, and errors that
name the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.pipeline_lab.cli import _config, _parser
from apps.pipeline_lab.config import ConfigError, Kind, StageSpec, load, parse_alloc


def args(*argv: str):  # the run command's parsed flags
    return _parser().parse_args(["run", "P1", *argv])


def test_the_default_has_four_stages_of_every_kind_and_an_allocation() -> None:
    cfg = load()
    assert [s.name for s in cfg.stages] == ["S1", "S2", "S3", "S4"]
    assert [s.kind for s in cfg.stages] == [Kind.IO, Kind.CPU, Kind.MIXED, Kind.CPU]
    assert cfg.allocation == (1, 1, 2, 1)
    s3 = cfg.stages[2]
    assert (s3.cpu_ns, s3.io_ns) == (3_000_000, 7_000_000)


def test_a_toml_file_then_flags_on_top(tmp_path: Path) -> None:
    f = tmp_path / "lab.toml"
    f.write_text('messages = 50\nwindow = 2\n[[stage]]\nkind = "cpu"\nms = 3\n'
                 '[[stage]]\nname = "net"\nkind = "io"\nms = 7\n[allocation]\nnet = 3\n')
    cfg = load(f)
    assert [(s.name, s.kind, s.ms) for s in cfg.stages] == [("S1", Kind.CPU, 3),
                                                           ("net", Kind.IO, 7)]
    assert (cfg.messages, cfg.window, cfg.allocation) == (50, 2, (1, 3))
    cfg = _config(args("--config", str(f), "--stage", "net=mixed:10:0.2", "--messages", "9",
                       "--alloc", "2,1", "--rate", "5"))
    assert cfg.stages[1] == StageSpec("net", Kind.MIXED, 10, 0.2)
    assert (cfg.messages, cfg.allocation, cfg.rate) == (9, (2, 1), 5)
    cfg = _config(args("--stages", "io:1,cpu:2"))
    assert [s.name for s in cfg.stages] == ["S1", "S2"] and cfg.allocation == ()


@pytest.mark.parametrize("text, problem", [
    ('mesages = 5\n[[stage]]\nkind = "io"\nms = 1\n', "unknown key(s) mesages"),
    ('[[stage]]\nkind = "disk"\nms = 1\n', "kind 'disk' is not one of io, cpu, mixed"),
    ('[[stage]]\nkind = "io"\nms = -1\n', "ms must be a number from 0 to 60000"),
    ('[[stage]]\nkind = "io"\n', "stage 1: needs kind and ms"),
    ('[[stage]]\nkind = "io"\nms = 1\nspeed = 2\n', "stage 1: unknown key(s) speed"),
    ('[[stage]]\nkind = "io"\nms = 1\n[allocation]\nS9 = 2\n', "names stage 'S9'"),
    ('window = 0\n[[stage]]\nkind = "io"\nms = 1\n', "window must be an integer >= 1"),
    ("messages = 5\n", "at least one [[stage]] is needed"),
    ("[[stage]\n", "not valid TOML"),
])
def test_bad_files_are_refused_naming_the_file_and_key(tmp_path: Path, text: str,
                                                        problem: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ConfigError) as err:
        load(f)
    assert str(f) in str(err.value) and problem in str(err.value)


def test_bad_flags_are_refused() -> None:
    with pytest.raises(ConfigError, match="not kind:ms"):
        _config(args("--stages", "io"))
    with pytest.raises(ConfigError, match="NAME one of"):
        _config(args("--stage", "S9=io:1"))
    with pytest.raises(ConfigError, match="gives 2 counts for 4 stages"):
        _config(args("--alloc", "1,2"))
    assert parse_alloc("S2=0,S1=3", ["S1", "S2", "S3"]) == (3, 0, 1)
