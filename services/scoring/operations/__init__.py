"""Scoring's use cases. Each depends only on `ports` (Protocols) and `domain` (pure rules); the
adapters implement the ports and `app.py` wires them together.

- `ingest`: apply a batch of captured activity and CRM events (read, plan, write one `WritePlan`).
- `rescore`: recompute changed reps, and whole tenants once a day; `tenant_views` with `team_health`
  and `diagnostics` derive what a full pass stores for the whole tenant.
- `queries` and `reports`: what the ScoringQuery RPCs answer.
- `admin`: erasure and on-demand rescoring; `relay`: committed changes to the topics.
- `settings`: each tenant's settings, cached per configuration version for every reader.
"""
