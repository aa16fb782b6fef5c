"""The REST edge, assembled by `api.create_app`.

`routes/` holds one thin router per area and `schemas/` their request and response models (one place
for every REST shape). `deps.py` is the one dependency every route takes (the authenticated caller),
`strict_query.py` refuses unknown query parameters, `body_limit.py` refuses oversized bodies,
`problems.py` answers every error as problem+json, `proto_json.py` renders protobuf answers as JSON,
and `web/` serves the pages at /app/.
"""
