"""Refresh the Chinese translation of the window: collect every tr() string of hpdesk/gui into
resources/i18n/hpdesk_zh_CN.ts (existing translations are kept), then compile the .qm the app
loads. Translate new entries in the .ts (Qt Linguist: `pyside6-linguist`), then run this again.

Usage: python scripts/update_translations.py [--check]
  --check  exit 1 if a string of hpdesk/gui has no finished translation (what the tests assert)
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TS = ROOT / "resources" / "i18n" / "hpdesk_zh_CN.ts"
QM = TS.with_suffix(".qm")


def _tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(found).exists():
        raise SystemExit(f"{name} is not installed (it comes with PySide6-Essentials)")
    return found


def sources() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "hpdesk" / "gui").rglob("*.py"))


def lupdate(ts: Path) -> None:
    subprocess.run([_tool("pyside6-lupdate"), *sources(), "-no-obsolete", "-locations", "none",
                    "-ts", str(ts)], cwd=ROOT, check=True, capture_output=True)


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([_tool("pyside6-lrelease"), str(ts), "-qm", str(qm)], cwd=ROOT, check=True,
                   capture_output=True)


def untranslated(ts: Path) -> list[str]:
    """`context: source` of every message without a finished translation."""
    missing = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name")
        for message in context.iter("message"):
            translation = message.find("translation")
            text = (translation.text or "") if translation is not None else ""
            if translation is not None and message.get("numerus") == "yes":
                text = "".join(form.text or "" for form in translation.iter("numerusform"))
            if (translation is None or translation.get("type") in ("unfinished", "vanished",
                                                                   "obsolete")
                    or not text.strip()):
                if translation is not None and translation.get("type") in ("vanished",
                                                                          "obsolete"):
                    continue
                missing.append(f"{name}: {message.findtext('source')}")
    return missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / TS.name
            shutil.copy(TS, copy)
            lupdate(copy)
            missing = untranslated(copy)
        for line in missing:
            print(f"untranslated: {line}")
        return 1 if missing else 0
    TS.parent.mkdir(parents=True, exist_ok=True)
    lupdate(TS)
    lrelease(TS, QM)
    missing = untranslated(TS)
    print(f"{TS.relative_to(ROOT)}: {len(missing)} untranslated; wrote {QM.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
