"""The CRM notes resource: `routes.py` (its handlers and their rows of the route table), `schema.py` (its
OpenAPI entries), `views.py` (its response shapes)."""
