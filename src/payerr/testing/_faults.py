"""The simulator's fault scripts: what a test can ask for (:func:`scenario`), how a request's
script header reads (:class:`Script`), and what the faults that refuse a request answer."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from payerr.testing._providers import Answer

__all__ = ["FAULTS", "SIMULATE_HEADER", "Script", "refusal", "scenario"]

SIMULATE_HEADER = "X-Payerr-Simulate"
"""The request header carrying a request's script (see :func:`scenario`)."""

FAULTS = {
    "500": "answer 500, not executed",
    "502": "answer 502, not executed",
    "503": "answer 503, not executed",
    "504": "answer 504, not executed",
    "429": "answer 429 with Retry-After (429:N for N seconds), not executed",
    "reset": "reset the connection before executing",
    "stall": "execute, then answer nothing until after the client gave up (read timeout)",
    "drop": "execute, then close the connection without an answer",
    "garbage": "execute, then answer 200 with a body that is not JSON",
    "truncated": "execute, then answer 200 with the JSON cut short",
    "slow": "wait (slow:S seconds), then carry on",
}


def scenario(*faults: str, code: str | None = None, latency: float | None = None) -> dict[str, str]:
    """Headers asking the simulator to play ``faults`` in order, one per arrival of the same
    request (same operation and id), then answer ``code`` (default: the provider's success
    code). An inquiry carrying a script plays it on its own arrivals.

    Args:
        faults: what to play on each arrival, in order (``FAULTS`` names them: ``"503"``,
            ``"429:0.05"``, ``"reset"``, ``"stall"``, ``"drop"``, ``"garbage"``, ...).
        code: the provider code to answer once the faults are played.
        latency: seconds to wait before every answer of this request.

    Returns:
        The header to send with the request.

    Raises:
        ValueError: a fault the simulator does not know.

    Example:
        >>> scenario("503", "stall", code="5004")
        {'X-Payerr-Simulate': 'faults=503,stall;code=5004'}
    """
    for fault in faults:
        if fault.split(":")[0] not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")
    parts = []
    if faults:
        parts.append("faults=" + ",".join(faults))
    if code is not None:
        parts.append(f"code={code}")
    if latency is not None:
        parts.append(f"latency={latency}")
    return {SIMULATE_HEADER: ";".join(parts)}


@dataclass
class Script:
    """One request's script, read from its :data:`SIMULATE_HEADER`."""

    faults: list[str] = field(default_factory=list)
    code: str | None = None
    latency: float = 0.0

    @classmethod
    def parse(cls, header: str | None) -> Script:
        script = cls()
        for part in (header or "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "faults":
                script.faults = [f for f in value.split(",") if f]
            elif name == "code":
                script.code = value
            elif name == "latency":
                with contextlib.suppress(ValueError):
                    script.latency = max(0.0, float(value))
        return script

    def fault_for(self, arrival: int) -> str | None:
        """The fault due on the request's ``arrival``-th arrival (1 for the first), if any."""
        return self.faults[arrival - 1] if arrival <= len(self.faults) else None


def refusal(fault: str) -> tuple[Answer, dict[str, str]] | None:
    """The answer and extra headers of a fault that refuses the request before it runs (5xx,
    429 with its ``Retry-After``); None for any other fault."""
    if fault in ("500", "502", "503", "504"):
        return Answer(int(fault), b"<html>upstream trouble</html>", "text/html"), {}
    if fault.startswith("429"):
        seconds = fault.partition(":")[2] or "1"
        return Answer(429, b'{"error": "too many requests"}'), {"Retry-After": seconds}
    return None
