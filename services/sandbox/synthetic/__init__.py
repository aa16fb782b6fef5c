"""Synthetic, deterministic CRM and mailbox data: scenario tests, benchmarks and the demo organisation."""
