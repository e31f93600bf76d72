"""payerr's exceptions, in their own module so every other module can import them.

Each refines the builtin it specialises (attrs' habit): a broken mapping or an unknown provider is
a ``ValueError``, so code that already catches ``ValueError`` keeps working.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from payerr.taxonomy import Classification

__all__ = ["MappingError", "PaymentError", "UnknownProviderError"]


class PaymentError(Exception):
    """A payment that did not succeed, carrying its unified ``classification``."""

    classification: Classification

    def __init__(self, classification: Classification, message: str | None = None) -> None:
        self.classification = classification
        super().__init__(message or _describe(classification))


def _describe(c: Classification) -> str:
    label = c.category if c.category is not None else c.outcome
    code = c.code or "no code"
    return f"{c.provider} {code}: {label}: {c.message}"


class UnknownProviderError(ValueError):
    """Raised for a provider id payerr has no mapping for; names the providers it knows."""

    def __init__(self, provider: object, known: Sequence[str]) -> None:
        self.provider = provider
        self.known = tuple(known)
        super().__init__(
            f"unknown provider {provider!r}; known providers: {', '.join(self.known) or '(none)'}"
        )


class MappingError(ValueError):
    """A mapping file that cannot be used: bad TOML, a missing or mistyped field, a duplicate code.

    ``errors`` lists every problem found, each naming the file, the code and the field; the
    exception's text is the first of them plus a count of the rest.
    """

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = tuple(errors)
        first = self.errors[0] if self.errors else "invalid mapping"
        more = len(self.errors) - 1
        super().__init__(
            first + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
        )
