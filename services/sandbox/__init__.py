"""Everything that lets Groundtruth run on one machine without Microsoft, Google or a CRM: the runner
behind `make run` (`run.py`, `__main__.py`), the provider emulators (`emulators/`), the demo
organisation and its runner (`demo/`), and the synthetic organisations the scoring tests and
benchmarks are built from (`synthetic/`).

Production code never imports this package (`make lint` enforces it); the sandbox drives the services
only the way a user does: processes, REST, gRPC and the emulators' control APIs.
"""
