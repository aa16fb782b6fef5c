"""Capture: turns reps' e-mail and calendar activity into `Activity` records on Kafka.

Read it in this order:
- `config.py`: the settings, resolved once;
- `domain/`: pure rules (neutral items, privacy, normalization, per-page plans, status, faults, admin
  input and credential checks);
- `ports/`: what the use cases need from outside, as Protocols, and the ports' own errors;
- `operations/`: the use cases: the CaptureAdmin ones (connections, mailboxes, policy, status) and
  `operations/sync/`, the provider-independent sync engine;
- `adapters/` (PostgreSQL, Kafka, the secret box, Prometheus, the CaptureAdmin gRPC edge) and
  `providers/` (one folder per provider: connector and webhooks);
- `wiring.py` (which adapter stands behind which port), `app.py` (start-up and shutdown) and
  `__main__.py`.
"""
