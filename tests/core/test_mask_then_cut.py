"""Card numbers are masked before payerr cuts any text (issue 22, point 2, the cut points).

A card number straddling one of payerr's own cuts (a code's 128 characters, a message's
1,000, a transport error's 300) used to lose its tail before masking: 15 of 16 digits stayed,
and the check digit rebuilds the rest. Here a test card number (4111 1111 1111 1111, Luhn-valid)
is placed at every offset around each cut, plain and grouped; no 13 of its digits in a row may
survive in any field of the classification, the error's text or its repr.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

import payerr
from payerr._core.text import PAN_REACH
from payerr._observe.redaction import redact_text
from tests.support.otel import installed

PAN = "4111111111111111"
FORMS = [PAN, "4111 1111 1111 1111", "4111-1111-1111-1111"]
PIECES = {PAN[i : i + 13] for i in range(len(PAN) - 12)}


def leaks(text: str) -> bool:
    """Whether 13 or more of the card's digits in a row survive (separators ignored)."""
    digits = re.sub(r"[\s\-]", "", text)
    return any(piece in digits for piece in PIECES)


def fields(c: payerr.Classification) -> str:
    return " ".join(str(v) for v in c.as_dict().values())


@pytest.mark.parametrize("form", FORMS)
def test_a_card_number_around_the_code_cut_is_masked(form: str) -> None:
    for offset in range(100, 140):
        code = "C" * offset + form + "D" * 20
        body = {"result": {"resultCode": code, "resultStatus": "F", "resultMessage": "m"}}
        c = payerr.classify_http("antom", 200, body)
        assert not leaks(fields(c)), offset
        assert not leaks(fields(payerr.classify("antom", code))), offset


@pytest.mark.parametrize("form", FORMS)
def test_a_card_number_around_the_message_cut_is_masked(form: str) -> None:
    for offset in range(960, 1010):
        message = "m" * offset + form + "z" * 40
        for provider, body in (
            ("antom", {"result": {"resultCode": "X", "resultStatus": "F",
                                  "resultMessage": message}}),
            ("ottpay", {"rsp_code": "FAIL", "rsp_msg": message}),
            ("paykka", {"ret_code": "000000", "data": {"status": "FAILURE",
                        "error_code": "5004", "error_description": message}}),
        ):  # fmt: skip
            c = payerr.classify_http(provider, 200, body)
            assert not leaks(fields(c)), (provider, offset)


@pytest.mark.parametrize("form", FORMS)
def test_a_card_number_around_the_transport_error_cut_is_masked(form: str) -> None:
    for offset in range(270, 320, 3):

        def handler(request: httpx.Request, o: int = offset) -> httpx.Response:
            raise httpx.ConnectError("e" * o + form + " tail")

        policy = payerr.RetryPolicy(attempts=1, budget=False)
        transport = payerr.PaymentTransport(
            "paykka", transport=httpx.MockTransport(handler), policy=policy
        )
        with httpx.Client(transport=transport) as client, pytest.raises(payerr.PaymentError) as e:
            client.post("https://api.paykka.test/v1/payments", json={})
        assert not leaks(str(e.value)), offset
        assert not leaks(repr(e.value)), offset
        assert not leaks(fields(e.value.classification)), offset


def test_masking_a_megabyte_of_digits_stays_bounded() -> None:
    """A message of a million digits is cut at 1,000 characters; only that window is read."""
    body = {"rsp_code": "FAIL", "rsp_msg": "4" * 1_000_000}
    c = payerr.classify_http("ottpay", 200, body)
    assert c.detail is not None
    assert len(c.detail) <= 1_003


