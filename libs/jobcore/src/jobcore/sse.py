"""Server-Sent Events wire format (pure): decoding for the SDK."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class SseEvent:
    event: str = "message"
    data: str = ""
    id: str | None = None


@dataclass(slots=True)
class SseDecoder:
    """Feed lines (without the newline); a complete event comes back at each blank line."""

    _event: str = "message"
    _data: list[str] = field(default_factory=list)
    _id: str | None = None
    last_id: str | None = None

    def feed(self, line: str) -> SseEvent | None:
        if line == "":
            if not self._data:
                self._event = "message"
                return None
            event = SseEvent(self._event, "\n".join(self._data), self._id)
            self._event, self._data = "message", []
            return event
        if line.startswith(":"):
            return None  # comment: a heartbeat
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\x00" not in value:
            self._id = self.last_id = value
        return None
