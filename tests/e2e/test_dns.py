"""The dns module against a real DNS server (unbound, dns_server.py),
driven through `tern dns mx` / `tern dns ptr`: MX preference order, the
shuffle of equal preferences, the fallback to address records, null MX,
NXDOMAIN, SERVFAIL and timeouts (temporary, never permanent), literals,
smtp_address_preference, limits against a hostile answer, CNAMEs, and the
client name confirmed (or not) by a forward lookup (issue 9, item 1)."""

import time

import pytest

from conftest import SANITIZED
from dns_server import make_dns_server, silent_dns  # noqa: F401 (fixtures)

EX_UNAVAILABLE, EX_DATAERR, EX_TEMPFAIL, EX_CONFIG = 69, 65, 75, 78

RECORDS = [
    # preference order, and an MX host pointed at twice
    "pref.test. MX 20 mx2.pref.test.",
    "pref.test. MX 10 mx1.pref.test.",
    "mx1.pref.test. A 127.0.0.3",
    "mx2.pref.test. A 127.0.0.4",
    # equal preferences
    "equal.test. MX 10 a.equal.test.",
    "equal.test. MX 10 b.equal.test.",
    "a.equal.test. A 127.0.0.11",
    "b.equal.test. A 127.0.0.12",
    # no MX: the address records
    "amx.test. A 127.0.0.6",
    "amx.test. AAAA 2001:db8::6",
    # null MX
    "null.test. MX 0 .",
    # an MX naming an address, and one naming a host with no addresses
    "skip.test. MX 5 127.0.0.8.",
    "skip.test. MX 10 gone.skip.test.",
    "skip.test. MX 20 mx1.pref.test.",
    # every MX host unusable
    "dead.test. MX 10 gone.dead.test.",
    # an MX host whose lookup fails (SERVFAIL), beside a good one
    "half.test. MX 10 host.servfail.test.",
    "half.test. MX 20 mx2.pref.test.",
    "allfail.test. MX 10 host.servfail.test.",
    # both families at one preference
    "dual.test. MX 10 h.dual.test.",
    "h.dual.test. A 127.0.0.7",
    "h.dual.test. AAAA 2001:db8::7",
    # CNAMEs: the domain, and an MX host
    "alias.test. CNAME pref.test.",
    "cn.test. MX 10 via.cn.test.",
    "via.cn.test. CNAME mx2.pref.test.",
    # confirmed, unconfirmed and v6 client names
    "mail.ptr.test. A 127.0.0.5",
    "liar.ptr.test. A 127.0.0.99",
    "v6.ptr.test. AAAA 2001:db8::5",
]
PTR = [("127.0.0.5", "mail.ptr.test"), ("127.0.0.6", "liar.ptr.test"), ("2001:db8::5", "v6.ptr.test"),
       ("127.0.0.10", "gone.ptr.test")]
# Seven hosts at one preference (for smtp_mx_address_limit) and fifty for a
# hostile answer.
for i in range(7):
    RECORDS += [f"seven.test. MX 10 h{i}.seven.test.", f"h{i}.seven.test. A 127.0.1.{i + 1}"]
for i in range(50):
    RECORDS += [f"fifty.test. MX {i} h{i}.fifty.test.", f"h{i}.fifty.test. A 127.0.2.{i + 1}"]


@pytest.fixture
def dns(make_dns_server):
    return make_dns_server(RECORDS, refuse=("servfail.test.", "66.0.0.127.in-addr.arpa."), ptr=PTR)


@pytest.fixture
def cli(make_tern, dns):
    """run(verb, target, **params) -> (exit status, stdout lines, stderr)."""
    t = make_tern(overrides={"dns_resolver": dns.address}, start=False, users=())

    def run(verb, target, **params):
        if params:
            t.params.update(params)
            t.write_config()
        r = t.run("dns", verb, target, check=False)
        return r.returncode, [x for x in r.stdout.splitlines() if not x.startswith("#")], r.stdout + r.stderr

    run.tern = t
    run.dns = dns
    return run


def test_mx_hosts_in_preference_order(cli):
    rc, lines, _ = cli("mx", "pref.test")
    assert rc == 0
    assert lines == ["10 mx1.pref.test[127.0.0.3]:25", "20 mx2.pref.test[127.0.0.4]:25"]
    # The port of the next hop applies to every host; the case of the name does not matter.
    rc, lines, _ = cli("mx", "PREF.test:2525")
    assert lines == ["10 mx1.pref.test[127.0.0.3]:2525", "20 mx2.pref.test[127.0.0.4]:2525"]


