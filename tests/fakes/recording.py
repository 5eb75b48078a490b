"""What every fake REST broker keeps: the requests it saw and the failures it was told to answer with."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SeenRequest:
    method: str
    path: str
    args: dict[str, list[str]]
    form: dict[str, str]
    headers: dict[str, str]
    json: Any = None


@dataclass
class Failure:
    """The next `times` requests (to `paths` prefixes, or any) are answered with this error."""
    status: int
    error_type: str | None
    message: str
    times: int
    paths: tuple[str, ...] = field(default_factory=tuple)

    def claims(self, path: str) -> bool:
        """Whether this failure answers a request to `path` (and counts it)."""
        if self.times > 0 and (not self.paths or path.startswith(self.paths)):
            self.times -= 1
            return True
        return False
