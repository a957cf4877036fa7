"""The address guard: refuse loopback, private, link-local hosts, before and after connecting."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable

import httpx

from pipeline.http.errors import AddressRefused, HttpError, HttpStats, TransientError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IPAddress], bool]


def address_refusal(ip: IPAddress) -> str | None:
    """Why a crawler must not connect to `ip` ("loopback", "private", ...), or None if public."""
    candidates: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 form reaches the same host; judge it first.
        embedded = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        candidates = [*(a for a in embedded if a is not None), ip]
    for addr in candidates:
        for kind, hit in (
            ("unspecified", addr.is_unspecified),
            ("loopback", addr.is_loopback),
            ("link-local", addr.is_link_local),
            ("multicast", addr.is_multicast),
            ("reserved", addr.is_reserved),
            ("private", addr.is_private),
            ("non-public", not addr.is_global),
        ):
            if hit:
                return kind
    return None


def default_policy(
    *, allow_private_hosts: bool, trusted_addresses: tuple[str, ...]
) -> AddressPolicy | None:
    """Public addresses only (plus `trusted`); None when nothing is refused at all."""
    if allow_private_hosts:
        return None  # nothing to refuse, so no need to resolve first
    trusted = frozenset(ipaddress.ip_address(a) for a in trusted_addresses)
    return lambda ip: ip in trusted or address_refusal(ip) is None


class AddressGuard:
    """Resolves a host as the connection will and refuses it if any address is off-limits."""

    def __init__(self, policy: AddressPolicy | None, *, timeout: float, stats: HttpStats) -> None:
        self.policy = policy
        self.timeout = timeout
        self.stats = stats

    async def vet_host(self, host: str, port: int) -> None:
        if self.policy is None:
            return
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeout):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            self.stats.timeouts += 1
            raise TransientError(f"timeout: dns lookup timed out after {self.timeout:g}s") from None
        except socket.gaierror as exc:
            if exc.errno == socket.EAI_AGAIN:
                raise TransientError(f"dns lookup failed for {host}: {exc.strerror}") from None
            raise HttpError(f"dns lookup failed for {host}: {exc.strerror}") from None
        except (UnicodeError, ValueError, OSError) as exc:  # e.g. a label over 63 characters
            raise HttpError(f"dns lookup failed for {host}: {exc}") from None
        for info in infos:
            self.check_ip(str(info[4][0]))

    def vet_peer(self, response: httpx.Response) -> None:
        """Check the address actually connected to, which defeats DNS rebinding after our lookup."""
        stream = response.extensions.get("network_stream")
        if self.policy is None or stream is None:
            return
        server_addr = stream.get_extra_info("server_addr")
        if server_addr:
            self.check_ip(str(server_addr[0]))

    def check_ip(self, raw: str) -> None:
        assert self.policy is not None
        ip = ipaddress.ip_address(raw.split("%", 1)[0])  # drop an IPv6 zone id
        if not self.policy(ip):
            kind = address_refusal(ip) or "disallowed"
            raise AddressRefused(f"refused {kind} address {ip}")
