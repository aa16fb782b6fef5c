"""REST routers, one module per area; assembled in `services.gateway.api`."""
