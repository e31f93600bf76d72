"""Classification in bulk: ``classify_many``, and ``payerr scan``'s streaming reader, worker
processes and report (text, JSON, CSV, HTML).

May import: ``payerr._core``, ``payerr._observe``, ``payerr.networks``, ``payerr._mappings``.
"""
