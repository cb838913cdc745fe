"""Security as docs/security.md states it, each measure met the way a person (or an attacker)
would: file modes after a real `hpdesk run` and `hpdesk start`, secrets that reach the trial but
never the database or a log, the command printed before it runs and confirmed in the window,
and an audit of the source for code that loading a file could execute."""

from __future__ import annotations

import ast
import doctest
import os
import sqlite3
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from hpdesk.plan import dumps_plan, load_plan, parse_plan
from hpdesk.plan import secrets as plan_secrets
from hpdesk.plan.secrets import looks_secret, mask_argv, mask_text
from hpdesk.store import Store

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

#: Every secret the run below is given; none may be found in what hpdesk writes.
SECRETS = {
    "API_TOKEN": "tok-plain-1234",  # plain `NAME: text`, a name that looks secret
    "MY_SETTING": "explicit-secret-5678",  # `{value: ..., secret: true}`
    "FROM_ENV": "from-env-9012",  # `{secret: true}`: from the launching environment
    "DATA_URL": "https://reader:url-pass-3456@example.org/d",  # a URL password in a value
    "DB_PASSWORD": "hunter2-db-7890",  # the launching environment, a secret-looking name
    "HTTP_PROXY": "http://proxy-user:proxy-pass-1357@proxy:3128",  # a recorded variable
}
SECRET_TEXTS = ("tok-plain-1234", "explicit-secret-5678", "from-env-9012", "url-pass-3456",
                "hunter2-db-7890", "proxy-pass-1357")

_TRAIN = """\
import os
import hpdesk.sdk as sdk

params = sdk.params({"lr": 0.1})
ok = all(os.environ.get(name) == value for name, value in %r.items())
with open("out.txt", "w") as fh:  # the script's own file: the person's umask, not hpdesk's
    fh.write("written by the trial")
sdk.report(0, val_acc=1.0 if ok else 0.0)
"""


def _train(*names: str) -> str:
    """A one-step script whose objective is 1 when it was given each named secret's value."""
    return _TRAIN % ({name: SECRETS[name] for name in names},)


def _plan(tmp: Path, **changes: object) -> Path:
    plan = {
        "hpdesk": 1, "task": "script", "name": "secure", "command": ["python", "train.py"],
        "workdir": "project", "params_style": "flags", "strategy": "grid",
        "objective": {"metric": "val_acc", "direction": "maximize"}, "budget": {"trials": 1},
        "env": {"API_TOKEN": SECRETS["API_TOKEN"],
                "MY_SETTING": {"value": SECRETS["MY_SETTING"], "secret": True},
                "FROM_ENV": {"secret": True}, "DATA_URL": SECRETS["DATA_URL"], "MODE": "fast"},
        "space": {"lr": 0.1}, **changes}
    path = tmp / "plan.yaml"  # outside the project folder, which is copied into trial folders
    path.write_text(yaml.safe_dump(plan, sort_keys=False))
    return path


def _environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HPDESK_")}
    env.update(XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               XDG_STATE_HOME=str(home / "state"), XDG_CACHE_HOME=str(home / "cache"),
               QT_QPA_PLATFORM="offscreen", **extra)
    return env


