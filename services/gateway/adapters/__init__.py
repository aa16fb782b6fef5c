"""The gateway's implementations of `ports.py`, and the background readers behind them.

- scoring_client.py, capture_client.py (+ upstream.py): gRPC clients of the backing services
- postgres_store.py (+ key_store.py, state_store.py for the SQL): the gateway's own schema
- crm_publisher.py: CRM events to Kafka, awaiting the broker's acks
- authenticator.py: API keys and tokens, per-key rate limits, last-used times
- config_cache.py, rep_scores.py (+ read_cache.py, score_view.py): what reads are served from
"""
