"""What the provider sent never raises: every provider's envelope, its status fields and codes
in any combination (known, unknown, wrong types, missing), under every HTTP status payerr
reads differently. A reason read from the HTTP status that does not go with the status
field's verdict (a 400's "invalid request" beside PayKKa's data.status FAILURE) once raised
ValueError from every classifying path."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

import payerr

STATUSES = [200, 201, 202, 302, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504]
VALUES = st.one_of(
    st.none(),
    st.sampled_from(["SUCCESS", "S", "F", "U", "FAIL", "FAILURE", "PROCESSING", "PENDING",
                     "INIT", "CANCELLED", "000000", "5004", "10005", "NEW_CODE", "", " "]),
    st.integers(-5, 20_000),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip


def maybe(draw: Any, fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if draw(st.booleans())}


@st.composite
def answers(draw: Any) -> tuple[str, dict[str, Any]]:
    provider = draw(st.sampled_from(["antom", "alipay_plus", "paykka", "ottpay", "ottpay_rest"]))

    def v() -> Any:
        return draw(VALUES)

    if provider in ("antom", "alipay_plus"):
        body = maybe(
            draw,
            {
                "result": maybe(
                    draw, {"resultCode": v(), "resultStatus": v(), "resultMessage": v()}
                ),
                "paymentStatus": v(),
                "paymentResultCode": v(),
                "refundStatus": v(),
                "notifyType": draw(st.sampled_from(["PAYMENT_RESULT", "REFUND_RESULT", "X", None])),
                "paymentResult": maybe(draw, {"resultCode": v(), "resultStatus": v()}),
            },
        )
    elif provider == "paykka":
        body = maybe(
            draw,
            {
                "ret_code": v(),
                "ret_msg": v(),
                "data": maybe(draw, {"status": v(), "error_code": v()}),
            },
        )
    else:
        body = maybe(
            draw,
            {
                "rsp_code": v(),
                "rsp_msg": v(),
                "status": v(),
                "result": v(),
                "data": maybe(draw, {"respcode": v(), "order_status": v()}),
            },
        )
    return provider, body  # fmt: skip


@settings(max_examples=400)
@given(answers(), st.sampled_from(STATUSES), st.sampled_from([None, "pay", "inquiry", "refund"]))
@example(("paykka", {"ret_code": "000000", "data": {"status": "FAILURE"}}), 400, None)
@example(("paykka", {"data": {"status": "FAILURE"}}), 429, None)
@example(("alipay_plus", {"result": {"resultCode": 1.5, "resultStatus": "F"}}), 401, None)
def test_no_answer_raises(answer: tuple[str, dict[str, Any]], status: int, op: str | None) -> None:
    provider, body = answer
    c = payerr.classify_http(provider, status, body, operation=op)
    assert c.outcome in ("success", "pending", "failed", "info")
    if status >= 400:
        assert c.outcome != "success"
    many = next(payerr.classify_many([{"provider": provider, "status": status, "body": body,
                                       "operation": op}]))  # fmt: skip
    assert many == c