def _hpdesk(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command, started with the everyday umask 022 (files readable by all)."""
    return subprocess.run([PYTHON, "-m", "hpdesk.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env, umask=0o022)


@dataclass
class SecuredRun:
    home: Path
    db: Path
    run: subprocess.CompletedProcess[str]
    start: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> SecuredRun:
    """One `hpdesk run` and one `hpdesk start` (detached scheduler) of a one-trial script plan,
    into the default database of a fresh data folder, given every kind of secret."""
    home = tmp_path_factory.mktemp("security")
    project = home / "project"
    (project / "data").mkdir(parents=True)
    (project / "train.py").write_text(_train(*SECRETS))
    plan = _plan(home)
    env = _environment(home, FROM_ENV=SECRETS["FROM_ENV"], DB_PASSWORD=SECRETS["DB_PASSWORD"],
                       HTTP_PROXY=SECRETS["HTTP_PROXY"])
    run = _hpdesk("run", str(plan), env=env, cwd=home)
    start = _hpdesk("start", str(plan), env=env, cwd=home)
    db = home / "data" / "hpdesk" / "hpdesk.db"
    if start.returncode == 0:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with Store(db) as store:
                if store.experiment(2).state not in ("created", "running"):
                    break
            time.sleep(0.1)
    return SecuredRun(home, db, run, start)


@pytest.mark.timeout(180)
def test_both_runs_give_the_trial_every_secret(secured: SecuredRun) -> None:
    assert secured.run.returncode == 0, secured.run.stderr
    assert secured.start.returncode == 0, secured.start.stderr
    with Store(secured.db) as store:
        trials = [t for e in (1, 2) for t in store.trials(e)]
        assert [(t.state, t.objective) for t in trials] == [("completed", 1.0)] * 2, \
            "the trial (started here, and by a detached scheduler) saw every secret value"


@pytest.mark.timeout(180)
def test_every_file_and_folder_hpdesk_made_is_the_users_alone(secured: SecuredRun) -> None:
    data = secured.home / "data"
    seen: dict[str, int] = {}
    for folder, dirs, files in os.walk(data):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                continue  # a trial folder's link to the project's data/ (no mode of its own)
            seen[str(path.relative_to(data))] = stat.S_IMODE(info.st_mode)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700, "the data folder hpdesk created"
    runs = "hpdesk/hpdesk-runs"
    expected = {"hpdesk", "hpdesk/hpdesk.db", "hpdesk/hpdesk.db-writers.lock", runs,
                f"{runs}/experiment-1", f"{runs}/experiment-1/trial-0",
                f"{runs}/experiment-1/trial-0.log", f"{runs}/experiment-1/trial-0/params.json",
                f"{runs}/experiment-1/trial-0/train.py", f"{runs}/experiment-2/scheduler.log",
                f"{runs}/experiment-2/trial-0.log"}
    assert expected <= set(seen), sorted(expected - set(seen))
    for name, mode in seen.items():
        if name.endswith("/out.txt"):  # the training script's own file: the person's umask
            assert mode == 0o644, (name, oct(mode))
        elif (data / name).is_dir():
            assert mode == 0o700, (name, oct(mode))
        else:
            assert mode == 0o600, (name, oct(mode))
    # SQLite gives its -wal and -shm files the database's mode, whoever opens it (here this
    # test, whose umask would allow 0644).
    with sqlite3.connect(secured.db) as conn:
        conn.execute("SELECT COUNT(*) FROM trials").fetchone()
        for side in ("-wal", "-shm"):
            path = Path(f"{secured.db}{side}")
            assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600, side
    conn.close()


@pytest.mark.timeout(180)
def test_no_secret_is_stored_in_the_database_or_any_log(secured: SecuredRun) -> None:
    with sqlite3.connect(secured.db) as conn:
        dump = "\n".join(conn.iterdump())
    conn.close()
    raw = b"".join(Path(f"{secured.db}{s}").read_bytes() for s in ("", "-wal")
                   if Path(f"{secured.db}{s}").exists())
    logs = {str(p): p.read_text(errors="replace")
            for p in (secured.home / "data").rglob("*.log")}
    outputs = [secured.run.stdout, secured.run.stderr, secured.start.stdout, secured.start.stderr]
    for text in SECRET_TEXTS:
        assert text not in dump and text.encode() not in raw, text
        assert not [name for name, log in logs.items() if text in log], text
        assert not [out for out in outputs if text in out], text
    with Store(secured.db) as store:
        plan = store.experiment(1).plan
        trial = store.trials(1)[0]
    assert plan["env"] == {"API_TOKEN": {"secret": True}, "MY_SETTING": {"secret": True},
                           "FROM_ENV": {"secret": True}, "DATA_URL": {"secret": True},
                           "MODE": "fast"}
    recorded = (trial.provenance or {})["env"]
    assert recorded["HTTP_PROXY"] == "http://proxy-user:***@proxy:3128"
    assert not {"API_TOKEN", "MY_SETTING", "FROM_ENV", "DATA_URL", "DB_PASSWORD"} & set(recorded)


@pytest.mark.timeout(180)
def test_run_prints_the_command_before_it_runs(secured: SecuredRun) -> None:
    lines = secured.run.stdout.splitlines()
    assert lines[0] == f"trial 0 runs: {PYTHON} train.py --lr 0.1", lines[:3]
    assert lines[1].startswith(f"  from: {secured.home / 'project'}")
    assert lines[2] == ("  env: API_TOKEN=*** MY_SETTING=*** DATA_URL=*** MODE=fast "
                        "FROM_ENV=(from the environment)")
    assert lines[3].startswith("experiment 1 "), "printed before the experiment starts"
    assert secured.start.stdout.splitlines()[0] == lines[0]
    # resume prints the stored plan's: no secret value is there to show
    out = _hpdesk("resume", "1", "--foreground", env=_environment(secured.home),
                  cwd=secured.home)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[:3] == [lines[0], lines[1], (
        "  env: MODE=fast API_TOKEN=(from the environment) MY_SETTING=(from the environment) "
        "DATA_URL=(from the environment) FROM_ENV=(from the environment)")]


@pytest.mark.timeout(60)
def test_a_missing_secret_or_a_password_in_the_command_is_refused_before_anything(
        tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    db = tmp_path / "x.db"
    env = _environment(tmp_path)  # FROM_ENV is not set
    out = _hpdesk("run", str(_plan(tmp_path)), "--db", str(db), env=env, cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [
        f"{tmp_path / 'plan.yaml'}: env.FROM_ENV: expected FROM_ENV set in the environment (a "
        "secret is never stored), found it unset"]
    plan = _plan(tmp_path, command=["python", "train.py", "--data", "https://u:cmd-pass@h/x"],
                 env={})
    out = _hpdesk("run", str(plan), "--db", str(db), env=env, cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    (line,) = out.stderr.strip().splitlines()
    assert "command[3]" in line and "https://u:***@h/x" in line and "cmd-pass" not in line
    assert "cmd-pass" not in out.stdout
    assert not db.exists(), "refused before the database was created"


@pytest.mark.timeout(60)
def test_the_window_and_plan_files_it_writes_are_private(tmp_path: Path) -> None:
    """The window (settings, its log, the default database) and `plan new` under umask 022."""
    env = _environment(tmp_path, HPDESK_QUIT_AFTER_MS="300")
    out = _hpdesk("gui", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    out = _hpdesk("plan", "new", "--task", "classification", "-o", str(tmp_path / "new.yaml"),
                  env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    made = [tmp_path / "new.yaml"]
    for top in ("data", "config", "state", "cache"):
        if (tmp_path / top).exists():
            made += [tmp_path / top, *(tmp_path / top).rglob("*")]
    assert any(p.suffix == ".ini" for p in made), "the window saved its settings"
    assert any(p.name == "hpdesk.db" for p in made)
    wrong = {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in made
             if stat.S_IMODE(p.stat().st_mode) != (0o700 if p.is_dir() else 0o600)}
    assert wrong == {}


# ---- masking, unit by unit -------------------------------------------------------------------

def test_the_secrets_module_examples_hold() -> None:
    result = doctest.testmod(plan_secrets)
    assert result.attempted >= 5 and result.failed == 0


@pytest.mark.parametrize("name", [
    "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "WANDB_API_KEY", "OPENAI_API_KEY", "KAGGLE_KEY",
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GITHUB_TOKEN", "DB_PASSWORD", "PGPASSWORD",
    "MYSQL_PWD", "SMTP_PASS", "NGROK_AUTHTOKEN", "GOOGLE_APPLICATION_CREDENTIALS",
    "SSH_PRIVATE_KEY", "MLFLOW_TRACKING_PASSWORD", "BASIC_AUTH", "apiKey", "GHTOKEN",
    "SESSION_COOKIE", "JWT", "PASSPHRASE"])
def test_secret_looking_names(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize("name", [
    "PATH", "PWD", "OLDPWD", "HOME", "TOKENIZERS_PARALLELISM", "CUDA_VISIBLE_DEVICES",
    "PYTHONPATH", "KEYBOARD_LAYOUT", "XAUTHORITY", "SESSION_MANAGER", "MAX_TOKENS",
    "HPDESK_TRIAL_ID", "OMP_NUM_THREADS", "AUTHOR_NAME", "PASSTHROUGH"])
def test_names_that_are_not_secret(name: str) -> None:
    assert not looks_secret(name)


def test_urls_options_and_pairs_are_masked() -> None:
    assert mask_text("http://u:p@h:1") == "http://u:***@h:1"
    assert mask_text("postgresql://me:p@ss:w0rd@db:5432/x") == "postgresql://me:***@db:5432/x"
    assert mask_text("http://host:8080/a@b and http://u@h") == "http://host:8080/a@b and http://u@h"
    assert mask_text("Endpoint=x;AccountKey=abc==;Name=y") == "Endpoint=x;AccountKey=***;Name=y"
    assert mask_argv(["python", "t.py", "--password", "pw", "--api-key=k", "--lr", "-1e-3",
                      "--pad-token", "<pad>", "--text-key", "text", "--token", "--x",
                      "--proxy", "http://a:b@c"]) == [
        "python", "t.py", "--password", "***", "--api-key=***", "--lr", "-1e-3",
        "--pad-token", "<pad>", "--text-key", "text", "--token", "--x",
        "--proxy", "http://a:***@c"]


def test_a_plans_secret_env_values_never_leave_it() -> None:
    plan = parse_plan({
        "hpdesk": 1, "task": "script", "command": ["python", "t.py"],
        "objective": {"metric": "loss"}, "space": {"lr": 0.1},
        "env": {"HF_TOKEN": "hf_abcdef", "K": {"value": "kval", "secret": True},
                "OWN": {"secret": True}, "MY_KEY_NAME": {"value": "public", "secret": False},
                "PLAIN": 3}})
    assert plan.env == {"HF_TOKEN": "hf_abcdef", "K": "kval", "MY_KEY_NAME": "public",
                        "PLAIN": "3"}
    stored = plan.to_dict()["env"]
    assert stored == {"HF_TOKEN": {"secret": True}, "K": {"secret": True},
                      "MY_KEY_NAME": {"value": "public", "secret": False}, "PLAIN": "3",
                      "OWN": {"secret": True}}
    for fmt in ("yaml", "toml", "json"):
        text = dumps_plan(plan, fmt)
        assert "hf_abcdef" not in text and "kval" not in text and "public" in text
    assert parse_plan(plan.to_dict()).to_dict() == plan.to_dict()  # stable once stored


@pytest.mark.parametrize("entry, needle", [
    ({"value": "v", "secrt": True}, "env.X.secrt"),
    ({"secret": False}, "env.X: expected a value"),
    ({"value": ["a"]}, "env.X.value: expected a text"),
    (None, "env.X: expected a text"),
])
def test_bad_env_entries_are_named_without_their_value(entry: object, needle: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_plan({"hpdesk": 1, "task": "script", "command": ["python", "t.py"],
                    "objective": {"metric": "loss"}, "space": {"lr": 0.1},
                    "env": {"X": entry}})
    assert needle in str(caught.value)


# ---- the audit: nothing hpdesk loads can run code, nothing goes through a shell -------------

_UNSAFE_MODULES = {"pickle", "cPickle", "dill", "cloudpickle", "marshal", "shelve", "joblib",
                   "jsonpickle"}
_UNSAFE_YAML = {"unsafe_load", "full_load", "load_all", "unsafe_load_all", "full_load_all",
                "Loader", "FullLoader", "UnsafeLoader", "UnsafeConstructor", "FullConstructor"}


def _problems(path: Path, module: str | None) -> list[str]:
    """What in the source file `path` (the module `module`) could run code while loading a
    file, or run through a shell."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []

    def where(node: ast.AST) -> str:
        return f"{path.name}:{getattr(node, 'lineno', '?')}"

    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                node.module or ""]
            found += [f"{where(node)} imports {n}" for n in names
                      if n.split(".")[0] in _UNSAFE_MODULES]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "yaml" and node.attr in _UNSAFE_YAML:
                found.append(f"{where(node)} uses yaml.{node.attr}")
            if node.value.id == "os" and node.attr in ("system", "popen"):
                found.append(f"{where(node)} uses os.{node.attr}")
        elif isinstance(node, ast.Call):
            func = node.func
            keywords = {k.arg: k.value for k in node.keywords}
            if isinstance(func, ast.Name) and func.id in ("eval", "exec", "compile"):
                found.append(f"{where(node)} calls {func.id}()")
            if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
                continue
            owner, attr = func.value.id, func.attr
            shell = keywords.get("shell")
            if isinstance(shell, ast.Constant) and shell.value is not False:
                found.append(f"{where(node)} runs through a shell")
            if owner == "yaml" and attr == "load" and not _safe_loader(
                    module, keywords.get("Loader")):
                found.append(f"{where(node)} yaml.load without a SafeLoader")
            if owner == "torch" and attr == "load":
                weights = keywords.get("weights_only")
                if not (isinstance(weights, ast.Constant) and weights.value is True):
                    found.append(f"{where(node)} torch.load without weights_only=True")
            if owner in ("np", "numpy") and attr == "load":
                pickled = keywords.get("allow_pickle")
                if not (isinstance(pickled, ast.Constant) and pickled.value is False):
                    found.append(f"{where(node)} np.load without allow_pickle=False")
    return found


