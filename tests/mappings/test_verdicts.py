"""Representative codes per outcome and category, each with the reason the provider's doc gives."""

from __future__ import annotations

import pytest

import payerr
from payerr import Category, Outcome

S, P, N, F = Outcome.SUCCESS, Outcome.PENDING, Outcome.INFO, Outcome.FAILED  # N: not a result
R, U, M, K, X = (
    Category.RETRYABLE,
    Category.USER_ACTION,
    Category.MERCHANT_CONFIG,
    Category.RISK,
    Category.FINAL,
)

CASES = [
    # (provider, code, outcome, category, the doc's reason)
    ("antom", "SUCCESS", S, None, "Antom API: Success."),
    ("alipay_plus", "10000", S, None, "Alipay+ SDK: SUCCESS"),
    ("ottpay", "PARTIAL_REFUNDED", S, None, "OTT Pay: partial Refunded: the payment stands"),
    ("paykka", "0000", S, None, "PayKKa: Success"),
    ("antom", "PAYMENT_IN_PROCESS", P, None, "The payment is being processed."),
    ("antom", "SDK_PAYMENT_CHALLENGE", P, None, "3D challenge: the issuer needs the shopper"),
    (
        "antom",
        "SDK_PAYMENT_ERROR",
        P,
        None,
        "status abnormal: check status or wait for notification",
    ),
    ("alipay_plus", "10010", P, None, "Card activation is in progress: poll for the result"),
    ("ottpay", "NOTPAY", P, None, "unpaid: the payer has not paid yet"),
    ("ottpay", "UNKNOW", P, None, "indicates payment result is unknown"),
    ("ottpay", "TIMEOUT", P, None, "a provider timeout may have executed: outcome unknown"),
    ("paykka", "4000", P, None, "Payment order is processing, please do not pay again"),
    ("paykka", "5010", P, None, "Transaction entered security review"),
    ("antom", "SDK_START_OF_LOADING", N, None, "lifecycle event, not a result"),
    ("antom", "SDK_CALL_URL_SUCCESS", N, None, "redirect succeeded, not a result"),
    # resultStatus U in Antom's tables: "U: Unknown" (docs.antom.com/ac/ams/api_fund): the
    # result is not known, so never failed (Architecture#failed-means-not-done).
    ("antom", "UNKNOWN_EXCEPTION", P, None, "resultStatus U: call the API again"),
    ("antom", "REQUEST_TRAFFIC_EXCEED_LIMIT", P, None, "The request traffic exceeds the limit."),
    ("antom", "SDK_SUBMIT_NETWORK_ERROR", F, R, "network reasons: try to submit it again"),
    ("alipay_plus", "10005", F, R, "Network exception: guide the user to retry"),
    ("ottpay", "SYSTEM_ERROR", F, R, "system error."),
    ("paykka", "6006", F, R, "Request too frequent"),
    ("paykka", "5018", F, R, "Issuing bank system error"),
    ("antom", "USER_BALANCE_NOT_ENOUGH", F, U, "Recharge or choose another payment method."),
    ("antom", "INVALID_CARD_NUMBER", F, U, "Suggest changing the card and trying again."),
    ("antom", "USER_KYC_NOT_QUALIFIED", F, U, "The user completes KYC authentication first."),
    ("alipay_plus", "10003", F, U, "CDCVM required: trigger the authentication logic"),
    ("alipay_plus", "10042", F, U, "APP VERSION TOO OLD"),
    ("paykka", "5004", F, U, "Insufficient funds"),
    ("paykka", "5013", F, U, "Additional authentication required"),
    ("paykka", "4006", F, U, "payer-fixable beats transient: please scan the code again"),
    ("antom", "INVALID_SIGNATURE", F, M, "The signature is invalid."),
    ("antom", "MERCHANT_KYB_NOT_QUALIFIED", F, M, "the merchant's KYB status"),
    ("antom", "SDK_INIT_PARAMETER_ERROR", F, M, "AMSCashierPayment parameter abnormal"),
    ("ottpay", "SIGN_FAIL", F, M, "verification signature fail"),
    ("paykka", "1017", F, M, "Non-whitelist request, contact PayKKa to enable whitelist"),
    ("paykka", "5021", F, M, "a parameter error despite the word 'fraud'"),
    ("antom", "FRAUD_REJECT", F, K, "cannot be processed because of risk control"),
    ("antom", "SUSPECTED_CARD", F, K, "risk beats 'change the card': suspected fraud"),
    ("alipay_plus", "10041", F, K, "Failed to issue a card due to risk issues."),
    ("ottpay", "REASON_TRADE_BEEN_FREEZEN", F, K, "frozen due to security issues"),
    ("paykka", "5019", F, K, "Hit blacklist"),
    ("paykka", "5008", F, K, "Issuing bank declined transaction for security reasons"),
    ("antom", "ORDER_IS_CLOSED", F, X, "the existing transaction is closed"),
    ("antom", "PROCESS_FAIL", F, X, "general business failure: do not retry"),
    ("ottpay", "ORDER_PAID", F, X, "order paid: already settled"),
    ("paykka", "4024", F, X, "Exceeded refund deadline"),
    ("paykka", "4020", F, X, "Duplicate transaction"),
    ("alipay_plus", "10017", N, None, "seed 000: TOKEN ALREADY EXISTS, 'Ignore the result code.'"),
    ("alipay_plus", "10012", N, None, "seed 000: REPLENISH DENIED, 'No need for replenishment'"),
    ("antom", "SDK_CALL_URL_ERROR", P, None, "a redirect failure says nothing of the payment"),
    (
        "antom",
        "STOLEN_CARD",
        F,
        K,
        "SDK vaultingResultCode; Architecture#operations-and-the-field-that-decides: "
        "stolen card is risk",
    ),
    (
        "antom",
        "LOST_CARD",
        F,
        K,
        "SDK vaultingResultCode; Architecture#operations-and-the-field-that-decides: "
        "lost card is risk",
    ),
    ("antom", "DO_NOT_HONOR", F, U, "SDK vaultingResultCode: the payer uses another card"),
    ("antom", "VERIFICATION_IN_PROCESS", P, None, "SDK: vaultingStatus PROCESSING, 3DS under way"),
]


