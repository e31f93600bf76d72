"""Each provider's precedence is an ordered table of named rules (``RULES`` in its adapter),
walked until one answers: every rule answers some answer, in its place, and the walk never falls
off the end. The docs' table is generated from these tables (tests/docs/test_docs_site.py)."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import payerr
from payerr import Operation, Outcome
from payerr._mappings.adapters import (
    PRECEDENCE,
    READERS,
    Rule,
    antom,
    fields,
    ottpay,
    ottpay_rest,
    paykka,
)
from tests.support.strategies import CODE_FIELDS, json_values

MODULES: dict[str, types.ModuleType] = {
    "antom": antom,
    "alipay_plus": antom,
    "ottpay": ottpay,
    "ottpay_rest": ottpay_rest,
    "paykka": paykka,
    "fields": fields,
}

ACME = {
    "provider": {
        "id": "acme",
        "adapter": "fields",
        "code_fields": ["error.code", "code"],
        "message_fields": ["error.message"],
    },
    "code": [
        {
            "code": "card_declined",
            "message": "Declined",
            "outcome": "failed",
            "category": "user-action",
            "reason": "generic_decline",
        }
    ],
}


def _registry() -> payerr.Registry:
    registry = payerr.Registry(use_env=False)
    registry.add_mapping(ACME, "acme")
    return registry


REGISTRY = _registry()


def leaves(rules: tuple[Rule[Any], ...]) -> list[Rule[Any]]:
    """The single rules of a table, a group's own in its place."""
    return [leaf for rule in rules for leaf in (leaves(rule.rules) if rule.rules else [rule])]


@contextmanager
def watched(rules: tuple[Rule[Any], ...]) -> Iterator[list[str]]:
    """The names of the single rules that answered while the block ran: each rule's function is
    wrapped in place, wherever the reader finds it (a table, a group's own)."""
    answered: list[str] = []
    originals = {id(rule): rule.applies for rule in leaves(rules)}

    def watch(rule: Rule[Any]) -> Callable[[Any], Any]:
        inner = rule.applies

        def applies(answer: Any) -> Any:
            reading = inner(answer)
            if reading is not None:
                answered.append(rule.name)
            return reading

        return applies

    try:
        for rule in leaves(rules):
            object.__setattr__(rule, "applies", watch(rule))  # frozen: for this test only
        yield answered
    finally:
        for rule in leaves(rules):
            object.__setattr__(rule, "applies", originals[id(rule)])


def answered_by(provider: str, body: dict[str, Any], operation: Operation) -> tuple[str, Any]:
    """The rule that answered, and its verdict."""
    table = REGISTRY.table(provider)
    with watched(PRECEDENCE[table.adapter]) as answered:
        reading = READERS[table.adapter](table, body, operation)
    assert len(answered) == 1, answered  # the first rule that answers decides
    return answered[0], reading[0]


def test_every_adapter_has_its_table_of_named_rules() -> None:
    assert PRECEDENCE.keys() == READERS.keys()
    for adapter, rules in PRECEDENCE.items():
        assert rules is MODULES[adapter].RULES
        every = [*rules, *(inner for rule in rules for inner in rule.rules)]
        names = [rule.name for rule in every]
        assert len(set(names)) == len(names), adapter
        for rule in every:
            assert rule.name.isidentifier(), rule
            assert rule.says.strip(), rule
            assert rule.source.strip(), rule
            assert "\n" not in rule.says + rule.source, rule
            assert all(not inner.rules for inner in rule.rules), rule  # one level of groups
        for rule in leaves(rules):
            # A plain function of the adapter's module: nothing is built per call.
            assert rule.applies.__module__ == MODULES[adapter].__name__, rule
            assert rule.applies.__qualname__ == rule.applies.__name__, rule


def _antom_result(code: str, status: str) -> dict[str, str]:
    return {"resultCode": code, "resultStatus": status, "resultMessage": "m"}


S = {"result": _antom_result("SUCCESS", "S")}

