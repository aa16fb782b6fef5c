"""The provider-independent sync engine: per-mailbox loops, streams, throttling, subscriptions.

Use-case code, like the rest of `operations/`: it depends on `ports` and `domain` only. The broker,
the database, the secret box and Prometheus are reached through ports, and their failures arrive as
`ports.errors` (`PublishFailed`, `StoreUnavailable`, `SecretsUnavailable`), never as driver exceptions.

Reading order: `engine.py` (one worker per mailbox, the notification sink, the admin's controls) →
`worker.py` (one mailbox's loop and how a failed pass is classified) → `stream.py` (one stream's pages:
read → plan → publish → commit) → `subscriptions.py` (push upkeep), `gate.py` (per-mailbox admission),
`tuning.py` (knobs and process-wide lanes).
"""
