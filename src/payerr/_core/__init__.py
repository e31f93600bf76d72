"""The vocabulary and plumbing every other part of payerr shares.

Owns the taxonomy (outcomes, categories, operations, ``Classification``), the reason
vocabulary, the typed errors and the attempt records they carry, cleaning hostile provider
text, finding and masking card numbers, what an HTTP status alone says, where payerr's events
go (structlog or stdlib) and how often one repeats, and what the Redis stores ask of a client.

May import: nothing else of payerr (the standard library and httpx only).
"""
