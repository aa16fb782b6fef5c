"""The Groundtruth services: capture, scoring and gateway, one package each."""
