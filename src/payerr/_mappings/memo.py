"""Readings remembered by the body fields they read: a parsed body's verdict computed once.

Classifying an answer is a pure function of the provider's table, the HTTP status, the
operation and the values the envelope reader looks at. Answers repeat (the same few codes and
messages for every payment; only ids, amounts and times differ, and no reader looks at those),
so a table remembers its verdicts, keyed by exactly the values its reader read.

Which values those are is learnt, never declared: a verdict is computed on a traced copy of the
body that records every field the reader asked for (``get``, ``[]``, ``in``), and is remembered
only under a key holding each of those fields' values. A body whose values at every such field
are equal (the same type, the same text; absent where absent) makes the reader take the same
steps and reach the same verdict. A reader that asked anything else of a body (its length, its
names, its repr) is never remembered for it. Bounded: short texts only, a fixed number of
fields and verdicts per table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Final, TypeVar

__all__ = ["ReadingMemo"]

_MAX_PATHS: Final = 64
"""Fields a table's readers may read before it stops remembering (the shipped ones read ~20)."""
_MAX_VERDICTS: Final = 1024
"""Verdicts remembered per table; the oldest goes first."""
_MAX_SEEN: Final = 8192
"""Keys seen once, remembered by their hash only (a collision only remembers a verdict one
sight early, under its full key); forgotten all at once when full."""
_MAX_TEXT: Final = 256
"""Longer texts in a field read are not remembered (never held, never hashed twice)."""


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_MISSING: Final = _Marker("MISSING")
"""The field is absent (distinct from a JSON null: ``in`` tells them apart)."""
_NOT_OBJECT: Final = _Marker("NOT_OBJECT")
"""A field below one that is not an object."""
_OBJECT: Final = _Marker("OBJECT")
"""The field is an object: the fields read below it are keyed on their own."""

Path = tuple[str, ...]
_V = TypeVar("_V")


def _key(body: dict[str, Any], paths: tuple[Path, ...]) -> tuple[object, ...] | None:
    """The values at ``paths``, typed; None when one cannot be remembered."""
    out: list[object] = []
    append = out.append
    for path in paths:
        value: Any = body
        for name in path:
            if value.__class__ is not dict:
                value = _NOT_OBJECT
                break
            value = value.get(name, _MISSING)
        cls = value.__class__
        if cls is str:
            if len(value) > _MAX_TEXT:
                return None
            append(value)
        elif cls is dict:
            append(_OBJECT)
        elif value is None or cls is _Marker:
            append(value)
        elif cls is int or cls is bool:
            append((cls, value))  # 1, 1.0 and True are equal keys: their type tells them apart
        elif cls is float:
            append((cls, repr(value)))  # -0.0 == 0.0, and a message may quote either
        else:
            return None  # a list, a dict subclass, a str subclass ...: not remembered
    return tuple(out)


class _Trace:
    """What a reader asked of one body."""

    __slots__ = ("opaque", "paths")

    def __init__(self) -> None:
        self.paths: dict[Path, None] = {}
        self.opaque = False


class _Traced(dict[str, Any]):
    """A body (or an object inside it) that records the fields asked of it."""

    __slots__ = ("_at", "_trace")

    def __init__(self, source: dict[str, Any], at: Path, trace: _Trace) -> None:
        super().__init__(source)
        self._at = at
        self._trace = trace

    def _value(self, name: object, value: Any) -> Any:
        if value.__class__ is dict and isinstance(name, str):
            return _Traced(value, (*self._at, name), self._trace)
        return value

    def _asked(self, name: object) -> None:
        if isinstance(name, str):
            self._trace.paths[(*self._at, name)] = None
        else:
            self._trace.opaque = True

    def get(self, name: str, default: Any = None) -> Any:
        self._asked(name)
        return self._value(name, dict.get(self, name, default))

    def __getitem__(self, name: str) -> Any:
        self._asked(name)
        return self._value(name, dict.__getitem__(self, name))

    def __contains__(self, name: object) -> bool:
        self._asked(name)
        return dict.__contains__(self, name)

    __hash__ = None


