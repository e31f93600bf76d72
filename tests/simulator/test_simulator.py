"""payerr.testing.ProviderSimulator: envelopes, faults, deduplication, counts, the fixture."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

import payerr
from payerr import Outcome
from payerr._mappings.registry import Registry
from payerr.testing import ProviderSimulator, envelope, scenario
from payerr.testing._providers import doc_outcome

PROVIDERS = ["antom", "alipay_plus", "ottpay", "ottpay_rest", "paykka"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_mapped_code_round_trips_through_its_envelope(provider: str) -> None:
    """Any code from the mappings, carried where the provider carries it, is read back as
    itself; and where the provider's own table marks it in process (U), payerr never says
    success. The envelope's S/F/U comes from the providers' tables, not from payerr."""
    registry = Registry(use_env=False)
    for entry in registry.table(provider).entries.values():
        if provider == "paykka" and not entry.code.isdigit():
            continue  # data.status values (AUTHORIZED ...), not codes: tested in test_code_tables
        c = payerr.classify_http(provider, 200, envelope(provider, entry.code))
        if entry.code in ("000000", "0000"):
            assert c.outcome is Outcome.SUCCESS
            continue
        assert (c.code, c.known) == (entry.code.upper(), True), entry.code
        if doc_outcome(provider, entry.code) == "pending":
            assert c.outcome is not Outcome.SUCCESS, entry.code


def post(
    sim: ProviderSimulator, provider: str, headers: dict[str, str], order: str
) -> httpx.Response:
    with httpx.Client(base_url=sim.url_for(provider), timeout=httpx.Timeout(2.0, read=0.3)) as c:
        return c.post("/v1/payments", json={"merchant_order_no": order}, headers=headers)


@pytest.fixture
def sim() -> Iterator[ProviderSimulator]:
    with ProviderSimulator(stall=0.6) as simulator:
        yield simulator


@pytest.mark.parametrize("status", ["500", "502", "503", "504"])
def test_5xx_faults_do_not_execute(sim: ProviderSimulator, status: str) -> None:
    response = post(sim, "paykka", scenario(status), "o1")
    assert response.status_code == int(status)
    assert sim.executions == 0


def test_429_carries_retry_after(sim: ProviderSimulator) -> None:
    response = post(sim, "antom", scenario("429:7"), "o1")
    assert (response.status_code, response.headers["Retry-After"]) == (429, "7")
    assert sim.executions == 0


def test_reset_tears_the_connection_down_before_executing(sim: ProviderSimulator) -> None:
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        post(sim, "ottpay", scenario("reset"), "o1")
    assert sim.executions == 0


def test_stall_executes_then_answers_too_late(sim: ProviderSimulator) -> None:
    with pytest.raises(httpx.ReadTimeout):
        post(sim, "paykka", scenario("stall"), "o1")
    assert sim.executions_of("o1") == 1


def test_drop_executes_then_closes(sim: ProviderSimulator) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        post(sim, "paykka", scenario("drop"), "o1")
    assert sim.executions_of("o1") == 1


@pytest.mark.parametrize("fault", ["garbage", "truncated"])
def test_unreadable_answers_still_executed(sim: ProviderSimulator, fault: str) -> None:
    response = post(sim, "antom", scenario(fault), "o1")
    assert response.status_code == 200
    assert payerr.classify_response("antom", response).outcome is Outcome.PENDING
    assert sim.executions == 1


def test_faults_play_once_per_arrival_then_the_code(sim: ProviderSimulator) -> None:
    headers = {"Idempotency-Key": "k1", **scenario("503", "429:0", code="5004")}
    assert post(sim, "paykka", headers, "o1").status_code == 503
    assert post(sim, "paykka", headers, "o1").status_code == 429
    answer = post(sim, "paykka", headers, "o1").json()
    assert answer["data"]["error_code"] == "5004"
    assert dict(sim.faults_played) == {"503": 1, "429": 1}


def test_idempotency_keys_and_request_ids_are_deduplicated(sim: ProviderSimulator) -> None:
    key = {"Idempotency-Key": "k-9", **scenario("stall")}
    with pytest.raises(httpx.ReadTimeout):
        post(sim, "paykka", key, "o9")
    assert post(sim, "paykka", key, "o9").json()["data"]["status"] == "SUCCESS"
    with httpx.Client(base_url=sim.url_for("antom")) as c:
        for _ in range(3):
            c.post("/pay", json={"paymentRequestId": "pay-1"})
    assert sim.executions_of("k-9") == 1
    assert sim.executions_of("pay-1") == 1
    assert sim.duplicate_executions == 0


def test_an_order_sent_again_gets_the_providers_repeat_answer(sim: ProviderSimulator) -> None:
    """Seed 002: OTT Pay answers ORDER_PAID "order paid" to an order number it already paid;
    seed 003: PayKKa answers 4021 "Transaction number is duplicate". Neither runs it again."""
    post(sim, "ottpay", {}, "o-dup")
    assert post(sim, "ottpay", {}, "o-dup").json()["rsp_code"] == "ORDER_PAID"
    post(sim, "paykka", {}, "o-dup")
    assert post(sim, "paykka", {}, "o-dup").json()["data"]["error_code"] == "4021"
    assert sim.executions_of("o-dup") == 2  # one per provider
    assert sim.duplicate_executions == 0


def test_an_order_still_processing_answers_4000(sim: ProviderSimulator) -> None:
    """Seed 003: 4000 "Payment order is processing, please do not pay again"."""
    post(sim, "paykka", scenario(code="4000"), "o-slow")
    assert post(sim, "paykka", {}, "o-slow").json()["data"]["error_code"] == "4000"


def test_bad_requests_are_answered_not_crashed(sim: ProviderSimulator) -> None:
    with httpx.Client(base_url=sim.url) as c:
        assert c.post("/nowhere/pay", json={}).status_code == 404
        assert c.post("/paykka/pay", content=b"not json").status_code == 400
        assert c.post("/paykka/pay", content=b"[1, 2]").status_code == 400


def test_unknown_fault_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        scenario("explode")


def test_connections_are_counted_and_released(sim: ProviderSimulator) -> None:
    client = httpx.Client(base_url=sim.url_for("paykka"))
    client.post("/pay", json={"merchant_order_no": "c1"})
    assert sim.open_connections == 1
    client.close()
    assert sim.wait_idle(timeout=2)
    assert sim.open_connections == 0


def test_the_pytest_fixture_is_registered(payment_simulator: ProviderSimulator) -> None:
    """Installing payerr gives every suite the payment_simulator fixture."""
    response = post(payment_simulator, "antom", {}, "fixture-order")
    assert payerr.classify_response("antom", response).outcome is Outcome.SUCCESS


def test_url_needs_a_running_simulator() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = ProviderSimulator().url


@pytest.mark.payment_simulator(stall=0.2, latency=0.01)
def test_the_fixture_takes_its_settings_from_the_marker(
    payment_simulator: ProviderSimulator,
) -> None:
    assert (payment_simulator.stall, payment_simulator.latency) == (0.2, 0.01)


def test_the_factory_starts_several_and_stops_them(
    payment_simulator_factory: Callable[..., ProviderSimulator],
) -> None:
    one = payment_simulator_factory(stall=0.1)
    two = payment_simulator_factory(latency=0.0)
    assert one.url != two.url
    assert post(one, "paykka", {}, "f1").status_code == 200


def test_a_drained_budget_does_not_starve_the_next_test(pytester: pytest.Pytester) -> None:
    """Twenty identical user tests, each spending the shared budget: all pass, because the
    fixture resets payerr's process-wide state around each test."""
    pytester.makepyfile(
        """
        import pytest
        from payerr._retry.budget import shared_budget

        @pytest.mark.parametrize("n", range(20))
        def test_spends_the_budget(payment_simulator, n):
            budget = shared_budget("antom")
            assert budget.available >= budget.min_retries
            while budget.try_withdraw():
                pass
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=20)
