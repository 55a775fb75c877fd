"""The client's address, as the rate limits key on it.

Behind a load balancer every connection comes from the balancer, so the address of the
client is in `X-Forwarded-For`, which each proxy extends with the address it received
the request from. Anyone can send that header, so it is believed only as far as it was
written by proxies we trust (`TRUSTED_PROXIES`): read from the right, the first address
that is not a trusted proxy is the client.

An IPv6 client is keyed on its /64: one home connection has all of it to choose from."""

import ipaddress
from collections.abc import Sequence

from api.core.settings import Network

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# More hops than any real chain of proxies; the rest of a longer header is not read.
MAX_HOPS = 16
# The column the limits store it in (an IPv6 address is at most 45 characters).
MAX_LENGTH = 64


def _address(text: str) -> IPAddress | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:  # fe80::1%eth0: a link, not a client
            return None
        return address.ipv4_mapped or address
    return address


def _key(address: IPAddress) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _trusted(address: IPAddress, proxies: Sequence[Network]) -> bool:
    return any(address in network for network in proxies)


def client_address(peer: str, forwarded_for: Sequence[str], proxies: Sequence[Network]) -> str:
    """`peer`: the connection's address; `forwarded_for`: every X-Forwarded-For header,
    in order."""
    address = _address(peer)
    if address is None:
        return peer[:MAX_LENGTH]
    if not _trusted(address, proxies):
        return _key(address)
    # Only the end of the header is read: a cut-off first hop is not an address.
    chain = ",".join(forwarded_for)[-MAX_HOPS * (MAX_LENGTH + 2) :]
    for hop in reversed(chain.split(",")[-MAX_HOPS:]):
        written = _address(hop)
        if written is None:
            break  # not an address: the last proxy we trust is all we know
        address = written
        if not _trusted(address, proxies):
            break
    return _key(address)
