"""One way to write each channel's addresses, so that a customer is found however the address
is typed: by the channels when a message arrives, and by staff at the command line.

- email: the domain lower-cased and IDNA-encoded (it is case-insensitive by definition); the
  local part kept as written, since it belongs to the receiving server (RFC 5321 §2.4):
  `John.Smith@Example.COM` → `John.Smith@example.com`.
- whatsapp: the digits of the international number, as WhatsApp's `wa_id` writes them:
  `+33 6 12-34-56-78` → `33612345678`.
- anything else (web sessions, REST senders): as given.
"""

from __future__ import annotations

import re

_PHONE = re.compile(r"^\+?[\d\s().\-]+$")


class InvalidAddress(ValueError):
    """Not an address of that channel."""


def normalise_email(address: str) -> str:
    addr = address.strip()
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in addr):
        raise InvalidAddress(f"{address!r} is not an email address")
    try:
        domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError as exc:
        raise InvalidAddress(f"{address!r} has an invalid domain") from exc
    return f"{local}@{domain}"


def normalise_phone(address: str) -> str:
    text = address.strip()
    if not _PHONE.match(text):
        return text  # not a number: left for the lookup to find nothing
    return re.sub(r"\D", "", text)


def normalise_address(channel: str, address: str) -> str:
    """The address as the profile store keeps it for that channel."""
    if channel == "email":
        return normalise_email(address)
    if channel == "whatsapp":
        return normalise_phone(address)
    return address
