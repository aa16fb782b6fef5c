"""The provider-independent sync engine: per-mailbox loops, streams, throttling, subscriptions."""
