"""The command line as a person meets it: exit codes, one-line errors, no tracebacks, docs."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from hpdesk.cli import build_parser
from hpdesk.plan import load_plan

ROOT = Path(__file__).resolve().parents[1]


def hpdesk(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hpdesk.cli", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


BROKEN_FILES = {
    "types.yaml": ("hpdesk: 1\ntask: classification\nconcurrency: many\nspace: {lr: 0.1}\n",
                   "concurrency"),
    "minmax.yaml": ("hpdesk: 1\ntask: classification\nspace:\n"
                    "  lr: {type: float, low: 0.1, high: 0.001}\n",
                    "space.lr.low"),
    "logzero.toml": ('hpdesk = 1\ntask = "classification"\n[space]\n'
                     'weight_decay = { type = "float", low = 0.0, high = 1e-4, log = true }\n',
                     "space.weight_decay.low"),
    "optimiser.json": ('{"hpdesk": 1, "task": "classification", "space": {"optimizer": "adamw2"}}',
                       "space.optimizer.value"),
    "empty.yaml": ("", "empty file"),
    "tag.yaml": ("hpdesk: 1\ntask: !!python/object/apply:os.system ['touch pwned']\n",
                 "YAML error"),
}


@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
def test_broken_plan_files_exit_2_with_one_line_each(tmp_path: Path, name: str) -> None:
    text, needle = BROKEN_FILES[name]
    path = tmp_path / name
    path.write_text(text)
    out = hpdesk("plan", "validate", str(path), cwd=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr + out.stdout
    lines = out.stderr.strip().splitlines()
    assert lines and all(line.startswith(str(path)) for line in lines)
    assert any(needle in line for line in lines), lines
    assert not (tmp_path / "pwned").exists()


def test_binary_junk_and_missing_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(bytes(range(256)) * 8)
    out = hpdesk("plan", "validate", str(junk), str(tmp_path / "nope.yaml"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "binary data" in out.stderr and "no such file" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 2


def test_run_refuses_a_broken_plan_without_touching_the_database(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("hpdesk: 1\ntask: classification\nspace: {lr: -1}\n")
    out = hpdesk("run", str(bad), "--db", str(tmp_path / "x.db"))
    assert out.returncode == 2 and "space.lr.value" in out.stderr
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("task", ["classification", "detection", "gan", "script"])
@pytest.mark.parametrize("suffix", [".yaml", ".toml"])
def test_plan_new_writes_a_valid_commented_plan(tmp_path: Path, task: str, suffix: str) -> None:
    path = tmp_path / f"{task}{suffix}"
    out = hpdesk("plan", "new", "--task", task, "-o", str(path))
    assert out.returncode == 0, out.stderr
    text = path.read_text()
    assert text.startswith("# hpdesk plan") and "tier 1 (tune first)" in text
    assert load_plan(path).task == task
    ok = hpdesk("plan", "validate", str(path))
    assert ok.returncode == 0 and "valid" in ok.stdout
    again = hpdesk("plan", "new", "--task", task, "-o", str(path))
    assert again.returncode == 2 and "--force" in again.stderr


def test_plan_new_options(tmp_path: Path) -> None:
    out = hpdesk("plan", "new", "--task", "classification", "--optimizer", "sgd",
                 "--fine-tune", "-o", str(tmp_path / "p.yaml"))
    assert out.returncode == 0
    lr = load_plan(tmp_path / "p.yaml").space["lr"]
    assert (lr.low, lr.high) == (1e-4, 1e-2)  # SGD's [1e-2, 1e-1] lowered for fine-tuning
    bad = hpdesk("plan", "new", "--task", "classification", "--optimizer", "lion",
                 "-o", str(tmp_path / "q.yaml"))
    assert bad.returncode == 2 and "lion" in bad.stderr and "Traceback" not in bad.stderr


def test_validate_prints_advice_in_either_language(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("hpdesk: 1\ntask: classification\nspace:\n  dropout: 0.7\n  epochs: 2\n")
    en = hpdesk("plan", "validate", str(path))
    zh = hpdesk("plan", "validate", "--lang", "zh", str(path))
    assert en.returncode == zh.returncode == 0
    assert "warning" in en.stdout and "0.5" in en.stdout
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.stdout)
    # Sources in the reader's language: the guide by its own section title.
    assert "the guide, “Suitable ranges of some hyperparameters”" in en.stdout
    assert "指南《部分超参数合适范围》" in zh.stdout and "the guide" not in zh.stdout


def test_reading_commands_on_a_missing_database(tmp_path: Path) -> None:
    for cmd in ("trials", "experiments"):
        out = hpdesk(cmd, "--db", str(tmp_path / "none.db"))
        assert out.returncode == 1 and "does not exist" in out.stderr
        assert not (tmp_path / "none.db").exists()
    out = hpdesk("trials", "--db", str(tmp_path / "x.db"), "--experiment", "3")
    assert out.returncode == 1


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    parser = build_parser()
    commands = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                assert sub.description, name
                commands.append(name)
                for inner in sub._actions:
                    if isinstance(inner, argparse._SubParsersAction):
                        for inner_name, inner_sub in inner.choices.items():
                            assert inner_sub.description
                            commands.append(f"{name} {inner_name}")
    assert {"run", "trials", "plan validate", "plan new", "demo"} <= set(commands)
    for command in commands:
        assert f"`hpdesk {command}" in readme, command
    out = hpdesk("--help")
    assert out.returncode == 0 and "run" in out.stdout
