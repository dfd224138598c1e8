"""Which addresses a webhook may be sent to: public ones, and those in WEBHOOK_ALLOWED_NETWORKS.

An endpoint's host is resolved when it is registered and again before every delivery, and the
delivery connects to the very address that was checked (webhooks/transport.py), so a name that
later resolves to 127.0.0.1 or 169.254.169.254 (the cloud metadata service) cannot turn a webhook
into a request to our own network.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from webhooks import conf

DEFAULT_PORTS = {"http": 80, "https": 443}


class AddressRefused(Exception):
    """The URL cannot be sent to: says why in words for the operator."""


def url_parts(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or AddressRefused."""
    try:
        parts = urlsplit(url)
        parts.hostname  # noqa: B018 (parses the host: an unclosed "[::1" raises here)
    except ValueError:
        raise AddressRefused("Must be an http:// or https:// URL with a host.") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise AddressRefused("Must be an http:// or https:// URL with a host.")
    if parts.username or parts.password:
        raise AddressRefused("Must not carry a user name or password: the signature authenticates us.")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise AddressRefused("The port must be a number from 1 to 65535.") from None
    return parts.scheme, parts.hostname, port


def refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why `address` is refused, or None when webhooks may go there."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in ipaddress.ip_network(network, strict=False)
           for network in conf.settings.WEBHOOK_ALLOWED_NETWORKS):
        return None
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_private or address.is_reserved or address.is_unspecified or address.is_multicast:
        return "private or reserved"
    if not address.is_global:
        return "not public"
    return None


def resolve(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address) with the first address the host resolves to; AddressRefused when
    it resolves to none, or to any address that is refused (a name with one private address among
    public ones is refused whole: which one a connection uses is not ours to choose)."""
    scheme, host, port = url_parts(url)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise AddressRefused(f"The host {host!r} does not resolve.") from None
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not addresses:
        raise AddressRefused(f"The host {host!r} does not resolve.")
    for text in addresses:
        reason = refusal(ipaddress.ip_address(text.split("%", 1)[0]))
        if reason:
            raise AddressRefused(f"The host {host!r} resolves to {text}, a {reason} address: refused "
                                 "(WEBHOOK_ALLOWED_NETWORKS can allow it).")
    return scheme, host, port, addresses[0]
