"""The SDK in real subprocesses: inside hpdesk (SQLite) and outside it (stdout JSON lines)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hpdesk.store import Store
from tests.waiting import wait_until


def _run(code: str, env: dict[str, str] | None = None, args: list[str] | None = None,
         **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *(args or [])],
        env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=60, **kw,
    )


@pytest.fixture()
def trial_db(tmp_path: Path) -> tuple[Path, int]:
    path = tmp_path / "t.db"
    with Store(path) as store:
        exp = store.create_experiment("e", "script", {})
        return path, store.add_trial(exp.id, {"lr": 0.1}).id


def _env(db: Path, trial_id: int, **extra: str) -> dict[str, str]:
    return {"HPDESK_DB": str(db), "HPDESK_TRIAL_ID": str(trial_id), **extra}


def test_outside_hpdesk_defaults_and_json_lines() -> None:
    out = _run("""
        from hpdesk import sdk
        p = sdk.params({"lr": 0.5, "epochs": 2})
        for s in range(3):
            sdk.report(s, loss=1.0 / (s + 1), acc=s / 10)
        print("params", p)
    """)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines == [{"step": 0, "loss": 1.0, "acc": 0.0}, {"step": 1, "loss": 0.5, "acc": 0.1},
                     {"step": 2, "loss": 1 / 3, "acc": 0.2}]
    assert "params {'lr': 0.5, 'epochs': 2}" in out.stdout


def test_params_file_on_command_line_overrides_defaults(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text('{"lr": 0.001, "extra": "x"}')
    (tmp_path / "p.toml").write_text('lr = 0.002\n')
    code = "from hpdesk import sdk; print(sdk.params({'lr': 0.5, 'epochs': 2}))"
    assert "{'lr': 0.001, 'epochs': 2, 'extra': 'x'}" in _run(
        code, args=["--params", str(tmp_path / "p.json")]).stdout
    assert "'lr': 0.002" in _run(code, args=[f"--params={tmp_path / 'p.toml'}"]).stdout
    bad = _run(code, args=["--params", str(tmp_path / "missing.json")])
    assert bad.returncode != 0 and "cannot read parameter file" in bad.stderr


def test_inside_hpdesk_points_and_events_land_in_sqlite(trial_db: tuple[Path, int]) -> None:
    db, tid = trial_db
    out = _run("""
        from hpdesk import sdk
        p = sdk.params({"lr": 0.5, "epochs": 2})
        assert p == {"lr": 0.1, "epochs": 2}, p
        for s in range(2500):
            sdk.report(s, loss=float(s))
        sdk.report(2500, loss=float("nan"))
        sdk.event("diverged", "loss is nan", step=2500, level="warning")
    """, env=_env(db, tid, HPDESK_PARAMS=json.dumps({"lr": 0.1})))
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
    with Store(db) as store:
        steps, values = store.series(tid, "loss")
        assert steps == list(range(2501))
        assert values[-1] is None and values[10] == 10.0
        (event,) = store.events(trial_id=tid)
        assert (event.kind, event.step) == ("diverged", 2500)


def test_sigterm_flushes_buffered_points(trial_db: tuple[Path, int]) -> None:
    db, tid = trial_db
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import time, sys
            from hpdesk import sdk
            sdk.params()
            for s in range(5):
                sdk.report(s, loss=1.0)
            print("ready", flush=True)
            time.sleep(60)
        """)],
        env={**os.environ, **_env(db, tid)}, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == -signal.SIGTERM  # ended as SIGTERM ends a process, points saved
    with Store(db) as store:
        assert store.series(tid, "loss")[0] == [0, 1, 2, 3, 4]


def test_should_stop_after_sigterm_lets_the_loop_finish(trial_db: tuple[Path, int]) -> None:
    db, tid = trial_db
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import time
            from hpdesk import sdk
            sdk.params()
            s = 0
            while not sdk.should_stop():
                sdk.report(s, loss=1.0)
                s += 1
                if s == 3:
                    print("ready", flush=True)
                time.sleep(0.01)
            sdk.report(s, done=1.0)
        """)],
        env={**os.environ, **_env(db, tid)}, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    with Store(db) as store:
        assert store.series(tid, "done")[1] == [1.0]


def test_should_stop_sees_a_stop_requested_in_the_database(trial_db: tuple[Path, int]) -> None:
    db, tid = trial_db
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import time
            from hpdesk import sdk
            sdk.params()
            print("ready", flush=True)
            t0 = time.time()
            while not sdk.should_stop():
                time.sleep(0.01)
                if time.time() - t0 > 30:
                    raise SystemExit(9)
        """)],
        env={**os.environ, **_env(db, tid)}, stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    with Store(db) as store:
        store.update_trial(tid, requested_state="stopped")
    assert proc.wait(30) == 0


def test_time_based_flush_makes_points_visible_while_running(trial_db: tuple[Path, int]) -> None:
    db, tid = trial_db
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import time
            from hpdesk import sdk
            sdk.params()
            for s in range(40):
                sdk.report(s, loss=1.0)
                time.sleep(0.05)
            time.sleep(30)
        """)],
        env={**os.environ, **_env(db, tid)},
    )
    try:
        with Store(db) as store:
            # The last point comes with no report after it (the script then computes for 30 s):
            # only the timer can write it. Points flushed by the next report() alone would pass
            # a check of step 20, and fail this one.
            wait_until(lambda: store.last_step(tid) == 39, 20, what="step 39 to be written")
    finally:
        proc.kill()
        proc.wait()


def test_importing_the_sdk_stays_light() -> None:
    out = _run("""
        import sys
        import hpdesk.sdk
        heavy = {"torch", "numpy", "yaml", "sqlite_utils", "optuna", "PySide6"} & set(sys.modules)
        print(sorted(heavy))
    """)
    assert out.stdout.strip() == "[]", out.stderr
