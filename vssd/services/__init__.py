"""The daemon's parts as services — each with `start()`, `stop()` and `health()`, its dependencies passed to its
constructor — which `vssd/app.py` (the composition root) builds in order and stops in exact reverse."""