@pytest.mark.parametrize(
    ("provider", "code", "outcome", "category", "reason"),
    CASES,
    ids=[f"{c[0]}:{c[1]}" for c in CASES],
)
def test_code_verdict_follows_the_doc(
    provider: str, code: str, outcome: Outcome, category: Category | None, reason: str
) -> None:
    """The verdict for the code matches the provider's reason (see the case's reason string),
    as the row gives it: for a request sent the first time (a repeat answer is otherwise
    outcome unknown, tested below)."""
    c = payerr.classify(provider, code, first_send=True)
    assert (c.outcome, c.category) == (outcome, category), reason
    assert c.retryable is (category is Category.RETRYABLE)
    assert c.known


def test_every_category_is_represented_for_every_provider_family() -> None:
    """The cases above cover every outcome and category at least twice."""
    for value in [S, P, N, F]:
        assert sum(1 for c in CASES if c[2] is value) >= 2
    for cat in Category:
        assert sum(1 for c in CASES if c[3] is cat) >= 2


def _repeat_failure(provider: str, code: str) -> bool:
    entry = payerr.explain(provider, code)
    return entry is not None and entry.repeat and entry.outcome is Outcome.FAILED


REPEAT_CASES = [case for case in CASES if _repeat_failure(case[0], case[1])]


@pytest.mark.parametrize(
    ("provider", "code", "outcome", "category", "reason"),
    REPEAT_CASES,
    ids=[f"{c[0]}:{c[1]}" for c in REPEAT_CASES],
)
def test_a_repeat_code_on_its_own_is_outcome_unknown(
    provider: str, code: str, outcome: Outcome, category: Category | None, reason: str
) -> None:
    """Issue 20: "already used / duplicate" classified without the call's history cannot be
    called failed: an earlier attempt may have executed. Pending, inquire, repeat kept."""
    c = payerr.classify(provider, code)
    assert (c.outcome, c.category, c.repeat, c.known) == (Outcome.PENDING, None, True, True)
    assert "inquire" in c.action.lower()
    assert "first send" in c.message