def _whole(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` of dict, marking the trace opaque first: the reader looked at the whole body
    (its names, its length, its text), which no key of named fields covers."""

    def whole(self: _Traced, *args: Any) -> Any:
        self._trace.opaque = True
        return method(self, *args)

    return whole


for _name in (
    "__iter__", "__reversed__", "__len__", "__repr__", "__eq__", "__ne__", "__or__", "__ror__",
    "keys", "values", "items", "copy", "__reduce_ex__",
):  # fmt: skip
    setattr(_Traced, _name, _whole(getattr(dict, _name)))
del _name


def _compiled(paths: tuple[Path, ...]) -> Callable[[dict[str, Any]], tuple[object, ...] | None]:
    """:func:`_key` for ``paths`` as straight-line code, for bodies of texts and nulls only.

    Gives the same key as ``_key(body, paths)``, or None where a value is anything but a text,
    a null, an object or absent (``_key`` then decides). Texts are not measured: the caller
    passes only bodies too small to hold a long one. The field names are written as
    ``repr()`` literals.
    """
    names = {path: f"v{i}" for i, path in enumerate(paths)}
    parents = {path[:-1] for path in paths if len(path) > 1}
    lines = ["def key(b):"]
    out = []
    for path in paths:
        var = names[path]
        parent = names.get(path[:-1], "") if len(path) > 1 else "b"
        if not parent:  # cannot happen: a reader reaches a field through its parent
            raise ValueError(f"no parent for {path!r}")
        if parent == "b":
            lines.append(f"    {var} = b.get({path[-1]!r}, M)")
        else:
            lines.append(
                f"    {var} = {parent}.get({path[-1]!r}, M) if {parent}.__class__ is D else N"
            )
        out.append(f"O if {var}.__class__ is D else {var}" if path in parents else var)
    lines.append(f"    k = ({', '.join(out)}{',' if out else ''})")
    lines.append("    return k if TEXTS.issuperset(map(type, k)) else None")
    namespace: dict[str, Any] = {
        "M": _MISSING,
        "N": _NOT_OBJECT,
        "O": _OBJECT,
        "D": dict,
        "TEXTS": _TEXTS,
    }
    exec("\n".join(lines), namespace)
    return namespace["key"]  # type: ignore[no-any-return]


_TEXTS: Final = frozenset({str, type(None), _Marker})
_SMALL: Final = 4096
"""Bodies of at most this many bytes are keyed by the compiled reader, unmeasured: no text in
them is longer. Remembered keys hold at most ``_MAX_VERDICTS`` times this much text."""


class ReadingMemo:
    """One table's remembered verdicts: the fields its readers read, and a verdict per key."""

    __slots__ = ("_lock", "_seen", "_state")

    def __init__(self) -> None:
        # The fields read so far, their compiled key, and the verdicts keyed by their values:
        # replaced together, so a verdict is only ever looked up under the fields it was
        # keyed on.
        self._state: _State = _State((), _compiled(()), {})
        self._lock = threading.Lock()
        self._seen: set[int] = set()
        """Hashes of keys seen once and not yet remembered."""

    def read(
        self,
        body: dict[str, Any],
        size: int | None,
        extra: tuple[object, ...],
        compute: Callable[[dict[str, Any]], _V],
    ) -> _V:
        """``compute(body)``, remembered under ``extra`` (what else it depends on) and the
        values of the fields it read. ``size`` is the body's length in bytes, None for an
        object handed over already parsed."""
        state = self._state
        key = state.key(body) if size is not None and size <= _SMALL else None
        if key is None:
            key = _key(body, state.paths)
            if key is None:
                return compute(body)
        full = (extra, key)
        verdicts = state.verdicts
        hit = verdicts.get(full)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        seen = self._seen
        mark = hash(full)
        if mark not in seen:
            # Remembered from its second sight: an answer never seen again (a message with
            # an order id in it) costs one plain reading, not a traced one.
            if len(seen) >= _MAX_SEEN:
                seen.clear()
            seen.add(mark)
            return compute(body)
        trace = _Trace()
        result = compute(_Traced(body, (), trace))
        if trace.opaque:
            return result
        if not trace.paths.keys() <= state.known:
            with self._lock:
                state = self._state
                grown = tuple(dict.fromkeys((*state.paths, *trace.paths)))
                if len(grown) > _MAX_PATHS:
                    return result
                if grown != state.paths:
                    state = self._state = _State(grown, _compiled(grown), {})
            verdicts = state.verdicts
            key = _key(body, state.paths)
            if key is None:
                return result
            full = (extra, key)
        with self._lock:  # another thread may be adding one: the oldest is read safely
            if len(verdicts) >= _MAX_VERDICTS:
                verdicts.pop(next(iter(verdicts)), None)
            verdicts[full] = result
        return result


class _State:
    """The fields read so far, their key, and the verdicts remembered under it."""

    __slots__ = ("key", "known", "paths", "verdicts")

    def __init__(
        self,
        paths: tuple[Path, ...],
        key: Callable[[dict[str, Any]], tuple[object, ...] | None],
        verdicts: dict[tuple[object, ...], Any],
    ) -> None:
        self.paths = paths
        self.known = frozenset(paths)
        self.key = key
        self.verdicts = verdicts
