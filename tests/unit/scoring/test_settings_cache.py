"""Every reader shares one cache of tenant settings, rebuilt only when the stored version moves."""

from __future__ import annotations

from groundtruth.crm.v1 import crm_pb2
from services.scoring.operations.settings import SettingsCache, SettingsReader
from tests.unit.scoring.fakes import FakeConfigs


async def test_settings_are_built_once_per_stored_version_and_shared() -> None:
    configs, cache = FakeConfigs(), SettingsCache()
    reader, other_reader = SettingsReader(configs, cache), SettingsReader(configs, cache)
    defaults = await reader.load("t1")
    assert defaults.version == 0 and not defaults.internal_domains
    configs.put("t1", crm_pb2.TenantConfig(version=1, internal_domains=["acme.example"]))
    first = await reader.load("t1")
    assert first.internal_domains == {"acme.example"}
    assert await other_reader.load("t1") is first  # the same object: built once, for every reader
    assert cache.settings("t1", configs.stored["t1"]) is first  # and for ingest, which reads its own
    configs.put("t1", crm_pb2.TenantConfig(version=2, internal_domains=["other.example"]))
    second = await other_reader.load("t1")
    assert second.internal_domains == {"other.example"}
    assert await reader.load("t1") is second
    assert configs.reads == 5  # each load reads the store: a new version takes effect at once


async def test_the_effective_config_fills_in_the_defaults() -> None:
    configs = FakeConfigs()
    reader = SettingsReader(configs, SettingsCache())
    assert (await reader.effective_config("t1")).window_days == 28
    configs.put("t1", crm_pb2.TenantConfig(version=3, window_days=14))
    effective = await reader.effective_config("t1")
    assert (effective.version, effective.window_days) == (3, 14)
    assert effective.thresholds  # every default threshold, by name
