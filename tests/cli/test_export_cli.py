"""`hpdesk export` as a person meets it: files pandas reads, stdout, one-line errors with the
usual exit codes, --force, and the TensorBoard extra."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from hpdesk.cli import build_parser, main
from tests.analysis.results_db import ResultsDb, make_results_db


@pytest.fixture
def db(tmp_path: Path) -> ResultsDb:
    return make_results_db(tmp_path)


def export(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["export", *args])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    assert err.startswith("hpdesk: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_help_lists_export_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert "export     write trials or metrics" in build_parser().format_help()
    for kind in ("trials", "metrics", "experiments", "tensorboard"):
        with pytest.raises(SystemExit):
            main(["export", kind, "--help"])
        assert "Example:\n  hpdesk export" in capsys.readouterr().out
    code, _, err = export(capsys)
    assert code == 2 and "trials, metrics, experiments or tensorboard" in one_line(err)


def test_trials_and_metrics_to_files(db: ResultsDb, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    trials, metrics = tmp_path / "t.csv", tmp_path / "m.jsonl"
    code, out, _ = export(capsys, "trials", "--db", str(db.path), "-o", str(trials))
    assert code == 0 and out == f"wrote 4 trials to {trials} (csv)\n"
    df = pd.read_csv(trials, parse_dates=["started_at", "ended_at"])
    assert list(df["experiment_id"]) == [db.classification] * 3 + [db.script]
    assert isinstance(df["started_at"].dtype, pd.DatetimeTZDtype)
    code, out, _ = export(capsys, "metrics", "--db", str(db.path), "--experiment",
                          str(db.script), "-o", str(metrics))  # .jsonl: JSON Lines
    assert code == 0 and out == f"wrote 2 metric points to {metrics} (jsonl)\n"
    rows = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert [(r["name"], r["value"]) for r in rows] == [("acc", 0.8), ("latency_ms", 12.5)]


def test_dash_writes_to_stdout(db: ResultsDb, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = export(capsys, "metrics", "--db", str(db.path), "--experiment",
                            str(db.classification), "--format", "jsonl", "-o", "-")
    assert code == 0 and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 10 and rows[0]["value"] is None  # the NaN point
    code, out, _ = export(capsys, "experiments", "--db", str(db.path), "-o", "-")
    assert code == 0 and out.splitlines()[0].startswith("id,name,task,state,created_at")


def test_an_existing_file_needs_force(db: ResultsDb, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "t.csv"
    target.write_text("mine\n")
    code, _, err = export(capsys, "trials", "--db", str(db.path), "-o", str(target))
    assert code == 2 and "exists; pass --force" in one_line(err)
    assert target.read_text() == "mine\n"
    code, _, _ = export(capsys, "trials", "--db", str(db.path), "-o", str(target), "--force")
    assert code == 0 and target.read_text().startswith("id,experiment_id,number,")


def test_errors_are_one_sentence(db: ResultsDb, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "x.csv"
    code, _, err = export(capsys, "trials", "--db", str(db.path), "--experiment", "99",
                          "-o", str(target))
    assert code == 1 and "no experiment 99" in one_line(err) and not target.exists()
    code, _, err = export(capsys, "metrics", "--db", str(tmp_path / "nope.db"), "-o",
                          str(target))
    assert code == 1 and "does not exist" in one_line(err)
    assert not (tmp_path / "nope.db").exists()
    code, _, err = export(capsys, "trials", "--db", str(db.path), "-o",
                          str(tmp_path / "no" / "x.csv"))
    assert code == 2 and "the folder" in one_line(err)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_full_disk_is_said(db: ResultsDb, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = export(capsys, "metrics", "--db", str(db.path), "-o", "/dev/full")
    assert code == 1 and "cannot write /dev/full: the disk is full" in one_line(err)


def test_tensorboard(db: ResultsDb, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "runs"
    code, out, _ = export(capsys, "tensorboard", "--db", str(db.path), "-o", str(out_dir))
    assert code == 0 and out == (f"wrote 4 trial runs (12 scalars) of 2 experiments to "
                                 f"{out_dir}\n")
    assert (out_dir / f"experiment-{db.script}" / "trial-0").is_dir()
    code, _, err = export(capsys, "tensorboard", "--db", str(db.path), "-o", str(out_dir))
    assert code == 2 and "pass --force" in one_line(err)
    code, _, _ = export(capsys, "tensorboard", "--db", str(db.path), "-o", str(out_dir),
                        "--force")
    assert code == 0
    code, _, err = export(capsys, "tensorboard", "--db", str(db.path), "-o", str(db.path))
    assert code == 2 and "is a file" in one_line(err)


def test_tensorboard_without_the_extra(db: ResultsDb, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] == "tensorboardX"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    code, _, err = export(capsys, "tensorboard", "--db", str(db.path), "-o",
                          str(tmp_path / "runs"))
    assert code == 2 and "pip install 'hpdesk[tensorboard]'" in one_line(err)
