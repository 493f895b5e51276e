"""Ticket id forms (SPEC 3.2), path-component validation and file-name encoding."""

from __future__ import annotations

import re
from enum import Enum

from yoi_ticket.errors import InvalidNameError

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CANONICAL_ID_LENGTH = 13
MAX_NAME_LENGTH = 200
MAX_CANONICAL_VALUE = 2**64 - 1
"""Upstream yoi keeps the value of a canonical id in 64 bits, so ``ZZZZZZZZZZZZZ``
(13 characters can spell up to 2**65 - 1) is no id."""
MAX_CANONICAL_ID = "FZZZZZZZZZZZZ"  # MAX_CANONICAL_VALUE; the alphabet sorts like its values

_CANONICAL_RE = re.compile(rf"[{CROCKFORD_ALPHABET}]{{{CANONICAL_ID_LENGTH}}}")
_DATED_SEQ_RE = re.compile(r"(\d{8})-(\d{6})-(\d{3})")
_DATED_SLUG_RE = re.compile(r"(\d{8})-(\d{6})-([a-z0-9][a-z0-9-]*[a-z0-9]|[a-z0-9])")
_SAFE_BYTE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class IdForm(str, Enum):
    """The three id forms found in real stores."""

    CANONICAL = "canonical"  # 13-char Crockford base32 of epoch milliseconds, < 2**64
    DATED_SEQUENCE = "dated-sequence"  # YYYYMMDD-HHMMSS-NNN
    DATED_SLUG = "dated-slug"  # YYYYMMDD-HHMMSS-<slug>


def id_form(ticket_id: str) -> IdForm | None:
    """Return the form of ``ticket_id``, or ``None`` when it has none of the three."""
    if _CANONICAL_RE.fullmatch(ticket_id):
        return IdForm.CANONICAL if ticket_id <= MAX_CANONICAL_ID else None
    match = _DATED_SEQ_RE.fullmatch(ticket_id)
    if match and _plausible_date(match.group(1), match.group(2)):
        return IdForm.DATED_SEQUENCE
    match = _DATED_SLUG_RE.fullmatch(ticket_id)
    if match and _plausible_date(match.group(1), match.group(2)) and "--" not in ticket_id:
        return IdForm.DATED_SLUG
    return None


def _plausible_date(day: str, time: str) -> bool:
    month, mday = int(day[4:6]), int(day[6:8])
    hour, minute, second = int(time[0:2]), int(time[2:4]), int(time[4:6])
    return 1 <= month <= 12 and 1 <= mday <= 31 and hour < 24 and minute < 60 and second < 61


def encode_canonical_id(epoch_ms: int) -> str:
    """Encode epoch milliseconds as a fixed-width canonical id."""
    if epoch_ms < 0 or epoch_ms > MAX_CANONICAL_VALUE:
        raise ValueError(f"timestamp out of range: {epoch_ms}")
    chars = []
    for _ in range(CANONICAL_ID_LENGTH):
        epoch_ms, digit = divmod(epoch_ms, 32)
        chars.append(CROCKFORD_ALPHABET[digit])
    return "".join(reversed(chars))


def decode_canonical_id(ticket_id: str) -> int:
    """Return the epoch milliseconds a canonical id encodes."""
    if id_form(ticket_id) is not IdForm.CANONICAL:
        raise ValueError(f"not a canonical id: {ticket_id!r}")
    value = 0
    for char in ticket_id:
        value = value * 32 + CROCKFORD_ALPHABET.index(char)
    return value


def unsafe_component_reason(name: str) -> str | None:
    """Why ``name`` may not be used as a single path component, or ``None`` if it may."""
    if not name:
        return "it is empty"
    if name in (".", ".."):
        return f"{name!r} names a directory, not an entry"
    for bad, label in (("/", "'/'"), ("\\", "'\\'"), ("\x00", "a NUL byte")):
        if bad in name:
            return f"it contains {label}"
    # The usual id is printable ASCII: no control character, and short enough that even
    # percent-encoded (at most three bytes a character) it fits; only long ones are encoded.
    plain = name.isascii() and name.isprintable()
    if not plain and any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "it contains a control character"
    if len(name) > MAX_NAME_LENGTH:
        return f"it is too long (over {MAX_NAME_LENGTH} characters)"
    if plain:
        return None if len(name) * 3 <= MAX_NAME_LENGTH else _encoded_too_long(name)
    try:
        encoded = encode_for_filename(name)
    except UnicodeEncodeError:
        return "it is not valid UTF-8"
    return _encoded_too_long(name, encoded)


def _encoded_too_long(name: str, encoded: str | None = None) -> str | None:
    """Measured percent-encoded, so that every accepted name fits in a file name."""
    if len(encoded if encoded is not None else encode_for_filename(name)) > MAX_NAME_LENGTH:
        return f"it is too long (over {MAX_NAME_LENGTH} characters once percent-encoded)"
    return None


def validate_component(name: str, what: str) -> str:
    """Return ``name`` if it is safe as a path component, else raise a one-line error."""
    reason = unsafe_component_reason(name)
    if reason is not None:
        shown = name if len(name) <= 60 else name[:57] + "..."
        raise InvalidNameError(f"invalid {what} {shown!r}: {reason}")
    return name


def validate_ticket_id(ticket_id: str) -> str:
    return validate_component(ticket_id, "ticket id")


def validate_pod_name(pod_name: str) -> str:
    return validate_component(pod_name, "Pod name")


def normal_id(ticket_id: str) -> str:
    """``ticket_id`` in Unicode NFC. Ids that differ only in normalisation (``é`` as one
    code point or as ``e`` and a combining accent, as macOS file systems spell it) are
    one ticket: the overlay keys claims and pending launches by this form, and the store
    reports two such folders as one id used twice (YT112)."""
    if ticket_id.isascii():
        return ticket_id
    import unicodedata

    return unicodedata.normalize("NFC", ticket_id)


def id_spellings(ticket_id: str) -> tuple[str, ...]:
    """``ticket_id`` as given, in NFC and in NFD (each once): the names a folder or a file
    of that ticket may have been given."""
    if ticket_id.isascii():
        return (ticket_id,)
    import unicodedata

    forms = (ticket_id, unicodedata.normalize("NFC", ticket_id))
    return tuple(dict.fromkeys((*forms, unicodedata.normalize("NFD", ticket_id))))


def encode_for_filename(name: str) -> str:
    """Percent-encode every byte outside ``[A-Za-z0-9_-]`` (SPEC 5.2 ``<enc-id>``)."""
    return "".join(chr(b) if b in _SAFE_BYTE else f"%{b:02X}" for b in name.encode("utf-8"))


def decode_filename(encoded: str) -> str:
    """Inverse of :func:`encode_for_filename`."""
    from urllib.parse import unquote

    return unquote(encoded, encoding="utf-8", errors="strict")
