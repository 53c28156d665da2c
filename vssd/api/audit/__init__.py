"""The audit resource: `routes.py` (its handlers and their rows of the route table), `schema.py` (its OpenAPI
entries), `views.py` (its response shapes). The recording middleware and the trail itself are infrastructure:
`vssd.api.audit_log`."""
