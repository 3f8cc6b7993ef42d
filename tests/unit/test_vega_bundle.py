"""The report's Vega bundle: built once, then read from the cache (orchestration/report/vega_bundle.py)."""

from importlib.metadata import version
from pathlib import Path

from altair.utils._importers import vl_version_for_vl_convert

from orchestration.report.vega_bundle import cache_dir, vega_javascript


def _cached(cache: Path) -> Path:
    return cache / f"vega-{version('vl-convert-python')}-{vl_version_for_vl_convert()}.js"


def test_the_bundle_is_built_into_the_cache_then_read_from_it(tmp_path: Path) -> None:
    bundle = vega_javascript(tmp_path)
    assert "vegaEmbed" in bundle and len(bundle) > 500_000  # vega-embed with Vega and Vega-Lite
    assert _cached(tmp_path).read_text(encoding="utf-8") == bundle
    _cached(tmp_path).write_text("/* the cached copy */", encoding="utf-8")
    assert vega_javascript(tmp_path) == "/* the cached copy */"  # read, not rebuilt


def test_an_unwritable_cache_only_costs_the_rebuild(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    assert "vegaEmbed" in vega_javascript(blocked)  # its folder cannot be made: built, not cached
    assert not _cached(blocked).exists()


def test_the_cache_follows_xdg(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "cadence-warehouse"