@pytest.mark.parametrize("separator", [" ", "-", ".", "_", "/"])
def test_a_card_number_grouped_by_any_separator_is_masked(separator: str) -> None:
    """Grouped as printed (4-4-4-4), by a space, "-", ".", "_" or "/": in a message, and in
    a URL path the error names (``request_url``)."""
    grouped = separator.join(["4111", "1111", "1111", "1111"])
    body = {"rsp_code": "FAIL", "rsp_msg": f"card {grouped} refused"}
    assert not leaks(fields(payerr.classify_http("ottpay", 200, body)).replace(separator, ""))

    def handler(request: httpx.Request) -> httpx.Response:
        failure = {"status": "FAILURE", "error_code": "5004", "error_description": "x"}
        return httpx.Response(200, json={"ret_code": "000000", "data": failure})

    transport = payerr.PaymentTransport("paykka", transport=httpx.MockTransport(handler))
    path = f"/v1/cards/{grouped}/pay" if separator != "/" else f"/v1/cards/{grouped}"
    with httpx.Client(transport=transport) as client, pytest.raises(payerr.PaymentError) as e:
        client.post("https://api.paykka.test" + path, json={})
    shown = f"{e.value.request_url} {e.value} {e.value!r}"
    assert not leaks(shown.replace(separator, "")), shown


def test_numbers_that_are_not_card_numbers_stay() -> None:
    """An IP address, a date, a version: groups shorter than a card's four digits."""
    for text in ("from 192.168.100.200", "on 2026.12.07", "v1.2.3", "id 12_34_56"):
        body = {"rsp_code": "FAIL", "rsp_msg": text}
        assert payerr.classify_http("ottpay", 200, body).detail == text


def test_a_card_number_in_full_width_digits_is_masked() -> None:
    """CJK text and input methods write digits full width (U+FF10 to U+FF19)."""
    full = "".join(chr(0xFF10 + int(d)) for d in PAN)
    body = {"rsp_code": "FAIL", "rsp_msg": f"card {full} refused"}
    c = payerr.classify_http("ottpay", 200, body)
    assert c.detail is not None
    assert "411111******1111" in c.detail
    assert not leaks(fields(c))


# -- the property: a card number at every offset, through every output -----------------------
#
# A Luhn-valid 16-digit and 19-digit card number, plain, grouped as printed (4-4-4-4,
# 4-4-4-4-3) by every separator payerr reads (percent-encoded ones too), glued to a
# percent-escape and in full-width digits, is placed at every offset of a text longer than
# payerr's cut of it: a code (128 characters), a message (1,000), a transport error (300), a
# URL's path and query, an issuer's message (4,096). Every output is read: the
# classification's fields, the error's str, repr, request_url and history, its traceback as
# RedactSensitive logs it, payerr's own log events and its OpenTelemetry span. None may hold 13
# of the card's digits in order.
#
# The filler holds no digit, so the check is exact: the only digits are the card's (the
# 19-digit number has no 0, 2 or 5, the digits of the percent-escapes beside it). One filler is
# letters; the others are mostly NUL and zero-width characters that cleaning drops, so that
# what payerr keeps is much shorter than what it read: a card number cut off at the end of the
# window payerr reads must not slide back within the limit.
#
# Offsets: away from the cut and from the end of the window payerr reads, the whole text is
# masked by the same scan wherever the number sits, and where a cut falls depends on a form's
# length, not on which separator it uses. So the code test (the cheapest call) runs every form
# at every offset; the longer texts run one form of each length (FEW) at every offset within 50
# characters before and 10 after each cut and window end, where a number straddles them, and
# every few offsets elsewhere (a step coprime with the groups' 4 and the filler's period).

PAN19 = "4913467813946781343"
SEPARATORS = (" ", "-", ".", "_", "/", "+", "%20", "%2D", "%2e", "%2F", "%5F", "%2B", "%2520")
LETTERS = "abcdefghijklmnopqrstuvwxyz" * 400
SHRINKING = "a\x00\u200b" * 4000  # a third kept
SHRINKING_MORE = ("a" + "\x00" * 9) * 1000  # a tenth kept: payerr reads its most, then stops


def grouped(pan: str, separator: str) -> str:
    return separator.join(pan[i : i + 4] for i in range(0, len(pan), 4))


def full_width(pan: str) -> str:
    return "".join(chr(0xFF10 + int(d)) for d in pan)


def forms(pan: str) -> list[tuple[str, str]]:
    return [
        (pan, pan),
        *((pan, grouped(pan, s)) for s in SEPARATORS),
        (pan, "%20" + pan),  # "%20" and the number read as one run of digits
        (pan, "%22" + grouped(pan, "%20") + "%22"),
        (pan, full_width(pan)),
    ]


