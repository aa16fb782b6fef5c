"""REST routers, one module per area, each paired with `http/schemas/<area>.py`; assembled in
`http/api.py`.

Handlers are thin: parse, call the operation (which checks access and scopes the tenant), render.
They never check access themselves. Protobuf answers are rendered by `http/responses.py`.
"""
