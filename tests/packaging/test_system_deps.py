"""scripts/system-deps.sh: never breaks `make test` where it cannot install, says what is
missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.packaging.conftest import ROOT

SCRIPT = ROOT / "scripts" / "system-deps.sh"


def _sandbox(tmp_path: Path, *, uid: str, with_apt: bool,
             installed: tuple[str, ...] = ()) -> dict[str, str]:
    """A PATH with the script's basic tools, a dpkg-query that knows only the ``installed``
    packages (or every one for ``("*",)``), an `id` that reports ``uid`` and, optionally, an
    apt-get that only records how it was called."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("grep", "cat", "echo"):
        found = shutil.which(tool)
        if found:
            os.symlink(found, bin_dir / tool)
    known = " | ".join(installed) or "-none-"
    scripts = {"dpkg-query": f'case "$3" in {known}) printf "install ok installed";; '
                             f'*) exit 1;; esac',
               "id": f"echo {uid}",
               "apt-get": f'echo "$@" >> "{tmp_path / "apt.log"}"'}
    if not with_apt:
        del scripts["apt-get"]
    for name, body in scripts.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    return {"PATH": str(bin_dir), "HOME": str(tmp_path)}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/sh", str(SCRIPT), *args], env=env, capture_output=True,
                          text=True, timeout=60)


def test_lists_what_the_tests_and_screenshots_need() -> None:
    done = _run({"PATH": "/usr/bin:/bin"}, "--list")
    names = done.stdout.split()
    assert done.returncode == 0
    for needed in ("xvfb", "xauth", "libxcb-cursor0", "fonts-wqy-microhei",
                   "desktop-file-utils", "appstream"):
        assert needed in names


def test_without_apt_it_says_what_is_missing_and_succeeds(tmp_path: Path) -> None:
    done = _run(_sandbox(tmp_path, uid="0", with_apt=False))
    assert done.returncode == 0
    assert "apt-get not found" in done.stderr
    assert "desktop-file-utils" in done.stderr and "will skip" in done.stderr


def test_not_root_it_installs_nothing_and_succeeds(tmp_path: Path) -> None:
    done = _run(_sandbox(tmp_path, uid="1000", with_apt=True))
    assert done.returncode == 0
    assert "not root" in done.stderr
    assert not (tmp_path / "apt.log").exists()


def test_as_root_it_installs_only_what_is_missing_after_an_update(tmp_path: Path) -> None:
    listed = _run({"PATH": "/usr/bin:/bin"}, "--list").stdout.split()
    present = tuple(p for p in listed if p not in ("xvfb", "fonts-wqy-microhei"))
    done = _run(_sandbox(tmp_path, uid="0", with_apt=True, installed=present))
    assert done.returncode == 0, done.stderr
    update, install = (tmp_path / "apt.log").read_text().splitlines()
    assert update.startswith("update")
    assert install.startswith("install")
    assert [w for w in install.split() if not w.startswith("-")][1:] == [
        "xvfb", "fonts-wqy-microhei"]


def test_nothing_missing_means_no_apt_at_all(tmp_path: Path) -> None:
    done = _run(_sandbox(tmp_path, uid="0", with_apt=True, installed=("*",)))
    assert done.returncode == 0 and done.stderr == ""
    assert not (tmp_path / "apt.log").exists()


def test_strict_mode_fails_where_it_cannot_install(tmp_path: Path) -> None:
    env = _sandbox(tmp_path, uid="1000", with_apt=True) | {"HPDESK_SYSTEM_DEPS_STRICT": "1"}
    assert _run(env).returncode == 1