ALL = forms(PAN) + forms(PAN19)
FEW = [
    (PAN, PAN),
    (PAN19, PAN19),
    (PAN19, grouped(PAN19, " ")),
    (PAN19, grouped(PAN19, "%20")),
    (PAN19, grouped(PAN19, "%2520")),  # the longest: 39 characters
    (PAN, "%20" + PAN),
    (PAN, full_width(PAN)),
]
_DIGIT = re.compile(r"\d")
_ESCAPE = re.compile(r"%(?:25)?[0-9A-Fa-f]{2}")
_BETWEEN = re.compile(r"[\s\-._/+]")
_ASCII = {0xFF10 + d: ord("0") + d for d in range(10)}


def survives(pan: str, text: str) -> bool:
    """Whether 13 or more of ``pan``'s digits in order are in ``text``, whatever separators and
    percent-escapes stand between them. A masked digit is a "*": it ends the run."""
    if _DIGIT.search(text) is None:  # most texts (outcomes, categories, actions): at C speed
        return False
    digits = _BETWEEN.sub("", _ESCAPE.sub("", text.translate(_ASCII)))
    return any(pan[i : i + 13] in digits for i in range(len(pan) - 12))


def test_survives_finds_what_it_should() -> None:
    for pan, form in ALL:
        assert survives(pan, f"x {form} y"), form
        assert survives(pan, f"x {form[: len(form) - 3]}"), form  # cut, still 13 digits
    assert not survives(PAN, "411111******1111")
    assert not survives(PAN19, "491346*********1343")


def placed(filler: str, offset: int, form: str, length: int) -> str:
    """``form`` at ``offset`` of a ``length``-character text of ``filler``."""
    return filler[:offset] + form + filler[offset : length - len(form)]


def positions(length: int, form: str, *dense: int, step: int = 1) -> list[int]:
    """Offsets of ``form`` in a ``length``-character text: every ``step``-th, and every one
    within 50 characters before or 10 after each ``dense`` position."""
    last = length - len(form)
    near = {o for d in dense for o in range(d - 50, d + 11)}
    return [o for o in range(last + 1) if o % step == 0 or o in near]


def classification_texts(c: payerr.Classification) -> list[str]:
    return [str(v) for v in c.as_dict().values()]


def event_texts(events: list[Any]) -> list[str]:
    texts = [f"{k}={v}" for e in events for k, v in e.items()]
    events.clear()
    return texts


def span_texts(telemetry: Any) -> list[str]:
    texts = []
    for span in telemetry.spans():
        texts += [span.name, str(span.status.description), *map(str, span.attributes.values())]
        texts += [str(v) for event in span.events for v in event.attributes.values()]
    telemetry.spans_out.clear()
    return texts


_REDACT = payerr.RedactSensitive()


def error_texts(e: payerr.PaymentError, *, traceback: bool = True) -> list[str]:
    """The error's texts; with its traceback as RedactSensitive logs it (the transport's own
    exception chained, uncut: masked whole at any offset, and the dearest to format)."""
    texts = [str(e), repr(e), str(e.request_url), repr(e.history)]
    if traceback:
        texts.append(str(_REDACT(None, "error", {"event": "payment failed", "exc_info": e})))
    return texts + classification_texts(e.classification)


def assert_masked(pan: str, texts: list[str], where: object) -> None:
    leaked = [t for t in texts if survives(pan, t)]
    assert not leaked, (where, leaked[:1])


CODE = 128 + PAN_REACH + 60  # past the cut and past the window read for it


def antom_code(code: str) -> dict[str, Any]:
    return {"result": {"resultCode": code, "resultStatus": "F", "resultMessage": "m"}}


def test_a_card_number_at_every_offset_of_a_code_is_masked() -> None:
    """classify (and its payerr.unknown_code event) for every form; classify_http too for FEW."""
    with capture_logs() as logs:
        for pan, form in ALL:
            both = (pan, form) in FEW
            for offset in range(CODE - len(form) + 1):
                code = placed(LETTERS, offset, form, CODE)
                texts = classification_texts(payerr.classify("antom", code))
                if both:
                    c = payerr.classify_http("antom", 200, antom_code(code))
                    texts += classification_texts(c)
                assert_masked(pan, texts + event_texts(logs), (form, offset))


