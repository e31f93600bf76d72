"""What payerr tells about itself: the typed events of its calls (``events``) and the hooks
that hear them (``hooks``: the process-wide registry behind ``payerr.instrumentation``); the
two hooks set by default, its log events and their fields (``logs``) and OpenTelemetry metrics
and spans (``telemetry``); the structlog processor that redacts card data and secrets.

May import: ``payerr._core``.
"""
