"""pytest fixtures for payerr users; registered through the ``pytest11`` entry point.

``payment_simulator``: a running :class:`~payerr.testing.ProviderSimulator`, configured by the
test's ``payment_simulator`` marker::

    @pytest.mark.payment_simulator(stall=0.3, latency=0.01)
    def test_checkout(payment_simulator): ...

``payment_simulator_factory``: start more than one, each with its own settings; all are stopped
after the test. Both reset payerr's process-wide state (:func:`payerr.testing.reset`) before
and after the test, so a test that drains a retry budget does not starve the next one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from payerr.testing import ProviderSimulator, reset

_MARKER = "payment_simulator"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(**settings): settings for the payment_simulator fixture "
        "(latency=, stall=, port=, sign=; see payerr.testing.ProviderSimulator)",
    )


@pytest.fixture
def payment_simulator_factory() -> Iterator[Callable[..., ProviderSimulator]]:
    """Start a :class:`~payerr.testing.ProviderSimulator` with the given settings; every one
    started is stopped after the test."""
    started: list[ProviderSimulator] = []

    def start(**settings: Any) -> ProviderSimulator:
        simulator = ProviderSimulator(**settings).start()
        started.append(simulator)
        return simulator

    reset()
    try:
        yield start
    finally:
        for simulator in started:
            simulator.stop()
        reset()


@pytest.fixture
def payment_simulator(
    request: pytest.FixtureRequest,
    payment_simulator_factory: Callable[..., ProviderSimulator],
) -> ProviderSimulator:
    """A running simulator on loopback (settings from the ``payment_simulator`` marker;
    default ``stall=1.0``), stopped after the test."""
    marker = request.node.get_closest_marker(_MARKER)
    settings: dict[str, Any] = {"stall": 1.0}
    if marker is not None:
        if marker.args:
            raise TypeError("the payment_simulator marker takes keyword settings only")
        settings.update(marker.kwargs)
    return payment_simulator_factory(**settings)