@pytest.mark.parametrize(
    ("filler", "length", "dense", "step"),
    [
        (SHRINKING, CODE, (128 + PAN_REACH,), 5),
        # Read up to four times the first window (4 x 192), then keep what is safe.
        (SHRINKING_MORE, 1000, (128 + PAN_REACH, 4 * (128 + PAN_REACH)), 17),
    ],
    ids=["a-third-kept", "a-tenth-kept"],
)
def test_a_card_number_in_a_code_cleaning_shrinks_is_masked(
    filler: str, length: int, dense: tuple[int, ...], step: int
) -> None:
    with capture_logs() as logs:
        for pan, form in FEW:
            for offset in positions(length, form, *dense, step=step):
                code = placed(filler, offset, form, length)
                texts = classification_texts(payerr.classify("antom", code))
                assert_masked(pan, texts + event_texts(logs), (form, offset))


MESSAGE = 1000 + PAN_REACH + 60
MESSAGE_BODIES: dict[str, Callable[[str], dict[str, Any]]] = {
    "antom": lambda m: {"result": {"resultCode": "X", "resultStatus": "F", "resultMessage": m}},
    "ottpay": lambda m: {"rsp_code": "FAIL", "rsp_msg": m},
    "paykka": lambda m: {"ret_code": "000000", "data": {
        "status": "FAILURE", "error_code": "5004", "error_description": m}},
}  # fmt: skip


def test_a_card_number_at_every_offset_of_a_message_is_masked() -> None:
    """Every offset through one provider; all three (one reading: ``text_of``) where the number
    meets the cut or the end of the window read."""
    near = {o for d in (1000, 1000 + PAN_REACH) for o in range(d - 50, d + 11)}
    for pan, form in FEW:
        for offset in positions(MESSAGE, form, 1000, 1000 + PAN_REACH, step=7):
            message = placed(LETTERS, offset, form, MESSAGE)
            for provider in MESSAGE_BODIES if offset in near else ("ottpay",):
                c = payerr.classify_http(provider, 200, MESSAGE_BODIES[provider](message))
                assert_masked(pan, classification_texts(c), (provider, form, offset))


def test_a_card_number_in_an_issuers_message_is_masked() -> None:
    """The issuer's reason (Antom ``refusalReasonRaw``) is read to 4,096 characters, then
    shown to 256: every offset near either cut and the end of the window read."""
    length = 4096 + PAN_REACH + 60
    for pan, form in FEW:
        for offset in positions(length, form, 256, 4096, 4096 + PAN_REACH, step=97):
            reason = placed(LETTERS, offset, form, length)
            advice = payerr.networks.network_advice("VISA", "05", issuer_message=reason)
            assert advice is not None
            assert_masked(pan, [str(v) for v in advice.as_dict().values()], (form, offset))
    info = {"cardBrand": "VISA", "refusalCodeRaw": "05", "refusalReasonRaw": f"x {PAN} y"}
    body = {**antom_code("DO_NOT_HONOR"), "paymentResultInfo": info}
    c = payerr.classify_http("antom", 200, body, operation="pay")
    assert c.network is not None
    assert not survives(PAN, str(c.as_dict()))


class Failing:
    """A transport that fails every request with an error saying ``text``, or naming the
    request's URL (query string and all) when ``text`` is None."""

    text: str | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(self.text or f"cannot connect to {request.url}")


def failing_client(handler: Failing) -> httpx.Client:
    policy = payerr.RetryPolicy(attempts=1, budget=False)
    transport = payerr.PaymentTransport(
        "paykka", transport=httpx.MockTransport(handler), policy=policy
    )
    return httpx.Client(transport=transport)


def send_texts(
    client: httpx.Client, url: str, logs: list[Any], telemetry: Any, *, traceback: bool
) -> list[str]:
    """Every text payerr makes of one failed call: the error's and its events' and span's."""
    with pytest.raises(payerr.PaymentError) as e:
        client.post(url, json={})
    return error_texts(e.value, traceback=traceback) + event_texts(logs) + span_texts(telemetry)


TRANSPORT = 300 + PAN_REACH + 60
URL = "https://api.paykka.test/v1/payments"