# For every rule of every table, an answer it decides, and what it says.
EXAMPLES: list[tuple[str, str, Operation, dict[str, Any], str | None]] = [
    # provider, rule, operation, body, the verdict's outcome (None: no verdict)
    ("antom", "unknown_notification", Operation.OTHER, {**S, "notifyType": "NEW_TYPE"}, "pending"),
    (
        "antom",
        "result_against_own_status",
        Operation.REFUND,
        {"result": _antom_result("PROCESS_FAIL", "F"), "refundStatus": "SUCCESS"},
        "pending",
    ),
    ("antom", "own_status", Operation.REFUND_INQUIRY, {**S, "refundStatus": "FAIL"}, "failed"),
    ("antom", "foreign_status", Operation.INQUIRY, {**S, "refundStatus": "SUCCESS"}, "pending"),
    ("alipay_plus", "alipay_plus_without_payment_result", Operation.INQUIRY, S, "pending"),
    (
        "alipay_plus",
        "payment_result",
        Operation.NOTIFICATION,
        {**S, "paymentResult": _antom_result("SUCCESS", "S")},
        "success",
    ),
    ("antom", "unknown_payment_status", Operation.INQUIRY, {**S, "paymentStatus": None}, "pending"),
    (
        "antom",
        "inquiry_without_payment_status",
        Operation.INQUIRY,
        {**S, "paymentResultCode": "SUCCESS"},
        "pending",
    ),
    (
        "antom",
        "payment_result_code",
        Operation.INQUIRY,
        {**S, "paymentStatus": "FAIL", "paymentResultCode": "USER_BALANCE_NOT_ENOUGH"},
        "failed",
    ),
    (
        "antom",
        "payment_status_alone",
        Operation.INQUIRY,
        {**S, "paymentStatus": "SUCCESS"},
        "success",
    ),
    (
        "antom",
        "payment_pending_notice",
        Operation.NOTIFICATION,
        {"result": {"resultStatus": "S"}, "notifyType": "PAYMENT_PENDING"},
        "pending",
    ),
    (
        "antom",
        "result_wrapper",
        Operation.PAY,
        {"result": _antom_result("SUCCESS", "S")},
        "success",
    ),
    ("antom", "sdk_event", Operation.UNKNOWN, {"code": "SDK_FORM_VERIFICATION_FAILED"}, "failed"),
    ("antom", "nothing", Operation.PAY, {"paymentId": "p1"}, None),
    (
        "paykka",
        "common_success",
        Operation.PAY,
        {"ret_code": "000000", "data": {"status": "SUCCESS"}},
        "success",
    ),
    (
        "paykka",
        "void_answered",
        Operation.CANCEL,
        {"ret_code": "000000", "ret_msg": "ok"},
        "success",
    ),
    ("paykka", "data_unreadable", Operation.PAY, {"ret_code": "000000", "data": "x1f"}, "pending"),
    (
        "paykka",
        "in_process_beside_error",
        Operation.PAY,
        {"ret_code": "999999", "data": {"status": "PROCESSING"}},
        "pending",
    ),
    (
        "paykka",
        "cancelled",
        Operation.CANCEL,
        {"ret_code": "000000", "data": {"status": "CANCELLED"}},
        "success",
    ),
    (
        "paykka",
        "business_code",
        Operation.PAY,
        {"ret_code": "000000", "data": {"status": "FAILURE", "error_code": "5004"}},
        "failed",
    ),
    (
        "paykka",
        "order_status",
        Operation.CAPTURE,
        {"ret_code": "000000", "data": {"status": "AUTHORIZED"}},
        "pending",
    ),
    ("paykka", "gateway_code", Operation.PAY, {"ret_code": "010000", "ret_msg": "x"}, "failed"),
    ("ottpay", "query_unconfirmed", Operation.INQUIRY, {"data": {"status": "SUCCESS"}}, "pending"),
    (
        "ottpay",
        "query_failed",
        Operation.INQUIRY,
        {"rsp_code": "SUCCESS", "data": {"rspCode": "FAIL"}},
        "pending",
    ),
    (
        "ottpay",
        "query_without_state",
        Operation.INQUIRY,
        {"rsp_code": "SUCCESS", "data": {"rspCode": "SUCCESS", "respcode": "SUCCESS"}},
        "pending",
    ),
    (
        "ottpay",
        "query_state_empty",
        Operation.INQUIRY,
        {"rsp_code": "SUCCESS", "data": {"status": "SUCCESS", "order_status": None}},
        "pending",
    ),
    (
        "ottpay",
        "query_states_disagree",
        Operation.INQUIRY,
        {"rsp_code": "SUCCESS", "data": {"status": "SUCCESS", "order_status": "ORDERCLOSE"}},
        "pending",
    ),
    (
        "ottpay",
        "query_state",
        Operation.INQUIRY,
        {"rsp_code": "SUCCESS", "data": {"rspCode": "SUCCESS", "status": "SUCCESS"}},
        "success",
    ),
    ("ottpay", "rsp_code_alone", Operation.UNKNOWN, {"data": {"rspCode": "SUCCESS"}}, "pending"),
    (
        "ottpay",
        "state_field_empty",
        Operation.PAY,
        {"rsp_code": "SUCCESS", "data": {"respcode": "SUCCESS", "status": None}},
        "pending",
    ),
    (
        "ottpay",
        "state_fields_disagree",
        Operation.PAY,
        {"rsp_code": "SUCCESS", "data": {"respcode": "SUCCESS", "status": "ORDERCLOSE"}},
        "pending",
    ),
    (
        "ottpay",
        "success_beside_rsp_code",
        Operation.PAY,
        {"data": {"respcode": "SUCCESS"}},
        "pending",
    ),
    (
        "ottpay",
        "refund_names_payment",
        Operation.REFUND,
        {"rsp_code": "SUCCESS", "data": {"status": "SUCCESS"}},
        "pending",
    ),
    (
        "ottpay",
        "cancel_payment_stands",
        Operation.CANCEL,
        {"rsp_code": "SUCCESS", "data": {"status": "SUCCESS"}},
        "pending",
    ),
    (
        "ottpay",
        "state",
        Operation.PAY,
        {"rsp_code": "SUCCESS", "data": {"respcode": "SUCCESS"}},
        "success",
    ),
    ("ottpay", "refused_without_state", Operation.PAY, {"rsp_code": "FAIL", "data": {}}, "failed"),
    (
        "ottpay",
        "state_empty",
        Operation.PAY,
        {"rsp_code": "SUCCESS", "data": {"status": ""}},
        "pending",
    ),
    (
        "ottpay",
        "waits_for_payer",
        Operation.PAY,
        {"rsp_code": "SUCCESS", "data": {"code_url": "weixin://x"}},
        "pending",
    ),
    (
        "ottpay",
        "still_encrypted",
        Operation.PAY,
        {"rsp_code": "SUCCESS", "data": "3q2+7w=="},
        "pending",
    ),
    ("ottpay", "query_refused", Operation.INQUIRY, {"rsp_code": "FAIL"}, "pending"),
    ("ottpay", "success_without_data", Operation.PAY, {"rsp_code": "SUCCESS"}, "pending"),
    ("ottpay", "rsp_code", Operation.PAY, {"rsp_code": "FAIL"}, "failed"),
    (
        "ottpay_rest",
        "error",
        Operation.PAY,
        {"status": "ERROR", "result": {"code": 10003}},
        "failed",
    ),
    ("ottpay_rest", "unknown_status", Operation.PAY, {"status": "MAYBE"}, "pending"),
    ("ottpay_rest", "not_this_api", Operation.PAY, {"code": 1}, None),
    ("ottpay_rest", "not_a_payment", Operation.OTHER, {"status": "SUCCESS"}, "success"),
    (
        "ottpay_rest",
        "no_status_yet",
        Operation.PAY,
        {"status": "SUCCESS", "result": {"payInfo": "x"}},
        "pending",
    ),
    (
        "ottpay_rest",
        "operation_status",
        Operation.REFUND,
        {"status": "SUCCESS", "result": {"refundStatus": "success"}},
        "success",
    ),
    ("acme", "code_field", Operation.PAY, {"error": {"code": "card_declined"}}, "failed"),
    ("acme", "nothing", Operation.PAY, {"error": {}}, None),
]