def test_equal_preferences_are_shuffled(cli):
    seen = set()
    for _ in range(40):
        rc, lines, _ = cli("mx", "equal.test")
        assert rc == 0 and len(lines) == 2
        seen.add(tuple(lines))
        if len(seen) == 2:
            break
    assert seen == {("10 a.equal.test[127.0.0.11]:25", "10 b.equal.test[127.0.0.12]:25"),
                    ("10 b.equal.test[127.0.0.12]:25", "10 a.equal.test[127.0.0.11]:25")}


def test_no_mx_falls_back_to_address_records(cli):
    rc, lines, _ = cli("mx", "amx.test", smtp_address_preference="ipv4")
    assert rc == 0
    assert lines == ["0 amx.test[127.0.0.6]:25", "0 amx.test[2001:db8::6]:25"]


def test_null_mx_is_its_own_permanent_failure(cli):
    rc, lines, out = cli("mx", "null.test")
    assert rc == EX_UNAVAILABLE and lines == []
    assert "5.1.10 Domain null.test does not accept mail (nullMX)" in out


def test_nxdomain_is_permanent(cli):
    rc, lines, out = cli("mx", "nosuch.test")
    assert rc == EX_UNAVAILABLE and lines == []
    assert "5.4.4 Host or domain name not found. Name service error for name=nosuch.test type=MX: Host not found" in out


def test_servfail_is_temporary(cli):
    rc, lines, out = cli("mx", "servfail.test")
    assert rc == EX_TEMPFAIL and lines == []
    assert "4.4.3" in out and "try again (SERVFAIL)" in out
    # Only host's lookup fails: temporary too, never "not found".
    rc, _, out = cli("mx", "allfail.test")
    assert rc == EX_TEMPFAIL and "4.4.3" in out and "5.4.4" not in out
    # A failing host beside a good one: the good one, the other named as skipped.
    rc, lines, out = cli("mx", "half.test")
    assert rc == 0 and lines == ["20 mx2.pref.test[127.0.0.4]:25"]
    assert "host.servfail.test: address lookup failed, try again (SERVFAIL)" in out


def test_dead_resolver_times_out_as_temporary(make_tern, silent_dns):
    t = make_tern(overrides={"dns_resolver": silent_dns.address, "dns_query_timeout": "1s"}, start=False, users=())
    for verb, target in (("mx", "example.org"), ("ptr", "192.0.2.7")):
        start = time.monotonic()
        r = t.run("dns", verb, target, check=False)
        assert r.returncode == EX_TEMPFAIL, r.stdout + r.stderr
        assert "timed out after 1s" in r.stdout + r.stderr
        assert time.monotonic() - start < (20 if SANITIZED else 6)
    assert "unknown[192.0.2.7]" in r.stdout


def test_literals_need_no_dns(make_tern, silent_dns):
    t = make_tern(overrides={"dns_resolver": silent_dns.address, "dns_query_timeout": "30s"}, start=False, users=())
    cases = {
        "[127.0.0.9]": "0 127.0.0.9[127.0.0.9]:25",
        "[127.0.0.9]:2525": "0 127.0.0.9[127.0.0.9]:2525",
        "[IPv6:::1]:submission": "0 ::1[::1]:587",
        "[2001:DB8::1]": "0 2001:db8::1[2001:db8::1]:25",
    }
    for target, want in cases.items():
        start = time.monotonic()
        r = t.run("dns", "mx", target, check=False)
        assert r.returncode == 0 and r.stdout.splitlines() == [want], (target, r.stdout, r.stderr)
        assert time.monotonic() - start < 10  # no query was waited for


def test_bracketed_host_skips_the_mx_lookup(cli):
    rc, lines, _ = cli("mx", "[mx1.pref.test]:2526")
    assert rc == 0 and lines == ["0 mx1.pref.test[127.0.0.3]:2526"]
    # pref.test has MX records but no address: [pref.test] does not use them.
    rc, lines, out = cli("mx", "[pref.test]")
    assert rc == EX_UNAVAILABLE and "name=pref.test type=A: Host not found" in out


def test_bad_destinations_are_refused_with_the_reason(cli):
    cases = {
        "127.0.0.1": "an address must be written in brackets: [127.0.0.1]",
        "[127.0.0.1": "'[' without ']'",
        "[127.0.0.1]:99999": "port is not a number from 1 to 65535",
        "a" * 64 + ".test": "label longer than 63 bytes",
        ("a" * 50 + ".") * 5 + "test": "name longer than 253 bytes",
        "[IPv6:127.0.0.1]": "not an IPv6 address",
        "exa_mple!.test": "character other than letters",
    }
    for target, why in cases.items():
        rc, lines, out = cli("mx", target)
        assert rc == EX_DATAERR and lines == [], target
        assert why in out, (target, out)


