"""From a provider's answer to a ``Classification``: the mapping files (their schema, loading,
per-provider tables and remembered verdicts), each provider's envelope reader (which field
decides), which operation a request names, outcome unknown's wording, the public classifiers,
``explain`` and shopper messages.

May import: ``payerr._core``, ``payerr._observe``, ``payerr.networks`` (card-network advice on a
decline).
"""
