"""Plumbing the Groundtruth services share: settings, logging, Kafka, PostgreSQL, health, embedded infra.

Nothing here knows about activities, CRM records or scores; domain logic lives in each service.
"""
