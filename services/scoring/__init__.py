"""Scoring: mirrors CRM records, matches activity to them, and keeps adoption and data-quality scores."""
