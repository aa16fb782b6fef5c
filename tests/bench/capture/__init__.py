"""`make bench-capture`: backfill throughput against the emulator's own serving rate, webhook → Kafka
latency, and the capture process's peak RSS. One module per provider (`microsoft.py`); a Google
provider adds `google.py` implementing `BenchProvider` and registers it in `__main__.PROVIDERS`."""
