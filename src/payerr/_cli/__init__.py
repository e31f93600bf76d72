"""The ``payerr`` command: its verbs, its text (wrapped by display width, terminal-safe), the
card-network verbs and the demo.

May import: every other part of payerr (it is the top floor; nothing imports it but
``payerr.__main__`` and the console script).
"""
