"""The warm template process: torch and the built-in tasks imported once, each trial forked.

A fresh Python needs about 4 s before its first metric (2 s to import torch, 2 s more on the first
optimiser, which imports torch._dynamo). This process pays that once; every trial is then a fork
of it: still its own process (own session, own CUDA_VISIBLE_DEVICES, killable, crash-isolated),
started in milliseconds. CUDA is never initialised here, so each child initialises its own.

Protocol, one JSON object per line. In (stdin): {"id": N, "module": "hpdesk.tasks.NAME",
"argv": [...], "env": {...}, "cwd": "...", "log": "..."}. Out (stdout): {"ready": pid} once,
{"id": N, "pid": P} per start, {"exit": P, "code": C} when a child ends (C < 0: killed by
signal -C). End of stdin ends this process (its children run on in their own sessions).
"""

from __future__ import annotations

import importlib
import json
import os
import runpy
import select
import signal
import sys
from typing import Any

TASK_MODULES = ("hpdesk.tasks.classification", "hpdesk.tasks.detection", "hpdesk.tasks.gan")


def _preload() -> None:
    import torch

    for name in TASK_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    # The first optimiser imports torch._dynamo (about 2 s): pay it here, once.
    torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)


def _child(request: dict[str, Any]) -> None:
    """In the forked child: become the trial. Never returns."""
    code = 1
    try:
        os.setsid()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(null)
        os.close(log)
        if request.get("cwd"):
            os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        _restore_user_umask(request["env"])
        sys.argv = [request["module"], *request.get("argv", [])]
        try:
            module = importlib.import_module(request["module"])
            if callable(getattr(module, "main", None)):
                result = module.main()  # preloaded: run its entry point, not its source again
                code = result if isinstance(result, int) else 0
            else:
                runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
                code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # the trial's own crash: print it to its log like Python would
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _restore_user_umask(env: dict[str, str]) -> None:
    """The trial writes its own files with the person's umask, as a plain subprocess does
    (hpdesk.runner.paths: hpdesk's files are 0600, a trial's checkpoints are the person's)."""
    try:
        os.umask(int(env.get("HPDESK_USER_UMASK", ""), 8) & 0o777)
    except ValueError:
        pass  # not started through an hpdesk entry point: the template's umask stays


def _say(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _reap() -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        _say({"exit": pid, "code": code})


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the scheduler's to handle
    _preload()
    _say({"ready": os.getpid()})
    stdin = sys.stdin.buffer
    pending = b""
    while True:
        readable, _, _ = select.select([stdin], [], [], 0.02)
        _reap()
        if not readable:
            continue
        chunk = os.read(stdin.fileno(), 65536)
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if not line.strip():
                continue
            request = json.loads(line)
            pid = os.fork()
            if pid == 0:
                _child(request)
            _say({"id": request["id"], "pid": pid})
    _reap()


if __name__ == "__main__":
    main()
