"""The monitor resource: `routes.py` (its handlers and their rows of the route table), `schema.py` (its OpenAPI
entries). No `views.py`: every answer is the `MonitorFacts` port's facts as they are."""
