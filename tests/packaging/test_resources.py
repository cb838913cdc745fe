"""hpdesk.gui.shell.resources finds the app's files in a checkout, an installed package and a
bundle."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hpdesk.gui.shell import resources
from hpdesk.gui.shell.resources import (
    APP_ID,
    ICON_SIZES,
    ResourceError,
    examples_dir,
    icon_file_name,
    icon_path,
    resource_path,
    resources_root,
    translations_dir,
)
from tests.packaging.conftest import ROOT


def _fake_resources(base: Path) -> Path:
    root = base / "resources"
    (root / "icons").mkdir(parents=True)
    (root / "examples").mkdir()
    (root / "icons" / "hpdesk.svg").write_text("<svg/>")
    (root / "icons" / f"{APP_ID}-16.png").write_bytes(b"png")
    return root


@pytest.fixture
def no_checkout(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Pretend the package is installed in an empty site-packages, away from the checkout."""
    package = tmp_path / "site-packages" / "hpdesk"
    package.mkdir(parents=True)
    monkeypatch.setattr(resources, "_PACKAGE_DIR", package)
    monkeypatch.delenv(resources.ENV_OVERRIDE, raising=False)
    return package


def test_checkout_finds_the_repository_resources() -> None:
    # At the top of the checkout, or inside the package once it ships in the wheel.
    root = resources_root()
    assert root in (ROOT / "resources", ROOT / "hpdesk" / "resources")
    assert icon_path() == root / "icons" / "hpdesk.svg"
    for size in ICON_SIZES:
        assert icon_path(size).is_file()
    assert (examples_dir() / "digits-random.yaml").is_file()
    assert translations_dir() == root / "i18n"
    assert resource_path("examples", "ring-gan.yaml").is_file()


def test_installed_package_uses_the_resources_inside_it(no_checkout: Path) -> None:
    root = _fake_resources(no_checkout)
    assert resources_root() == root
    assert icon_path(16) == root / "icons" / f"{APP_ID}-16.png"


def test_frozen_bundle_uses_meipass(no_checkout: Path, monkeypatch: pytest.MonkeyPatch,
                                    tmp_path: Path) -> None:
    _fake_resources(no_checkout)  # the bundle's copy must win over any other
    bundle = tmp_path / "dist" / "hpdesk" / "_internal"
    root = _fake_resources(bundle)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert resources_root() == root
    assert examples_dir() == root / "examples"


def test_meipass_alone_does_not_count_as_frozen(no_checkout: Path, monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path) -> None:
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    _fake_resources(tmp_path)
    with pytest.raises(ResourceError):
        resources_root()


def test_environment_override_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    root = _fake_resources(tmp_path)
    monkeypatch.setenv(resources.ENV_OVERRIDE, str(root))
    assert resources_root() == root


def test_nothing_found_names_where_it_looked(no_checkout: Path) -> None:
    with pytest.raises(ResourceError, match="resources not found") as info:
        resources_root()
    assert str(no_checkout / "resources") in str(info.value)


def test_missing_icon_and_unknown_size_are_errors(no_checkout: Path) -> None:
    _fake_resources(no_checkout)
    with pytest.raises(ResourceError, match="icon missing"):
        icon_path(32)
    with pytest.raises(ValueError, match="no 17px icon"):
        icon_file_name(17)


def test_app_icon_holds_every_size(qapp: object) -> None:
    icon = resources.app_icon()
    assert not icon.isNull()
    available = {s.width() for s in icon.availableSizes()}
    assert set(ICON_SIZES) <= available
    assert icon.pixmap(512, 512).width() == 512  # the SVG scales beyond the largest PNG
