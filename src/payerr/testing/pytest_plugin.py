"""pytest fixtures for payerr users; registered through the ``pytest11`` entry point."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from payerr.testing import ProviderSimulator


@pytest.fixture
def payment_simulator() -> Iterator[ProviderSimulator]:
    """A running :class:`~payerr.testing.ProviderSimulator` on loopback, stopped afterwards."""
    with ProviderSimulator(stall=1.0) as simulator:
        yield simulator