@pytest.mark.parametrize(
    ("filler", "forms_", "step"),
    [(LETTERS, FEW, 9), (SHRINKING, FEW[2:5], 7)],
    ids=["letters", "a-third-kept"],
)
def test_a_card_number_at_every_offset_of_a_transport_error_is_masked(
    filler: str, forms_: list[tuple[str, str]], step: int
) -> None:
    """The error's text is cut to 300 characters, "ConnectError: " first."""
    handler = Failing()
    start = len("ConnectError: ")  # where the handler's text begins in what payerr cuts
    with installed() as telemetry, capture_logs() as logs, failing_client(handler) as client:
        for pan, form in forms_:
            cuts = (300 - start, 300 + PAN_REACH - start)
            for offset in positions(TRANSPORT, form, *cuts, step=step):
                handler.text = placed(filler, offset, form, TRANSPORT)
                texts = send_texts(client, URL, logs, telemetry, traceback=offset % step == 0)
                assert_masked(pan, texts, (form, offset))


URL_FORMS = [
    (PAN, PAN),
    (PAN19, grouped(PAN19, "/")),
    (PAN19, grouped(PAN19, "+")),
    (PAN19, grouped(PAN19, " ")),  # httpx writes it %20
    (PAN19, grouped(PAN19, "%2D")),
    (PAN19, grouped(PAN19, "%2520")),
    (PAN, "%20" + PAN),
]


def test_a_card_number_at_every_offset_of_a_url_is_masked() -> None:
    """In the path (``request_url`` and the ``url`` log field keep it, decoded: no cut there)
    and in the query string (which they drop), with the URL whole in the transport error's
    text, whose cut at 300 characters and window end fall in the query."""
    handler = Failing()  # "cannot connect to <url>"
    path, query = 100, 330
    start = len(f"ConnectError: cannot connect to {URL}/abc?ref=")
    with installed() as telemetry, capture_logs() as logs, failing_client(handler) as client:
        for pan, form in URL_FORMS:
            for offset in positions(path, form, step=5):
                url = f"{URL}/{placed(LETTERS, offset, form, path)}?ref=abc"
                texts = send_texts(client, url, logs, telemetry, traceback=offset % 15 == 0)
                assert_masked(pan, texts, ("path", form, offset))
            for offset in positions(query, form, 300 - start, 300 + PAN_REACH - start, step=9):
                url = f"{URL}/abc?ref={placed(LETTERS, offset, form, query)}"
                texts = send_texts(client, url, logs, telemetry, traceback=offset % 9 == 0)
                assert_masked(pan, texts, ("query", form, offset))


def test_percent_encoded_and_plus_grouped_card_numbers_are_masked_everywhere() -> None:
    """redact_text, the structlog processor, a classification's fields and payerr's url."""
    for pan, form in ALL:
        text = f"card {form} refused"
        assert not survives(pan, redact_text(text)), form
        event = _REDACT(None, "info", {"event": text, "detail": {"note": text}})
        assert not survives(pan, str(event)), form
        c = payerr.classify_http("ottpay", 200, {"rsp_code": "FAIL", "rsp_msg": text})
        assert not survives(pan, str(c.as_dict())), form
    assert redact_text("q=4111+1111+1111+1111&x=1") == "q=411111******1111&x=1"
    assert redact_text("/cards/4111%201111%201111%201111/") == "/cards/411111******1111/"
    assert redact_text("card%204111111111111111") == "card%20411111******1111"


def test_percent_signs_and_plus_signs_that_are_not_card_numbers_stay() -> None:
    for text in (
        "50% off, 100%", "a%20b%2Dc", "v1%2E2%2E3", "2026%2D11%2D22", "1+1=2",
        "+86 138 0013 8000", "%2520%2520", "id%3D12345678",
    ):  # fmt: skip
        assert redact_text(text) == text
        body = {"rsp_code": "FAIL", "rsp_msg": text}
        assert payerr.classify_http("ottpay", 200, body).detail == text


