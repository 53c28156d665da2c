"""The auth resource: `routes.py` (its handlers and their rows of the route table), `schema.py` (its OpenAPI
entries), `views.py` (its response shapes). Tokens, authentication and the password gate are infrastructure:
`vssd.api.tokens`, `vssd.api.authn`, `vssd.api.passwords`."""
