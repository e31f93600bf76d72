"""Classification in bulk: payerr.classify_many and ``payerr scan``.

The answers are the providers' documented ones (each cited); what the tests pin is that the
bulk path gives every answer the verdict the single-answer path gives it, that the report
counts them exactly (whatever the reading: gzip, stdin, one process or several), and that bad
lines and hostile text are reported, never fatal and never executed.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import payerr
from payerr._bulk import report as _scan_out
from payerr._bulk import scan as _scan
from payerr._cli.main import main
from payerr._mappings.operations import operation_of_path

ANSWERS: list[dict[str, Any]] = [
    # docs.antom.com/ac/ams/payment_cashier: result F with USER_BALANCE_NOT_ENOUGH
    {"provider": "antom", "status": 200, "path": "/ams/api/v1/payments/pay",
     "body": {"result": {"resultCode": "USER_BALANCE_NOT_ENOUGH", "resultStatus": "F",
                         "resultMessage": "The user balance is not enough for the payment."}}},
    # docs.antom.com/ac/ams/paymentri_online: inquiry S with paymentStatus SUCCESS
    {"provider": "antom", "status": 200, "path": "/ams/api/v1/payments/inquiryPayment",
     "body": json.dumps({"result": {"resultCode": "SUCCESS", "resultStatus": "S",
                                    "resultMessage": "Success"}, "paymentStatus": "SUCCESS"})},
    # docs.antom.com/ac/ams/payment_cashier: PAYMENT_IN_PROCESS, resultStatus U
    {"provider": "antom", "status": 200, "operation": "pay",
     "body": {"result": {"resultCode": "PAYMENT_IN_PROCESS", "resultStatus": "U",
                         "resultMessage": "payment in process"}}},
    # PayKKa's seed document: ret_code 000000 with data.status FAILURE and an error_code
    {"provider": "paykka", "status": 200,
     "body": {"ret_code": "000000", "data": {"status": "FAILURE", "error_code": "5004"}}},
    # a code no provider document lists: its status field (FAILURE) still decides
    {"provider": "paykka", "status": 200,
     "body": {"ret_code": "000000", "data": {"status": "FAILURE", "error_code": "NEVER_SEEN_1"}}},
    # a gateway's 503 with no body (RFC 9110 section 15.6.4: not processed), and a Retry-After
    {"provider": "ottpay", "status": 503, "body": "", "headers": {"Retry-After": "7"}},
]  # fmt: skip


def as_line(record: dict[str, Any]) -> bytes:
    return json.dumps(record).encode() + b"\n"


def write(path: Path, records: list[dict[str, Any]], extra: list[bytes] = ()) -> Path:  # type: ignore[assignment]
    path.write_bytes(b"".join(as_line(r) for r in records) + b"".join(extra))
    return path


def test_classify_many_agrees_with_classify_http_answer_by_answer() -> None:
    many = list(payerr.classify_many(ANSWERS))
    one = [
        payerr.classify_http(
            r["provider"],
            r["status"],
            r["body"],
            r.get("headers"),
            operation=r.get("operation") or (operation_of_path(r["path"]) if "path" in r else None),
        )
        for r in ANSWERS
    ]
    assert many == one
    assert [c.outcome.value for c in many] == [
        "failed", "success", "pending", "failed", "failed", "failed"
    ]  # fmt: skip
    assert many[5].retry_after == 7.0


def test_classify_many_is_lazy_and_names_a_bad_record() -> None:
    def records() -> Any:
        yield ANSWERS[0]
        yield {"provider": "antom", "status": "200", "body": {}}
        raise AssertionError("read past the bad record")

    results = payerr.classify_many(records())
    assert next(results).outcome is payerr.Outcome.FAILED
    with pytest.raises(payerr.UsageError, match=r"record 1: 'status' must be an HTTP status"):
        next(results)
    with pytest.raises(payerr.UnknownProviderError):
        list(payerr.classify_many([{"provider": "stripe", "status": 200, "body": b""}]))
    for bad, words in [
        ("not a mapping", "a mapping is needed"),
        ({"status": 200}, "'provider' must be text"),
        ({"provider": "antom", "status": 200, "body": 5}, "'body' must be bytes"),
        ({"provider": "antom", "status": 200, "operation": "rfnd"}, "unknown operation"),
        ({"provider": "antom", "status": 200, "path": 7}, "'path' must be text"),
        ({"provider": "antom", "status": True}, "'status' must be"),
    ]:
        with pytest.raises(payerr.UsageError, match=words):
            list(payerr.classify_many([bad]))  # type: ignore[list-item]


def expected_report(records: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    results = list(payerr.classify_many(records))
    return {
        "providers": Counter(c.provider for c in results),
        "outcomes": Counter(c.outcome.value for c in results),
        "reasons": Counter(c.reason.value for c in results),
    }


def counts(report: _scan.Report) -> dict[str, Counter[str]]:
    return {"providers": report.providers, "outcomes": report.outcomes, "reasons": report.reasons}


BAD = [
    b"not json\n",
    b"\n",  # blank: skipped, not bad
    b'{"provider": "stripe", "status": 200, "body": {}}\n',
    b'{"provider": "antom", "status": 200.0, "body": {}}\n',
    b'["provider", "antom"]\n',
    b'{"provider": "antom", "provider": "paykka", "status": 200, "body": {}}\n',
    b'{"provider": "antom", "status": 200, "body": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}\n",
    b'{"provider": "antom", "status": 200, "body": "\xff\xfe"}\n',
]


def test_a_scan_counts_every_answer_and_reports_bad_lines_by_number(tmp_path: Path) -> None:
    path = write(tmp_path / "answers.jsonl", ANSWERS * 3, BAD)
    report = _scan.scan(str(path))
    assert report.answers == len(ANSWERS) * 3
    assert counts(report) == expected_report(ANSWERS * 3)
    first_bad = len(ANSWERS) * 3 + 1
    assert [line for line, _ in report.bad_lines] == [
        first_bad, first_bad + 2, first_bad + 3, first_bad + 4, first_bad + 5, first_bad + 6,
        first_bad + 7,
    ]  # fmt: skip
    assert report.bad == 7
    assert report.lines == len(ANSWERS) * 3 + len(BAD)
    assert report.unknown == Counter({("paykka", "NEVER_SEEN_1"): 3})
    whys = dict(report.bad_lines)
    assert "unknown provider 'stripe'" in whys[first_bad + 2]
    assert "given twice" in whys[first_bad + 5]


def test_a_body_that_names_a_field_twice_is_garbled_not_a_bad_line(tmp_path: Path) -> None:
    """As on the wire: two resultStatus values are read differently by different parsers, so
    the answer is outcome unknown (RFC 8259 section 4), never success."""
    line = (b'{"provider": "antom", "status": 200, "body": {"result": {"resultCode": "SUCCESS",'
            b' "resultStatus": "F", "resultStatus": "S"}}}\n')  # fmt: skip
    report = _scan.scan(str(write(tmp_path / "twice.jsonl", [], [line])))
    assert report.bad == 0
    assert report.outcomes == Counter({"pending": 1})


def test_gzip_stdin_and_workers_give_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [dict(r, n=i) for i in range(60) for r in ANSWERS]
    plain = write(tmp_path / "answers.jsonl", records, BAD)
    data = plain.read_bytes()
    packed = tmp_path / "answers.jsonl.gz"
    packed.write_bytes(gzip.compress(data))
    one = _scan_out.as_json(_scan.scan(str(plain)), "x")
    assert one["answers"] == 360
    assert _scan_out.as_json(_scan.scan(str(packed)), "x") == one
    assert _scan_out.as_json(_scan.scan("-", stdin=io.BytesIO(data)), "x") == one
    gz_stdin = io.BytesIO(gzip.compress(data))
    assert _scan_out.as_json(_scan.scan("-", stdin=gz_stdin), "x") == one
    # Several workers: the file cut into pieces mid-line (2 KB each), and stdin in batches.
    monkeypatch.setattr(_scan, "PIECE", 2048)
    monkeypatch.setattr(_scan, "BATCH", 50)
    assert _scan_out.as_json(_scan.scan(str(plain), jobs=2), "x") == one
    assert _scan_out.as_json(_scan.scan("-", jobs=2, stdin=io.BytesIO(data)), "x") == one


def test_the_codes_remembered_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_scan, "MAX_CODES", 5)
    records = [
        {"provider": "paykka", "status": 200,
         "body": {"ret_code": "000000", "data": {"status": "FAILURE", "error_code": f"NEW{i}"}}}
        for i in range(50)
    ]  # fmt: skip
    report = _scan.scan(str(write(tmp_path / "many.jsonl", records)))
    assert report.answers == 50
    assert len(report.unknown) == 6  # five codes, and the rest counted together
    assert report.unknown[("paykka", _scan.OTHER)] == 45
    assert sum(report.codes.values()) == 50


HOSTILE = "<script>alert(1)</script>"


def hostile_file(tmp_path: Path) -> Path:
    records = [
        {"provider": "paykka", "status": 200,
         "body": {"ret_code": "000000", "data": {"status": "FAILURE", "error_code": code}}}
        for code in (HOSTILE, "=HYPERLINK(\"http://x\")", "\x1b[31mRED", " =1+1", "\uff1d1+1",
                     "|calc")
    ]  # fmt: skip
    return write(tmp_path / "hostile.jsonl", records)


def test_the_html_page_is_self_contained_and_escapes_provider_text(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert main(["scan", str(hostile_file(tmp_path)), "--html", str(page), "--jobs", "1"]) == 0
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "<svg" in html
    assert HOSTILE not in html
    assert "&lt;script&gt;" in html
    lowered = html.lower()
    for fetching in ("<script", " src=", " href=", "url(", "@import", "<link", "<iframe"):
        assert fetching not in lowered
    assert "\x1b" not in html


def test_csv_cells_never_start_a_formula(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(hostile_file(tmp_path)), "--csv"]) == 0
    out = capsys.readouterr().out
    assert "'=HYPERLINK" in out
    assert ",=HYPERLINK" not in out
    for formula in (" =1+1", "\uff1d1+1", "|calc"):
        assert f",'{formula}" in out


def test_the_cli_text_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "answers.jsonl", ANSWERS, BAD[:1])
    assert main(["scan", "answers.jsonl"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("payerr scan: 6 answers from answers.jsonl (1 bad line: 7)")
    assert "unknown codes to map (1)" in out
    assert "NEVER_SEEN_1" in out
    assert max(len(line) for line in out.splitlines()) <= 100


def test_the_cli_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "answers.jsonl", ANSWERS)
    assert main(["scan", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {
        "source", "answers", "lines", "bad_lines", "providers", "outcomes", "categories",
        "reasons", "retryable", "codes", "unknown_codes",
    }  # fmt: skip
    assert data["answers"] == 6
    assert data["outcomes"]["pending"] == {"count": 1, "share": 0.166667}
    assert data["unknown_codes"] == [
        {"provider": "paykka", "code": "NEVER_SEEN_1", "count": 1, "share": 0.166667}
    ]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["scan", "/no/such/file.jsonl"], "no such file"),
        (["scan", "FILE", "--jobs", "0"], "must be a number of processes"),
        (["scan", "FILE", "--json", "--csv"], "not allowed with"),
    ],
)
def test_cli_usage_errors(
    argv: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "a.jsonl", ANSWERS[:1])
    argv = [str(path) if a == "FILE" else a for a in argv]
    with pytest.raises(SystemExit) if "--jobs" in argv or "--csv" in argv else _no_exit():
        assert main(argv) == 2
    assert words in capsys.readouterr().err


class _no_exit:  # noqa: N801 -- a context manager used like pytest.raises
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_truncated_gzip_keeps_what_was_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], jobs: int
) -> None:
    """A log cut short while it was compressed (a rotation mid-write, a copy stopped): every
    line read before the cut is counted, and the cut is a bad line saying so."""
    whole = b"".join(as_line(r) for r in ANSWERS * 2000)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(whole)[:-2000])
    report = _scan.scan(str(path), jobs=jobs)
    assert 0 < report.answers < len(ANSWERS) * 2000
    assert report.bad >= 1
    number, why = report.bad_lines[-1]
    assert number == report.lines
    assert "cannot be read from here on" in why
    assert main(["scan", str(path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["answers"] == report.answers


def test_a_pipe_is_read_as_a_stream(tmp_path: Path) -> None:
    """``payerr scan <(zcat answers.jsonl.gz)``: a named pipe, opened once."""
    fifo = tmp_path / "answers.pipe"
    os.mkfifo(fifo)
    data = gzip.compress(b"".join(as_line(r) for r in ANSWERS))

    def feed() -> None:
        with open(fifo, "wb") as w:
            w.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        assert main(["scan", str(fifo), "--json"]) == 0
    finally:
        writer.join(timeout=30)


def test_scan_edges(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A byte-order mark before the first line is no bad line; a line without a body is one
    (an empty answer is logged as "body": ""); --html never overwrites the file scanned."""
    path = tmp_path / "answers.jsonl"
    no_body = b'{"provider": "paykka", "status": 200}\n'
    path.write_bytes(b"\xef\xbb\xbf" + as_line(ANSWERS[0]) + no_body + as_line(ANSWERS[1]))
    report = _scan.scan(str(path))
    assert report.answers == 2
    assert report.bad_lines == [(2, report.bad_lines[0][1])]
    assert "no 'body' field" in report.bad_lines[0][1]
    before = path.read_bytes()
    assert main(["scan", str(path), "--html", str(path)]) == 2
    assert "is the file being scanned" in capsys.readouterr().err
    assert path.read_bytes() == before
    # The same file on standard input (found by the hostile review: it was overwritten).
    with open(path, "rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "payerr", "scan", "-", "--html", str(path)],
            stdin=stdin, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 2
    assert "is the file being scanned" in done.stderr
    assert path.read_bytes() == before


def test_a_body_nested_too_deep_beside_a_name_given_twice_is_one_bad_line(
    tmp_path: Path,
) -> None:
    """Read again to keep the names given twice, a body nested 600 deep raised RecursionError
    out of the whole scan (found by the hostile review)."""
    deep = b'{"a": ' * 600 + b"1" + b"}" * 600
    line = b'{"provider": "antom", "status": 200, "body": {"x": 1, "x": 2, "d": ' + deep + b"}}\n"
    path = tmp_path / "deep.jsonl"
    path.write_bytes(as_line(ANSWERS[0]) + line + as_line(ANSWERS[1]))
    report = _scan.scan(str(path))
    assert report.answers == 2
    assert [n for n, _ in report.bad_lines] == [2]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_that_cannot_be_written_is_said(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", ANSWERS)
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "payerr", "scan", str(path)],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "payerr: error: cannot write the output: No space left on device"
    )