def _safe_loader(module: str | None, loader: ast.expr | None) -> bool:
    """Whether the `Loader=` of a yaml.load call in `module` builds only plain Python objects:
    the expression is evaluated in its own module (hpdesk's source, not a file it reads)."""
    import importlib

    from yaml.constructor import FullConstructor, SafeConstructor

    if loader is None or module is None:
        return False
    try:
        cls = eval(ast.unparse(loader),  # noqa: S307  (our own source)
                   vars(importlib.import_module(module)))
    except Exception:
        return False
    return (isinstance(cls, type) and issubclass(cls, SafeConstructor)
            and not issubclass(cls, FullConstructor))


def test_loading_a_file_never_runs_code_and_nothing_runs_through_a_shell() -> None:
    sources = sorted((ROOT / "hpdesk").rglob("*.py"))
    assert len(sources) > 100
    problems = [p for path in sources for p in _problems(
        path, ".".join(path.relative_to(ROOT).with_suffix("").parts))]
    assert problems == []


def test_the_audit_would_catch_each_unsafe_habit(tmp_path: Path) -> None:
    bad = tmp_path / "probe.py"
    bad.write_text("import pickle\nimport yaml, torch, numpy as np, subprocess, os\n"
                   "yaml.load(t, Loader=yaml.Loader)\nyaml.unsafe_load(t)\neval('1')\n"
                   "torch.load(p)\nnp.load(p, allow_pickle=True)\n"
                   "subprocess.run('ls', shell=True)\nos.system('ls')\n")
    found = _problems(bad, None)
    lines = sorted(int(f.split(":")[1].split()[0]) for f in found)
    assert lines == [1, 3, 3, 4, 5, 6, 7, 8, 9], found  # line 3: yaml.load, and yaml.Loader


