"""Sorted runs of small records, kept compressed until they are read, merged in order.

Reading a large store produces one record per ticket (a ``list`` row) or several (doctor
findings), a chunk of tickets at a time. Each chunk becomes a :class:`Run`: its records
sorted and distinct, pickled as plain tuples and compressed (a few tens of bytes a
record: ticket text repeats a lot). :func:`merge` reads runs back in order, decoding a
run only once the merge reaches its first key, so that runs that follow one another
(the chunks of a store, in folder order) are decoded one or two at a time and a whole
listing is never held in memory as objects.
"""

from __future__ import annotations

import heapq
import pickle
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Key = Any  # a tuple of str, int and bool: what :func:`merge` orders records by


class Codec(Generic[T]):
    """How records of one kind become plain tuples and back, and what orders them."""

    def __init__(
        self,
        key: Callable[[T], Key],
        to_tuple: Callable[[T], tuple[Any, ...]],
        from_tuple: Callable[[tuple[Any, ...]], T],
    ) -> None:
        self.key = key
        self.to_tuple = to_tuple
        self.from_tuple = from_tuple


class Run(Generic[T]):
    """Sorted, distinct records, compressed; picklable (workers send runs back)."""

    __slots__ = ("blob", "count", "first")

    def __init__(self, records: Iterable[T], codec: Codec[T]) -> None:
        ordered = sorted(set(records), key=codec.key)
        self.count = len(ordered)
        self.first: Key | None = codec.key(ordered[0]) if ordered else None
        rows = [codec.to_tuple(record) for record in ordered]
        self.blob = zlib.compress(pickle.dumps(rows, pickle.HIGHEST_PROTOCOL), 1)

    def __reduce__(self) -> tuple[Callable[..., Run[Any]], tuple[bytes, int, Key | None]]:
        return (_restore, (self.blob, self.count, self.first))

    def read(self, codec: Codec[T]) -> Iterator[T]:
        if self.count:
            yield from map(codec.from_tuple, pickle.loads(zlib.decompress(self.blob)))


def _restore(blob: bytes, count: int, first: Key | None) -> Run[Any]:
    run: Run[Any] = Run.__new__(Run)
    run.blob, run.count, run.first = blob, count, first
    return run


def ordered(runs: Iterable[Run[T]]) -> list[Run[T]]:
    """The non-empty ``runs``, by their first key (what :func:`merge` expects)."""
    return sorted((run for run in runs if run.count), key=lambda run: run.first or ())


def merge(runs: list[Run[T]], codec: Codec[T]) -> Iterator[T]:
    """The records of ``runs`` (as :func:`ordered` returns them) in key order, each
    distinct record once (equal keys must mean equal records)."""
    heap: list[tuple[Key, int, T, Iterator[T]]] = []
    opened = 0
    last: Key | None = None
    while heap or opened < len(runs):
        while opened < len(runs) and (not heap or runs[opened].first <= heap[0][0]):
            records = runs[opened].read(codec)
            head = next(records, None)
            if head is not None:
                heapq.heappush(heap, (codec.key(head), opened, head, records))
            opened += 1
        if not heap:
            continue
        key, number, record, records = heap[0]
        if key != last:
            yield record
            last = key
        following = next(records, None)
        if following is None:
            heapq.heappop(heap)
        else:
            heapq.heapreplace(heap, (codec.key(following), number, following, records))
