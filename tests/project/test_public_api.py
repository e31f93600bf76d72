"""The public surface: __all__ sorted and complete, version, typing marker."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

import payerr
import payerr.testing


def test_all_is_sorted_and_complete() -> None:
    """Every name of __all__ is there (loaded on first use), and nothing public besides."""
    for name in payerr.__all__:
        getattr(payerr, name)
    public = {
        name
        for name, value in vars(payerr).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
    assert set(payerr.__all__) <= set(dir(payerr))
    assert payerr.__all__ == sorted(payerr.__all__)
    assert set(payerr.__all__) == public


def test_version_is_read_from_the_installed_metadata() -> None:
    assert payerr.__version__ == "0.1.0"


def test_py_typed_marker_ships() -> None:
    assert (Path(payerr.__file__).parent / "py.typed").is_file()


def test_providers_lists_the_shipped_providers() -> None:
    """The four of the seeds, and OTT Pay's REST API beside its legacy one."""
    assert payerr.providers() == ["alipay_plus", "antom", "ottpay", "ottpay_rest", "paykka"]


def test_payment_error_carries_its_classification() -> None:
    c = payerr.classify("antom", "FRAUD_REJECT")
    err = payerr.PaymentError(c)
    assert err.classification is c
    assert "FRAUD_REJECT" in str(err)
    assert "risk" in str(err)


def test_public_objects_name_the_public_module() -> None:
    """help(), reprs and tracebacks say payerr.X (as httpx does), not payerr._module.X."""
    for name in payerr.__all__:
        obj = getattr(payerr, name)
        module = getattr(obj, "__module__", "payerr")
        assert not module.startswith("payerr._"), (name, module)
    assert payerr.networks.ReattemptLimiter.__module__ == "payerr.networks"
    assert repr(payerr.RetryPolicy).startswith("<class 'payerr.RetryPolicy'")


def test_card_network_names_moved_and_warn_where_they_were() -> None:
    import pytest

    with pytest.warns(DeprecationWarning, match="payerr.networks.ReattemptLimiter"):
        limiter = payerr.ReattemptLimiter
    assert limiter is payerr.networks.ReattemptLimiter
    assert not set(payerr.networks.__all__) & set(payerr.__all__)


def test_explain_takes_registry_operation_and_networks() -> None:
    """payerr.explain answers what `payerr explain` does: networks too, an operation's own row,
    another registry's rows."""
    issuer = payerr.explain("visa", "05")
    assert issuer is not None
    assert issuer.message == "Do not honor"
    assert payerr.explain("VISA", "zz") is None
    general = payerr.explain("antom", "ORDER_NOT_EXIST")
    scoped = payerr.explain("antom", "ORDER_NOT_EXIST", operation="inquiry")
    assert general is not None
    assert scoped is not None
    assert scoped.operations == ("inquiry",)
    assert general.operations == ()
    registry = payerr.Registry()
    registry.add_mapping({"provider": {"id": "antom"}, "code": [
        {"code": "PROCESS_FAIL", "message": "A general business failure occurred.",
         "outcome": "failed", "category": "merchant-config"}
    ]})  # fmt: skip
    overlaid = payerr.explain("antom", "process_fail", registry=registry)
    assert overlaid is not None
    assert overlaid.category == "merchant-config"


PUBLIC = (
    [(payerr, name) for name in payerr.__all__]
    + [(payerr.networks, name) for name in payerr.networks.__all__]
    + [(payerr.testing, n) for n in payerr.testing.__all__ if callable(getattr(payerr.testing, n))]
)


def test_the_docstring_examples_run() -> None:
    """Every example in a public docstring is a doctest, run here as written."""
    import doctest

    import httpx

    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    ran = 0
    for module, name in PUBLIC:
        obj = getattr(module, name)
        globs = {"payerr": payerr, "httpx": httpx, **vars(payerr.testing)}
        for test in finder.find(obj, name, globs=globs):
            ran += len(test.examples)
            runner.run(test)
    assert ran >= 50
    assert runner.summarize(verbose=False).failed == 0


