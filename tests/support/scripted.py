"""A scripted inner transport for tests: answers from a list, recording every request."""

from __future__ import annotations

import httpx

Answer = httpx.Response | Exception


class Scripted:
    """A handler answering from a list (the last answer repeats), recording each request."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        request.read()
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        # A fresh response each time: clients rebind a response's stream, so never share one.
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    @property
    def bodies(self) -> list[bytes]:
        return [r.content for r in self.requests]
