"""Transitional: vssd/app.py still imports `StoreDnc` and `StoreLeads` from here (it is being edited elsewhere).
The dialer's stores live in store_leads.py, store_campaigns.py, store_dnc.py, store_dead_letters.py,
store_operators.py and store_dialer_records.py; once app.py imports them from there, delete this module."""

from vssd.adapters.store_dnc import StoreDnc
from vssd.adapters.store_leads import StoreLeads

__all__ = ["StoreDnc", "StoreLeads"]
