"""Response shapes: how a slot, a call and a campaign are shown (the seeds' field names), built from domain
objects and plain rows. One place for them because three parts need the same shape: the API answers, the
real-time events (`vssd.events.catalogue`'s `SlotView`/`CallView` payloads) and the actors that cache views
(`SlotFarm`'s per-slot view cache, `CallControl`'s call answers).

Pure: no actor, adapter, API or I/O import (import-linter "views are pure shapes"); an actor hands a view
builder its domain object (a `SlotCore`, a `Call`) or a row, never the other way round.
"""