FUNCTIONS = [
    "classify", "classify_http", "classify_response", "classification_of", "explain",
    "providers", "default_registry", "load_mappings", "is_replay_safe", "add_payment_context",
]  # fmt: skip


@pytest.mark.parametrize("name", FUNCTIONS)
def test_public_functions_document_args_returns_and_an_example(name: str) -> None:
    import inspect

    doc = inspect.getdoc(getattr(payerr, name)) or ""
    if inspect.signature(getattr(payerr, name)).parameters:
        assert "Args:" in doc
    assert "Returns:" in doc
    assert "Example:" in doc


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[n for _, n in PUBLIC])
def test_every_public_object_has_an_example(module: object, name: str) -> None:
    import inspect

    doc = inspect.getdoc(getattr(module, name)) or ""
    assert "Example:" in doc, name


def test_explain_reads_networks_beside_any_registry_and_providers_in_any_case() -> None:
    registry = payerr.Registry()
    issuer = payerr.explain("visa", "05", registry=registry)
    assert isinstance(issuer, payerr.networks.IssuerCode)
    assert issuer.__class__.__module__ == "payerr.networks"
    entry = payerr.explain("Antom", "SUCCESS")
    assert entry is not None
    assert entry.provider == "antom"
    with pytest.raises(payerr.UsageError, match="card network"):
        payerr.explain("visa", "05", operation="refund")


def test_testing_envelope_refuses_an_unknown_provider() -> None:
    with pytest.raises(payerr.UnknownProviderError, match="nope") as raised:
        payerr.testing.envelope("nope", "X")
    assert raised.value.provider == "nope"
    assert "paykka" in raised.value.known


def test_import_payerr_loads_nothing_until_asked() -> None:
    """``import payerr`` costs little more than its dependencies: the CLI, the transports,
    the card networks, the simulator and telemetry load when first named (a new process, as
    a user's)."""
    import json
    import subprocess
    import sys

    code = (
        "import sys, payerr; loaded = {m for m in sys.modules if m.startswith('payerr')}; "
        "payerr.classify_response; after = {m for m in sys.modules if m.startswith('payerr')}; "
        "print(sorted(loaded)); print(sorted(after))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, after = (json.loads(line.replace("'", '"')) for line in out.stdout.splitlines())
    assert loaded == ["payerr"]
    named = "import payerr; print(payerr._mappings.__name__, payerr.networks.__name__)"
    private = subprocess.run(
        [sys.executable, "-c", named], capture_output=True, text=True, check=True
    )
    assert private.stdout.split() == [
        "payerr._mappings",
        "payerr.networks",
    ]  # loaded when named
    heavy = ["payerr._retry.transport", "payerr._cli.main", "payerr.networks._codes",
             "payerr.testing", "payerr.networks._reattempts", "payerr._notifications",
             "payerr._retry.ledger_redis"]  # fmt: skip
    assert not set(heavy) & set(after)


def test_first_use_from_many_threads_at_once() -> None:
    """A threaded server's first requests name payerr's parts from several threads at once:
    each gets its name, never a half-loaded module's AttributeError."""
    import subprocess
    import sys

    code = """
import threading, payerr
names = ["classify_http", "PaymentError", "classify_response", "Classification", "explain",
         "PaymentTransport", "verify_notification", "classify_many", "Reason", "networks"]
barrier = threading.Barrier(len(names))
errors = []
def use(name):
    barrier.wait()
    try:
        getattr(payerr, name)
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=use, args=(n,)) for n in names]
for t in threads: t.start()
for t in threads: t.join()
print(errors)
"""
    for _ in range(8):
        done = subprocess.run(
            [sys.executable, "-c", code], check=False, capture_output=True, text=True
        )
        assert done.stdout.strip() == "[]", done.stdout + done.stderr