# ---- the window: a plan from a file that runs a command is shown and confirmed ---------------

@pytest.mark.timeout(120)
def test_the_window_shows_a_plans_command_and_asks_before_it_may_run(
        qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from hpdesk.gui.base import command_confirm
    from hpdesk.gui.base.command_confirm import CommandConfirmDialog
    from hpdesk.gui.base.settings import Settings
    from hpdesk.gui.shell.main_window import MainWindow
    from hpdesk.runner import control

    for name in SECRETS:  # the window exports secret values to its environment: undo after
        monkeypatch.setenv(name, "unset")
        monkeypatch.delenv(name)
    monkeypatch.setenv("FROM_ENV", SECRETS["FROM_ENV"])
    project = tmp_path / "project"
    project.mkdir()
    (project / "train.py").write_text(_train("API_TOKEN", "MY_SETTING", "FROM_ENV"))
    path = _plan(tmp_path, command=[PYTHON, "train.py"],
                 env={k: v for k, v in _plan_env().items() if k != "DATA_URL"},
                 workdir=str(project))
    window = MainWindow(Settings(tmp_path / "settings.ini"), tmp_path / "x.db", "en")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.store is not None, timeout=10_000)
    before = window.workbench.plan()
    shown: list[str] = []

    def answer(allow: bool) -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, CommandConfirmDialog):
            QTimer.singleShot(20, lambda: answer(allow))  # not open yet
            return
        shown.append(dialog.text.toPlainText())
        (dialog.allow_button if allow else dialog.cancel_button).click()

    QTimer.singleShot(0, lambda: answer(False))
    assert window.open_plan_file(path) is False
    assert shown and shown[0].splitlines()[0] == f"{PYTHON} train.py --lr 0.1"
    assert "API_TOKEN=***" in shown[0] and "FROM_ENV=(from your environment)" in shown[0]
    assert not any(text in shown[0] for text in SECRET_TEXTS)
    assert window.workbench.plan() == before, "cancelled: the plan was not opened"

    QTimer.singleShot(0, lambda: answer(True))
    assert window.open_plan_file(path) is True
    plan = window.workbench.plan()
    assert plan == load_plan(path) and command_confirm.allowed(plan)
    asked: list[str] = []

    def question(parent: object, title: str, text: str) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr("hpdesk.gui.actions.trials.QMessageBox.question", question)
    window.launch()
    qtbot.waitUntil(lambda: window.experiment is not None, timeout=30_000)
    assert asked == [], "allowed when opened: Launch does not ask again"
    assert window.experiment is not None
    experiment_id = window.experiment.id
    try:
        with Store(window.db_path) as store:
            deadline = time.monotonic() + 60
            while store.experiment(experiment_id).state in ("created", "running"):
                assert time.monotonic() < deadline, "the experiment did not end"
                qtbot.wait(100)
            (trial,) = store.trials(experiment_id)
            assert (trial.state, trial.objective) == ("completed", 1.0), trial.message
    finally:
        with Store(window.db_path) as store:
            for exp in store.experiments():
                if control.request_stop(store, exp.id):
                    control.wait_stopped(store, exp.id, 30)
        window.close()


def _plan_env() -> dict[str, object]:
    return {"API_TOKEN": SECRETS["API_TOKEN"],
            "MY_SETTING": {"value": SECRETS["MY_SETTING"], "secret": True},
            "FROM_ENV": {"secret": True}, "MODE": "fast"}
