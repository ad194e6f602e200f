"""Cursor codecs (docs/format.md sections 12, 23 and 32).

Contracts:

- :func:`encode_cursor` writes the unsigned format of section 12.1: compact JSON in the key's own
  order (integral ``Decimal`` as ``int``, other ``Decimal`` as ``float``, ``bytes``/``Binary`` as
  standard base64 text), UTF-8, URL-safe base64 without ``=`` padding. A key that cannot be written
  (a non-finite number, an unsupported type) raises ``ParameterValidationError``.
- :func:`decode_cursor` is the public inverse: the character check and decode of section 12.2
  (steps 2 and 3). It never verifies signatures, so a signed cursor is malformed to it.
- :func:`sign_cursor` / :func:`verify_cursor` implement section 12.3: ``payload + "." + sig`` with
  ``sig`` the unpadded base64url HMAC-SHA256 of ``scope + "\\n" + payload``.
- :func:`mint_cursor` and :func:`read_cursor` are what a query uses: every step of section 12.2.
- :func:`serialize_contract_key`, :func:`encode_per_key_cursor` and :func:`decode_per_key_cursor`
  implement the per-key envelope of section 32.

Every failure to read a cursor raises :class:`~graphddb_runtime.errors.CursorError` (a
``ValueError``). Raw ``binascii``, ``UnicodeDecodeError``, ``JSONDecodeError`` or decimal
exceptions never escape. No function mutates its arguments.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary

from ._values.codec import serialize_key
from ._values.datetimes import date_text, datetime_text
from .errors import CursorError, ParameterValidationError

__all__ = [
    "decode_cursor",
    "decode_per_key_cursor",
    "encode_cursor",
    "encode_per_key_cursor",
    "mint_cursor",
    "read_cursor",
    "serialize_contract_key",
    "sign_cursor",
    "verify_cursor",
]

# Section 12.2 step 2 for unsigned text; fullmatch, so a trailing newline does not pass.
_CURSOR_CHARS = re.compile(r"[A-Za-z0-9_-]*")

_PER_KEY_UNDECODABLE = "Invalid per-key cursor: the value passed as 'after' failed to decode"
_PER_KEY_NO_FIELDS = "Invalid per-key cursor: the envelope is missing its key / inner fields"


def _json_default(value: Any) -> Any:
    """Write the non-JSON types a deserialized key can hold (sections 12.1 and 32), and
    ``datetime`` / ``date`` key params as their canonical text (section 9.5)."""
    if isinstance(value, datetime):
        return datetime_text(value)
    if isinstance(value, date):
        return date_text(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"non-finite number {value}")
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):
        return base64.b64encode(value.value).decode("ascii")
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"unsupported value of type {type(value).__name__}")


def _dumps(value: Mapping[str, Any], *, sort_keys: bool, what: str) -> str:
    try:
        return json.dumps(
            value,
            separators=(",", ":"),
            ensure_ascii=False,
            sort_keys=sort_keys,
            allow_nan=False,
            default=_json_default,
        )
    except (TypeError, ValueError, RecursionError) as exc:
        raise ParameterValidationError(f"cannot {what}: {exc}") from exc


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _reject_constant(name: str) -> Any:
    # json.loads would otherwise accept NaN, Infinity and -Infinity, which are not JSON.
    raise ValueError(f"{name} is not JSON")


def _load_payload(text: str) -> dict[str, Any] | None:
    """Section 12.2 steps 2 (character check) and 3; ``None`` when the text is malformed."""
    if len(text) % 4 == 1 or _CURSOR_CHARS.fullmatch(text) is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):  # binascii.Error, UnicodeDecodeError, JSONDecodeError
        return None
    return value if isinstance(value, dict) else None


def encode_cursor(key: Mapping[str, Any]) -> str:
    """Encode a plain key as an unsigned cursor (section 12.1), keeping the key's order."""
    text = _dumps(key, sort_keys=False, what="encode cursor")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate (section 1.4)
        raise ParameterValidationError(f"cannot encode cursor: {exc}") from exc
    return _b64url(data)


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Decode an unsigned cursor into its JSON object (section 12.2 steps 2 and 3).

    Signatures are never verified. Raises ``CursorError("malformed cursor")``, or
    ``CursorError("cursor must be a string")`` for a non-``str`` argument.
    """
    if not isinstance(cursor, str):
        raise CursorError("cursor must be a string")
    value = _load_payload(cursor)
    if value is None:
        raise CursorError("malformed cursor")
    return value


def _signature(payload: str, secret: bytes, scope: str) -> bytes:
    message = (scope + "\n" + payload).encode("utf-8")
    return _b64url(hmac.new(secret, message, hashlib.sha256).digest()).encode("ascii")


def sign_cursor(payload: str, *, secret: bytes, scope: str) -> str:
    """Return ``payload + "." + sig`` for the scope that will accept it (section 12.3)."""
    return payload + "." + _signature(payload, secret, scope).decode("ascii")


def verify_cursor(cursor: str, *, secret: bytes, scope: str, op_id: str) -> str:
    """Check the signature of ``cursor`` for ``scope`` and return its payload (section 12.3).

    Splits at the last ``"."``. A missing or wrong signature raises
    ``CursorError("<op_id>: cursor signature is invalid")``.
    """
    if not isinstance(cursor, str):
        raise CursorError(f"{op_id}: cursor must be a string")
    payload, dot, sig = cursor.rpartition(".")
    # Encoding first: compare_digest rejects non-ASCII str operands with a TypeError.
    if not dot or not hmac.compare_digest(sig.encode("utf-8"), _signature(payload, secret, scope)):
        raise CursorError(f"{op_id}: cursor signature is invalid")
    return payload


def mint_cursor(key: Mapping[str, Any], *, secret: bytes | None, scope: str) -> str:
    """Encode ``key`` (section 12.1) and sign it for ``scope`` when a secret is set."""
    payload = encode_cursor(key)
    return payload if secret is None else sign_cursor(payload, secret=secret, scope=scope)


def read_cursor(
    cursor: object,
    *,
    op_id: str,
    expected_attributes: tuple[str, ...],
    partition_attribute: str,
    partition_value: dict[str, Any],
    secret: bytes | None,
    scope: str,
) -> dict[str, dict[str, Any]] | None:
    """Validate a caller's cursor for one Query and return its ``ExclusiveStartKey`` (section 12.2).

    ``None`` or ``""`` is the first page and returns ``None``. Otherwise the result maps each key
    attribute to its AV in the cursor's order. ``expected_attributes`` is the key set the query
    pages by; ``partition_value`` is the AV the call resolved for ``partition_attribute``. Every
    failure raises ``CursorError`` with a message prefixed by ``op_id``.
    """
    if cursor is None:
        return None
    if not isinstance(cursor, str):
        raise CursorError(f"{op_id}: cursor must be a string")
    if not cursor:
        return None
    payload = cursor
    if secret is not None:
        payload = verify_cursor(cursor, secret=secret, scope=scope, op_id=op_id)
    key = _load_payload(payload)
    if key is None:
        raise CursorError(f"{op_id}: malformed cursor")
    start_key: dict[str, dict[str, Any]] = {}
    for name, value in key.items():
        av = _key_attribute_value(name, value)
        if av is None:
            raise CursorError(f"{op_id}: malformed cursor")
        start_key[name] = av
    if set(start_key) != set(expected_attributes):
        raise CursorError(
            f"{op_id}: cursor does not belong to this query (expected key attributes "
            f"{list(expected_attributes)}, got {list(start_key)})"
        )
    if start_key.get(partition_attribute) != partition_value:
        raise CursorError(f"{op_id}: cursor belongs to a different partition")
    return start_key


def _key_attribute_value(name: str, value: object) -> dict[str, Any] | None:
    """Section 12.2 step 4: a string or a finite number that is a valid value of key attribute
    ``name`` (section 1.4: non-empty UTF-8 text within the key size limits, a DynamoDB number)
    as an AV, else ``None``."""
    if isinstance(value, str):
        pass
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    else:
        value = Decimal(str(value))
        if not value.is_finite():  # 1e999 parses as float("inf")
            return None
    try:
        return serialize_key(value, op_id="cursor", attribute=name)
    except ParameterValidationError:  # beyond DynamoDB's number range, or not a key value
        return None


def serialize_contract_key(key: Mapping[str, Any]) -> str:
    """Return the key identity of section 32: compact JSON with fields sorted by name."""
    return _dumps(key, sort_keys=True, what="serialize contract key")


def encode_per_key_cursor(key: Mapping[str, Any], inner: str | None) -> str | None:
    """Wrap an inner cursor in the per-key envelope of section 32; ``None`` stays ``None``."""
    if inner is None:
        return None
    return encode_cursor({"key": serialize_contract_key(key), "inner": inner})


def decode_per_key_cursor(cursor: str, expected_key: Mapping[str, Any]) -> str:
    """Open a per-key envelope, check it belongs to ``expected_key`` and return the inner cursor.

    The inner cursor is returned as is; the caller validates it as in section 12.2.
    """
    try:
        envelope = decode_cursor(cursor)
    except CursorError:
        raise CursorError(_PER_KEY_UNDECODABLE) from None
    identity = envelope.get("key")
    inner = envelope.get("inner")
    if not isinstance(identity, str) or not isinstance(inner, str):
        raise CursorError(_PER_KEY_NO_FIELDS)
    expected = serialize_contract_key(expected_key)
    if identity != expected:
        raise CursorError(
            f"Per-key cursor mismatch: the cursor belongs to key {identity}, "
            f"but the method was called for key {expected}"
        )
    return inner
