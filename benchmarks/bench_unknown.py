"""An unknown code's classification against a known code's, same body shape, same run
(target: no slower than 3x). Unknown codes are logged (``payerr.unknown_code``) once a minute
per code, with the count of those not logged; before that limit each one was logged.

Run: python benchmarks/bench_unknown.py
"""

from __future__ import annotations

import json
import logging
import sys

import httpx
from _timing import compare, report

import payerr

TARGET = 3.0


def body(code: str) -> bytes:
    return json.dumps({
        "ret_code": "000000", "ret_msg": "success",
        "data": {"status": "FAILURE", "error_code": code, "error_description": "declined",
                 "merchant_id": "M100200300", "order_no": "ORD-20261122-0001"},
    }).encode()  # fmt: skip


def main() -> int:
    # As a service logs: warnings on (the stdlib logger at WARNING, to a handler that
    # formats and drops), so an unlimited unknown-code log would be paid in full.
    logger = logging.getLogger("payerr")
    logger.setLevel(logging.WARNING)
    logger.addHandler(logging.StreamHandler(open("/dev/null", "w")))  # noqa: SIM115
    known = httpx.Response(200, content=body("5004"))
    unknown = httpx.Response(200, content=body("NEVER_MAPPED_42"))
    assert payerr.classify_response("paykka", known).known
    assert not payerr.classify_response("paykka", unknown).known

    def baseline() -> object:
        return payerr.classify_response("paykka", known)

    def subject() -> object:
        return payerr.classify_response("paykka", unknown)

    base, subj = compare(baseline, subject, number=20_000)
    ok = report("paykka unknown code vs known code", base, subj, TARGET, "known")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
