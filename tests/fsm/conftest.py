"""Fixtures for the slot FSM tests."""

from __future__ import annotations

import pytest

from tests.fsm.rig import Rig


@pytest.fixture
def rig() -> Rig:
    return Rig()
