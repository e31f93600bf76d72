"""The ``payerr`` command: ``main`` (the parser and the dispatch), one module a verb (each
declares a ``Verb``: its options and its body), what they share (``common``), the one lookup of
a name as a provider or a card network (``names``), the text (wrapped by display width,
terminal-safe), the card-network verbs' bodies and the demo's drill.

May import: every other part of payerr (it is the top floor; nothing imports it but
``payerr.__main__`` and the console script).
"""
