"""From a ``Classification`` to what happens next: the pure retry decision, replay safety, the
retry budget, the tenacity policy and pieces, the call ledgers (per process and on Redis), the
call's deadline and bounded body reading, and the sync and async transports around one core.

May import: ``payerr._core``, ``payerr._observe``, ``payerr.networks``, ``payerr._mappings``.
"""
