"""Headless Chromium (Debian's `chromium`): the rendered DOM of a page and a screenshot of it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

# A fresh profile and no background traffic: the page must render with no network at all.
_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--virtual-time-budget=10000",
)


def _chromium(page: Path, *extra: str) -> str:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("chromium is not installed: apt-get install -y chromium")
    with tempfile.TemporaryDirectory(prefix="cadence-chromium-") as profile:
        done = subprocess.run(
            [binary, *_FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
            capture_output=True, text=True, timeout=90, check=True,
        )
    return done.stdout


def rendered_dom(page: Path) -> str:
    """The DOM after the page's scripts ran (charts drawn), serialised."""
    return _chromium(page, "--dump-dom")


def screenshot(page: Path, png: Path, size: str = "1400,3000") -> Path:
    png.parent.mkdir(parents=True, exist_ok=True)
    _chromium(page, f"--screenshot={png.resolve()}", f"--window-size={size}")
    return png
