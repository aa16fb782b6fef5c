"""Capture: turns reps' e-mail and calendar activity into `Activity` records on Kafka."""
