"""The client address the limits key on: the connection's, or the one a trusted proxy
wrote into X-Forwarded-For."""

import ipaddress

import pytest

from api.core.client_address import client_address
from tests.factories import PASSWORD, register
from tests.http import assert_problem, client_from

PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8::/32")]


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # No proxy trusted: the header is anyone's to write.
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),
        # From a trusted proxy: the address it received the request from.
        ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        # A client's own header goes before what the proxy appends; only the latter counts.
        ("10.0.0.2", ["1.2.3.4, 198.51.100.1"], "198.51.100.1"),
        ("10.0.0.2", ["1.2.3.4", "198.51.100.1"], "198.51.100.1"),
        # A chain of trusted proxies is walked back to the first address outside it.
        ("10.0.0.2", ["198.51.100.1, 10.1.1.1, 10.2.2.2"], "198.51.100.1"),
        ("2001:db8::5", ["[2001:db8::6]:443, 192.0.2.44:5000"], "192.0.2.44"),
        # Garbage where an address should be: the last proxy is all that is known.
        ("10.0.0.2", ["198.51.100.1, not-an-address"], "10.0.0.2"),
        ("10.0.0.2", [], "10.0.0.2"),
        ("10.0.0.2", ["10.9.9.9"], "10.9.9.9"),
        ("unknown", ["198.51.100.1"], "unknown"),
        # IPv6 clients are keyed on their /64, and an IPv4 client seen over IPv6 as IPv4.
        ("2001:db8:1:2:3:4:5:6", [], "2001:db8:1:2::/64"),
        ("10.0.0.2", ["2001:db8:1:2::99"], "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.1", [], "198.51.100.1"),
        # A scope id is no client's address, however long.
        ("10.0.0.2", ["fe80::1%" + "b" * 200], "10.0.0.2"),
    ],
)
def test_the_client_is_the_first_address_not_of_a_trusted_proxy(peer, forwarded, expected):
    assert client_address(peer, forwarded, PROXIES) == expected


def test_with_no_trusted_proxy_the_header_is_ignored():
    assert client_address("10.0.0.2", ["198.51.100.1"], []) == "10.0.0.2"


@pytest.mark.parametrize("hop", ["fe80::1%" + "b" * 200, "x" * 500, "2001:db8:" + "1:" * 100 + "1"])
def test_the_key_always_fits_its_column(hop):
    assert len(client_address("10.0.0.2", [hop], PROXIES)) <= 64
    assert len(client_address(hop, [], PROXIES)) <= 64


async def test_a_hop_with_a_long_scope_id_is_no_500(app, configure):
    configure(trusted_proxies=[ipaddress.ip_network("10.0.0.0/8")])
    async with client_from(app, "10.0.0.2") as proxy:
        for path, body in (
            ("/api/v1/auth/login", {"email": "a@example.org", "password": "wrong password"}),
            (
                "/api/v1/auth/register",
                {"email": "scope@example.org", "password": PASSWORD, "display_name": "S"},
            ),
        ):
            response = await proxy.post(
                path, json=body, headers={"X-Forwarded-For": "fe80::1%" + "b" * 200}
            )
            assert response.status_code in (201, 401), response.text


async def test_the_addresses_of_one_ipv6_network_share_its_limit(app, configure):
    settings = configure()
    for number in range(settings.login_failures_per_client):
        async with client_from(app, f"2001:db8:77:1::{number + 1:x}") as client:
            response = await _fail_from(client, "", f"v6-{number}@example.org")
            assert_problem(response, 401)
    async with client_from(app, "2001:db8:77:1::ffff") as same_network:
        assert_problem(await _fail_from(same_network, "", "v6-next@example.org"), 429)
    async with client_from(app, "2001:db8:77:2::1") as next_network:
        assert_problem(await _fail_from(next_network, "", "v6-next@example.org"), 401)


def test_an_overlong_header_is_read_only_so_far():
    chain = ", ".join(["10.0.0.1"] * 10_000 + ["198.51.100.1"])
    assert client_address("10.0.0.2", [chain], PROXIES) == "198.51.100.1"


async def _fail_from(http, forwarded, email):
    return await http.post(
        "/api/v1/auth/login",
        json={"email": email, "password": "wrong password!"},
        headers={"X-Forwarded-For": forwarded},
    )


async def test_behind_a_trusted_proxy_each_client_has_its_own_login_limit(app, client, configure):
    settings = configure(trusted_proxies=[ipaddress.ip_network("10.0.0.0/8")])
    person = await register(client)
    async with client_from(app, "10.0.0.2") as proxy:
        for number in range(settings.login_failures_per_client):
            response = await _fail_from(proxy, "198.51.100.1", f"x{number}@example.org")
            assert_problem(response, 401)
        limited = await _fail_from(proxy, "198.51.100.1", "another@example.org")
        assert_problem(limited, 429)
        # Another client behind the same balancer is not locked out.
        fine = await proxy.post(
            "/api/v1/auth/login",
            json={"email": person.user["email"], "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.2"},
        )
        assert fine.status_code == 200, fine.text


async def test_an_untrusted_peer_cannot_escape_its_limit_with_the_header(app, configure):
    settings = configure(trusted_proxies=[ipaddress.ip_network("10.0.0.0/8")])
    async with client_from(app, "203.0.113.50") as attacker:
        for number in range(settings.login_failures_per_client):
            response = await _fail_from(attacker, f"198.51.100.{number}", f"y{number}@example.org")
            assert_problem(response, 401)
        limited = await _fail_from(attacker, "198.51.100.200", "z@example.org")
        assert_problem(limited, 429)
