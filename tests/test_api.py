"""The public surface: __all__ sorted and complete, version, typing marker."""

from __future__ import annotations

import types
from pathlib import Path

import payerr


def test_all_is_sorted_and_complete() -> None:
    public = {
        name
        for name, value in vars(payerr).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"
    }
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
