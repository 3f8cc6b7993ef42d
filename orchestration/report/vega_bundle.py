"""The Vega JavaScript the report inlines (it opens offline), kept on disk between runs.

vl-convert builds the bundle (~0.9 MB: Vega, Vega-Lite, vega-embed) by running its JS bundler, seconds
of a nightly run, and caches it only in memory: every `cadence run` is a new process. The bundle is a
pure function of the vl-convert release and the Vega-Lite version, so a copy named after both is
reused; a cache that cannot be written only costs the rebuild.
"""

from __future__ import annotations

import os
import tempfile
from importlib.metadata import version
from pathlib import Path


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/cadence-warehouse (default ~/.cache/cadence-warehouse), as the XDG spec names it."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cadence-warehouse"


def vega_javascript(cache: Path | None = None) -> str:
    """The bundle for Altair's Vega-Lite version, from `cache` (default `cache_dir()`) when built before."""
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    vl_version = vl_version_for_vl_convert()
    path = (cache or cache_dir()) / f"vega-{version('vl-convert-python')}-{vl_version}.js"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    bundle = vl_convert.javascript_bundle(vl_version=vl_version)
    _write_atomically(path, bundle)
    return bundle


def _write_atomically(path: Path, text: str) -> None:
    """Whole or absent: parallel runs (test workers) may write the same file at once."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False) as tmp:
            tmp.write(text)
        os.replace(tmp.name, path)
    except OSError:
        return  # a read-only home: the next run builds the bundle again
