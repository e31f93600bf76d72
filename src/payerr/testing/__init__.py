"""Test tools: a loopback simulator of the four providers, with scripted faults.

Use it in your own suite::

    from payerr.testing import ProviderSimulator, scenario

    def test_checkout_survives_a_stall():
        with ProviderSimulator(stall=1.0) as sim:
            transport = payerr.PaymentTransport("paykka")
            with httpx.Client(transport=transport, timeout=0.3) as client:
                client.post(f"{sim.url_for('paykka')}/v1/payments", json=order,
                            headers={"Idempotency-Key": "k1", **scenario("stall")})
            assert sim.duplicate_executions == 0

or through the ``payment_simulator`` pytest fixture (settings from
``@pytest.mark.payment_simulator(stall=..., latency=...)``) or ``payment_simulator_factory``,
registered when payerr is installed. :func:`reset` clears payerr's process-wide state between
tests (the fixtures call it).
"""

from payerr._observe.hooks import set_hooks
from payerr._retry.budget import reset_shared_budgets
from payerr._retry.ledger import default_ledger
from payerr.testing._faults import FAULTS, SIMULATE_HEADER, scenario
from payerr.testing._load import SimPayment, send_all
from payerr.testing._providers import envelope
from payerr.testing._simulator import ProviderSimulator

__all__ = [
    "FAULTS",
    "SIMULATE_HEADER",
    "ProviderSimulator",
    "SimPayment",
    "envelope",
    "reset",
    "scenario",
    "send_all",
]


def reset() -> None:
    """Reset payerr's process-wide state, for tests: the shared per-provider retry budgets
    start full again, the process's call ledger (the default ``MemoryCallLedger``)
    forgets every call, and the hooks are payerr's own again
    (``payerr.instrumentation.set_hooks(None)``), as in a new process.

    Example:
        ``@pytest.fixture(autouse=True)`` around ``payerr.testing.reset()``: each test starts
        as a fresh process.
    """
    reset_shared_budgets()
    default_ledger().clear()
    set_hooks(None)


for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("payerr.testing._"):
        _obj.__module__ = __name__  # help() and tracebacks name the public module
del _name, _obj
