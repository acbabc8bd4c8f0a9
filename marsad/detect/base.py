"""Detector contract: a pure function over a batch of posts, model loaded once.

``predict(posts) -> list[Finding]``, one finding per post in the same order. Detectors hold
no connection and no global state beyond their loaded model, so the same object runs
in-process, behind the API, and (not built yet) per partition of a Spark job.
Learned components follow the scikit-learn estimator contract (``fit`` returns self,
learned state ends in ``_``).
"""
from __future__ import annotations

import abc
from typing import ClassVar, Sequence

from marsad.model import Finding, Post


class Detector(abc.ABC):
    name: ClassVar[str] = "detector"
    version: ClassVar[str] = "0"

    @abc.abstractmethod
    def predict(self, posts: Sequence[Post]) -> list[Finding]:
        """One Finding per post, same order."""

    @property
    def tag(self) -> str:
        """Stored with each finding so a re-run with a new model is traceable."""
        return f"{self.name}@{self.version}"