@pytest.mark.parametrize(
    ("provider", "rule", "operation", "body", "outcome"),
    EXAMPLES,
    ids=[f"{p}-{r}" for p, r, *_ in EXAMPLES],
)
def test_each_rule_answers_in_its_place(
    provider: str,
    rule: str,
    operation: Operation,
    body: dict[str, Any],
    outcome: str | None,
) -> None:
    name, finding = answered_by(provider, body, operation)
    assert name == rule
    said = None if finding is None else getattr(finding, "outcome", None)
    if said is None and finding is not None:  # Unresolved: what its status field says
        said = finding.fallback.outcome if finding.fallback else Outcome.PENDING
    assert said == outcome


def test_every_rule_has_an_example() -> None:
    def table_of(provider: str) -> str:  # alipay_plus shares Antom's
        return MODULES[REGISTRY.table(provider).adapter].__name__

    shown = {(table_of(p), r) for p, r, *_ in EXAMPLES}
    for adapter, rules in PRECEDENCE.items():
        for rule in leaves(rules):
            assert (MODULES[adapter].__name__, rule.name) in shown, (adapter, rule.name)


@settings(max_examples=300, deadline=None)
@given(
    provider=st.sampled_from(["antom", "alipay_plus", "ottpay", "ottpay_rest", "paykka", "acme"]),
    body=st.dictionaries(st.sampled_from(list(CODE_FIELDS)), json_values(), max_size=6),
    operation=st.sampled_from(list(Operation)),
)
def test_some_rule_always_answers(
    provider: str, body: dict[str, Any], operation: Operation
) -> None:
    """Each table's last rule answers whatever came before: the walk never falls off the end."""
    answered_by(provider, body, operation)


_TEXTS = st.none() | st.text(max_size=12) | st.sampled_from(["", " ", "Success"])


@settings(max_examples=200, deadline=None)
@given(
    data=st.fixed_dictionaries(
        {"status": st.just("SUCCESS")},
        optional={"error_description": _TEXTS, "errorDescription": _TEXTS, "order_no": _TEXTS},
    ),
    ret_msg=_TEXTS,
    operation=st.sampled_from([op for op in Operation if op is not Operation.CANCEL]),
)
def test_paykkas_common_success_is_a_shortcut(
    data: dict[str, Any], ret_msg: str | None, operation: Operation
) -> None:
    """PayKKa's first rule reads the common answer quickly; the rules after it say the same."""
    body = {"ret_code": "000000", "ret_msg": ret_msg, "data": data}
    table = REGISTRY.table("paykka")
    assert answered_by("paykka", body, operation)[0] == "common_success"
    every = paykka.read(table, body, operation)
    assert paykka.RULES[0].name == "common_success"
    with patch.object(paykka, "RULES", paykka.RULES[1:]):
        assert paykka.read(table, body, operation) == every
