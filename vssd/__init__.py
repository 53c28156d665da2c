"""vssd — the VSS hub daemon."""

__version__ = "0.1.0"
