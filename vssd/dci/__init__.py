"""DCI: pipelines (named sequences of argv steps run as child processes) and the DCI log (see docs/dci.md)."""
