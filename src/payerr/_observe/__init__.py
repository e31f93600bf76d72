"""What payerr tells about itself: its log events and their fields, the structlog processor
that redacts card data and secrets, and OpenTelemetry metrics and spans.

May import: ``payerr._core``.
"""