def test_a_frequent_code_that_starts_late_is_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the bound, the most frequent codes are kept: thousands of one-off codes first never
    hide the code that then declines every payment (nor a known code)."""
    monkeypatch.setattr(_scan, "MAX_CODES", 5)

    def paykka(code: str) -> dict[str, Any]:
        data = {"status": "FAILURE", "error_code": code}
        return {"provider": "paykka", "status": 200, "body": {"ret_code": "000000", "data": data}}

    records = [paykka(f"NOISE{i}") for i in range(50)] + [paykka("LATE")] * 20
    records += [paykka("5004")] * 7
    path = write(tmp_path / "late.jsonl", records)
    for jobs in (1, 2):
        monkeypatch.setattr(_scan, "PIECE", 512)
        report = _scan.scan(str(path), jobs=jobs)
        assert report.unknown[("paykka", "LATE")] == 20
        assert sum(report.unknown.values()) == 70
        assert len(report.unknown) <= 6
        known = {key[1]: n for key, n in report.codes.items()}
        assert known["5004"] == 7
        assert sum(report.codes.values()) == 77


def test_a_line_too_long_is_skipped_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A line past the limit is a bad line, read no further than the limit (a gzip of zeros
    is one line of gigabytes), and the lines after it still count: file, stdin, workers."""
    # The real limit: spawned workers (another platform, or a thread running here) read it
    # from the module, not from this test's patch.
    monkeypatch.setattr(_scan, "PIECE", 1 << 20)
    monkeypatch.setattr(_scan, "BATCH_BYTES", 500)
    long = b'{"provider": "paykka", "status": 200, "body": "' + b"x" * _scan.MAX_LINE + b'"}\n'
    path = write(tmp_path / "long.jsonl", ANSWERS[3:4], [long, as_line(ANSWERS[3]), long])
    data = path.read_bytes()
    for report in (
        _scan.scan(str(path)),
        _scan.scan(str(path), jobs=2),
        _scan.scan("-", stdin=io.BytesIO(data)),
        _scan.scan("-", jobs=2, stdin=io.BytesIO(gzip.compress(data))),
    ):
        assert report.answers == 2
        assert [line for line, _ in report.bad_lines] == [2, 4]
        assert "longer than" in report.bad_lines[0][1]


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc for the workers")
def test_ctrl_c_stops_the_scan_without_a_traceback_per_worker(tmp_path: Path) -> None:
    """Ctrl-C while two workers wait for lines: the scan exits 130, saying nothing from the
    workers (each printed a KeyboardInterrupt traceback), and leaves none running."""
    fifo = tmp_path / "answers.pipe"
    os.mkfifo(fifo)
    scan = subprocess.Popen(
        [sys.executable, "-m", "payerr", "scan", str(fifo), "--jobs", "2"],
        stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    with open(fifo, "wb") as writer:  # held open: the scan waits for more lines
        writer.write(as_line(ANSWERS[0]) * 10)
        writer.flush()
        children = Path(f"/proc/{scan.pid}/task/{scan.pid}/children")
        for _ in range(600):  # the pool's two workers started (at most a minute)
            if len(children.read_text().split()) >= 2:
                break
            time.sleep(0.1)
        workers = children.read_text().split()
        assert len(workers) >= 2
        for _ in range(100):  # each worker started (its SIGINT set aside), at most 10 s
            if all(_ignores_sigint(pid) for pid in workers):
                break
            time.sleep(0.1)
        os.killpg(scan.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
        _, err = scan.communicate(timeout=60)
    assert scan.returncode == 130
    assert "Traceback" not in err
    assert "PoolWorker" not in err
    assert not [pid for pid in workers if _running(pid)]


def _running(pid: str) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:  # gone
        return False


def _ignores_sigint(pid: str) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    return False
