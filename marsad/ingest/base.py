"""Source: one platform export format -> a stream of RawRecord (or BadRecord).

A source never raises on a bad record: it yields a ``BadRecord`` naming the file, the
line/record number and the reason, and goes on, so the pipeline can quarantine it. It only
raises ``InputError`` when the whole file is unreadable as that format.

Sources register by class name (``TelegramSource`` -> ``telegram``) in ``SOURCES``; the
built-ins are registered exactly like a plugin's (``marsad.plugins`` entry points).
"""
from __future__ import annotations

import abc
import re
from collections import Counter
from pathlib import Path
from typing import ClassVar, Iterator

from marsad.model import BadRecord, RawRecord

SOURCES: dict[str, type["Source"]] = {}


class Skips(Counter):
    """Records read but deliberately not turned into posts (service messages, API errors,
    channels in a video search), by kind: counted so that nothing disappears unreported."""


class Source(abc.ABC):
    """Reads one export format. Subclasses set ``suffixes`` and implement ``sniff`` and
    ``records``; ``name`` derives from the class name."""

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]] = ()
    #: Auto-detection order: lower goes first (specific formats before generic ones).
    priority: ClassVar[int] = 50

    def __init__(self):
        self.skipped = Skips()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # ABCMeta sets __abstractmethods__ only after this hook runs, so look for abstract
        # methods directly: a shared base (documents.ResponseSource) is not a format.
        if not any(getattr(getattr(cls, n, None), "__isabstractmethod__", False) for n in dir(cls)):
            cls.name = re.sub(r"Source$", "", cls.__name__).lower()
            SOURCES[cls.name] = cls

    @classmethod
    @abc.abstractmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        """True when the file (its first 64 KiB are ``head``) looks like this format."""

    @abc.abstractmethod
    def records(self, path: Path) -> Iterator[RawRecord | BadRecord]:
        """Every record of the file, in file order."""