def test_mx_naming_an_address_or_a_host_without_addresses_is_skipped(cli):
    rc, lines, out = cli("mx", "skip.test")
    assert rc == 0 and lines == ["20 mx1.pref.test[127.0.0.3]:25"]
    assert "MX 5 127.0.0.8: not a host name: numeric name" in out
    assert "gone.skip.test: no address records" in out
    rc, lines, out = cli("mx", "dead.test")
    assert rc == EX_UNAVAILABLE and "5.4.4" in out and "gone.dead.test: no address records" in out


def test_address_preference(cli):
    rc, lines, _ = cli("mx", "dual.test", smtp_address_preference="ipv4")
    assert lines == ["10 h.dual.test[127.0.0.7]:25", "10 h.dual.test[2001:db8::7]:25"]
    rc, lines, _ = cli("mx", "dual.test", smtp_address_preference="ipv6")
    assert lines == ["10 h.dual.test[2001:db8::7]:25", "10 h.dual.test[127.0.0.7]:25"]
    seen = set()
    for _ in range(40):
        rc, lines, _ = cli("mx", "dual.test", smtp_address_preference="any")
        assert rc == 0 and len(lines) == 2
        seen.add(lines[0])
        if len(seen) == 2:
            break
    assert seen == {"10 h.dual.test[127.0.0.7]:25", "10 h.dual.test[2001:db8::7]:25"}
    r = cli.tern
    r.params["smtp_address_preference"] = "ipv5"
    r.write_config()
    out = r.run("dns", "mx", "dual.test", check=False)
    assert out.returncode == EX_CONFIG and "smtp_address_preference" in out.stderr and "ipv4, ipv6 or any" in out.stderr


def test_limits(cli):
    rc, lines, out = cli("mx", "seven.test", smtp_mx_address_limit="3")
    assert rc == 0 and len(lines) == 3
    assert "4 more address(es) beyond smtp_mx_address_limit = 3" in out
    # Fifty MX hosts: the ten best are looked up, the default limit keeps five.
    rc, lines, out = cli("mx", "fifty.test", smtp_mx_address_limit="5")
    assert rc == 0
    assert lines == [f"{i} h{i}.fifty.test[127.0.2.{i + 1}]:25" for i in range(5)]
    assert "MX 10 h10.fifty.test: beyond the first 10 hosts" in out
    queried = [ln for ln in cli.dns.log().splitlines() if "fifty.test. A IN" in ln]
    assert len(queried) == 10, queried


def test_cnames_are_followed(cli):
    rc, lines, _ = cli("mx", "alias.test")
    assert rc == 0 and lines == ["10 mx1.pref.test[127.0.0.3]:25", "20 mx2.pref.test[127.0.0.4]:25"]
    rc, lines, _ = cli("mx", "cn.test")
    assert rc == 0 and lines == ["10 via.cn.test[127.0.0.4]:25"]


def test_client_name_confirmed_by_forward_lookup(cli):
    assert cli("ptr", "127.0.0.5")[1] == ["mail.ptr.test[127.0.0.5]"]
    assert cli("ptr", "2001:db8::5")[1] == ["v6.ptr.test[2001:db8::5]"]
    assert cli("ptr", "::ffff:127.0.0.5")[1] == ["mail.ptr.test[127.0.0.5]"]
    rc, lines, out = cli("ptr", "127.0.0.6")
    assert rc == 0 and lines == ["unknown[127.0.0.6]"]
    assert "hostname liar.ptr.test does not resolve to address 127.0.0.6" in out
    rc, lines, out = cli("ptr", "127.0.0.10")
    assert rc == 0 and lines == ["unknown[127.0.0.10]"]
    rc, lines, out = cli("ptr", "127.0.0.77")
    assert rc == 0 and lines == ["unknown[127.0.0.77]"] and "no PTR record" in out
    rc, lines, out = cli("ptr", "127.0.0.66")
    assert rc == EX_TEMPFAIL and lines == ["unknown[127.0.0.66]"] and "SERVFAIL" in out
    rc, lines, out = cli("ptr", "not-an-address")
    assert rc == EX_DATAERR


def test_bad_dns_resolver_names_file_and_line(make_tern):
    t = make_tern(overrides={"dns_resolver": "dns.example.com:53"}, start=False, users=())
    r = t.run("dns", "mx", "example.org", check=False)
    assert r.returncode == EX_CONFIG
    line = list(t.params).index("dns_resolver") + 1
    assert f"{t.config}:{line}: dns_resolver = \"dns.example.com:53\" is not an IP address" in r.stderr
    assert "such as 127.0.0.1:53" in r.stderr
