"""The device simulator: a farm of phones behind the real adb host (smart socket) protocol on TCP."""

from vssd.sim.adb.clock import SimClock
from vssd.sim.adb.phone import Phone
from vssd.sim.adb.simulator import FAULTS, AdbSimulator, LedgerEntry

__all__ = ["FAULTS", "AdbSimulator", "LedgerEntry", "Phone", "SimClock"]