def test_masking_megabytes_of_digits_and_percent_signs_stays_bounded() -> None:
    """No regular expression backtracks on these (the run of "1%20" is one run of one-digit
    groups, read once); asserted on what comes back, never on time."""
    plain = ("1%20" * 250_000, "%25" * 350_000, "1%2" * 350_000, "4" * 1_000_000 + "%20")
    # Card numbers back to back (50 kB): one region, every digit but the ends starred.
    grouped_ = tuple((grouped(PAN, s) + s) * 2_000 for s in ("%20", "+", "%2520"))
    for text in plain + grouped_:
        masked = redact_text(text)
        if text in plain:  # no card number: back as it was
            assert masked == text
        else:
            assert len(masked) == len(text)
            assert set(masked) == set(text) | {"*"}
            assert not survives(PAN, masked)
        event = _REDACT(None, "info", {"event": "x", "detail": text})
        assert event["detail"] == masked
        c = payerr.classify_http("ottpay", 200, {"rsp_code": "FAIL", "rsp_msg": text})
        assert c.detail is not None
        assert len(c.detail) <= 1_003


# -- forms the second review found ------------------------------------------------------------


def _script(base: int, separator: str = "") -> str:
    """PAN in the digits of the script whose zero is ``base``, grouped by ``separator``."""
    digits = "".join(chr(base + int(d)) for d in PAN)
    return separator.join(digits[i : i + 4] for i in range(0, 16, 4))


@pytest.mark.parametrize(
    "written",
    [
        _script(0x0660),  # Arabic-Indic digits
        _script(0x1D7CE),  # mathematical bold digits
        _script(0xFF10, "\uff0d"),  # full-width digits and hyphen-minus
        _script(0xFF10, "\u3000"),  # full-width digits, ideographic spaces
        _script(0x30, "\u00a0"),  # ASCII digits, no-break spaces
        _script(0x30, "\u2013"),  # ASCII digits, en dashes
    ],
    ids=["arabic-indic", "math-bold", "full-width-dash", "ideographic-space", "nbsp", "en-dash"],
)
def test_card_numbers_in_other_scripts_and_their_separators_are_masked(written: str) -> None:
    """Every Unicode decimal digit (Nd) is read as its ASCII digit where a card number is
    looked for, and the spaces and dashes that group such digits as ASCII ones: payerr's own
    fields used to turn full-width digits into ASCII but keep the full-width hyphen, so
    "4111" + U+FF0D + "1111"... came out whole."""
    body = {"result": {"resultCode": "X", "resultStatus": "F", "resultMessage": f"card {written}"}}
    c = payerr.classify_http("antom", 200, body)
    assert "411111******1111" in fields(c)
    assert not leaks(fields(c))
    event = payerr.RedactSensitive()(None, "info", {"event": "charge", "note": written})
    assert event["note"] == "411111******1111"


def test_numbers_and_keys_holding_card_numbers_are_masked_in_logs() -> None:
    """A card number as a dict key, a float (a JSON parser's) or a Decimal is masked as the
    same digits in a string are; amounts, NaN and fractions stay as they are."""
    from decimal import Decimal

    event = {
        "event": "charge",
        "by_card": {PAN: "declined", "5555555555554444": "ok", "order-1": "paid"},
        "as_float": 4111111111111111.0,
        "as_decimal": Decimal(PAN),
        "nested": [{"n": 5555555555554444.0}],
        "amount": 12.5,
        "big_amount": Decimal("12345678901234.56"),
        "nan": float("nan"),
        "no_number": Decimal("NaN"),
    }
    out = payerr.RedactSensitive()(None, "info", event)
    assert out["by_card"] == {
        "411111******1111": "declined",
        "555555******4444": "ok",
        "order-1": "paid",
    }
    assert out["as_float"] == out["as_decimal"] == "411111******1111"
    assert out["nested"] == [{"n": "555555******4444"}]
    assert out["amount"] == 12.5
    assert out["big_amount"] == Decimal("12345678901234.56")
    assert out["no_number"].is_nan()


def test_a_card_number_in_a_urls_host_is_masked() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    transport = payerr.PaymentTransport("paykka", transport=httpx.MockTransport(broken))
    url = f"https://{PAN}.psp.test/v1/{PAN}/pay"
    with (
        capture_logs() as logs,
        httpx.Client(transport=transport) as client,
        pytest.raises(payerr.PaymentError) as e,
    ):
        client.post(url, json={})
    assert e.value.request_url == "https://411111******1111.psp.test/v1/411111******1111/pay"
    assert not any(leaks(str(log)) for log in logs)
    assert not leaks(repr(e.value))
