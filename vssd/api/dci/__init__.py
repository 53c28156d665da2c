"""The DCI resource: `routes.py` (pipelines and the DCI log), `schema.py` (their OpenAPI entries), `views.py`."""
