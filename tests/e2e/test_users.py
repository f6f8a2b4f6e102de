"""Accounts and configuration checks through the real CLI: `tern user
add|del|passwd|list --password-stdin` on the Dovecot passwd-file, a
hand-written {SHA512-CRYPT} line made by openssl, a deleted account
refused after SIGHUP, and `tern check` diagnostics with file:line."""

import os
import stat
import subprocess

from conftest import TERN, RawSMTP, wait_until


def verify(password, hashed):
    """libc crypt(3) via perl: true if hashed is a hash of password."""
    r = subprocess.run(["perl", "-e", "exit(crypt($ARGV[0], $ARGV[1]) eq $ARGV[1] ? 0 : 1)", password, hashed],
                       timeout=10)
    return r.returncode == 0


def users_file(t):
    with open(os.path.join(t.base, "users")) as f:
        return f.read()


def hash_of(t, address):
    for line in users_file(t).splitlines():
        if line.startswith(address + ":"):
            return line.split(":")[1]
    return None


def listed(t):
    return t.run("user", "list").stdout.split()


def rcpt_code(t, address):
    c = RawSMTP(t.port)
    try:
        c.reply()
        c.cmd("EHLO x")
        c.cmd("MAIL FROM:<s@example.org>")
        return c.cmd(f"RCPT TO:<{address}>")
    finally:
        c.close()


def test_add_list_passwd_del(make_tern):
    t = make_tern(start=False, users=())
    assert listed(t) == []
    t.run("user", "add", "Alice@Virt.Test", "--password-stdin", input="first pass\n")
    t.run("user", "add", "bob@virt.test", "--password-stdin", input="bobpw\n")
    assert sorted(listed(t)) == ["alice@virt.test", "bob@virt.test"]
    mode = os.stat(os.path.join(t.base, "users")).st_mode
    assert stat.S_IMODE(mode) & 0o077 == 0, oct(mode)  # password hashes are not world-readable
    old = hash_of(t, "alice@virt.test")
    assert old and "first pass" not in users_file(t)
    assert verify("first pass", old) and not verify("bobpw", old)

    t.run("user", "passwd", "alice@virt.test", "--password-stdin", input="second pass\n")
    new = hash_of(t, "alice@virt.test")
    assert new != old
    assert verify("second pass", new) and not verify("first pass", new)
    assert verify("bobpw", hash_of(t, "bob@virt.test"))  # the other line is untouched

    t.run("user", "del", "alice@virt.test")
    assert listed(t) == ["bob@virt.test"]
    assert "alice@" not in users_file(t)
    r = t.run("user", "del", "alice@virt.test", check=False)
    assert r.returncode != 0 and "alice@virt.test" in r.stderr
    r = t.run("user", "passwd", "nobody@virt.test", "--password-stdin", input="x\n", check=False)
    assert r.returncode != 0 and "nobody@virt.test" in r.stderr


def test_duplicate_add_fails_and_changes_nothing(make_tern):
    t = make_tern(start=False, users=("alice@virt.test",))
    before = users_file(t)
    for spelling in ("alice@virt.test", "ALICE@virt.test"):
        r = t.run("user", "add", spelling, "--password-stdin", input="other\n", check=False)
        assert r.returncode != 0, spelling
        assert "exists" in r.stderr, r.stderr
    assert users_file(t) == before
    assert listed(t) == ["alice@virt.test"]


def test_concurrent_adds_are_all_kept(make_tern):
    # Each `user add` rewrites the file under a lock; none may lose another's line.
    t = make_tern(start=False, users=())
    procs = [subprocess.Popen([TERN, "-c", t.config, "user", "add", f"u{i}@virt.test", "--password-stdin"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for i in range(20)]
    for p in procs:
        p.stdin.write(b"pw\n")
        p.stdin.close()
    for p in procs:
        assert p.wait(timeout=30) == 0, p.stderr.read()
    assert sorted(listed(t)) == sorted(f"u{i}@virt.test" for i in range(20))
    assert t.run("check", check=False).returncode == 0


def test_add_refuses_bad_input(make_tern):
    t = make_tern(start=False, users=())
    for address in ("no-at-sign", "a:b@virt.test", "a b@virt.test"):
        r = t.run("user", "add", address, "--password-stdin", input="pw\n", check=False)
        assert r.returncode != 0, address
    r = t.run("user", "add", "carol@virt.test", "--password-stdin", input="\n", check=False)
    assert r.returncode != 0 and "empty password" in r.stderr
    assert listed(t) == []


def test_dovecot_sha512_crypt_line(make_tern):
    t = make_tern(start=False, users=("alice@virt.test",))
    hashed = subprocess.run(["openssl", "passwd", "-6", "-salt", "saltsalt", "secret"], capture_output=True,
                            text=True, check=True).stdout.strip()
    assert hashed.startswith("$6$saltsalt$")
    with open(os.path.join(t.base, "users"), "a") as f:
        f.write("# added by hand, Dovecot style\n")
        f.write(f"carol@virt.test:{{SHA512-CRYPT}}{hashed}:1000:1000::/home/carol::userdb_quota_rule=*:storage=1G\n")
    r = t.run("check", check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(listed(t)) == ["alice@virt.test", "carol@virt.test"]
    # A CLI edit keeps the hand-written lines as they were.
    t.run("user", "add", "dave@virt.test", "--password-stdin", input="pw\n")
    t.run("user", "del", "alice@virt.test")
    text = users_file(t)
    assert "# added by hand, Dovecot style\n" in text
    assert f"carol@virt.test:{{SHA512-CRYPT}}{hashed}:1000:1000::/home/carol::userdb_quota_rule=*:storage=1G\n" in text
    # The account is real for the server too.
    t.start()
    assert rcpt_code(t, "carol@virt.test")[0] == 250
    subprocess.run(["swaks", "--server", f"127.0.0.1:{t.port}", "--to", "carol@virt.test", "--from", "s@example.org",
                    "--header", "Subject: to carol"], capture_output=True, check=True, timeout=30)
    assert t.wait_for_mail("carol@virt.test")[0]["Subject"] == "to carol"


def test_broken_passwd_line_fails_check_with_location(make_tern):
    t = make_tern(start=False, users=("alice@virt.test",))
    with open(os.path.join(t.base, "users"), "a") as f:
        f.write("broken line without colon\n")
    r = t.run("check", check=False)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert f"{t.base}/users:2:" in out, out


def test_deleted_user_rejected_after_reload(make_tern):
    t = make_tern()
    assert rcpt_code(t, "alice@virt.test")[0] == 250
    t.run("user", "del", "alice@virt.test")
    t.run("user", "add", "erin@virt.test", "--password-stdin", input="pw\n")
    t.reload()
    wait_until(lambda: "configuration and tables reloaded" in t.log(), what="the reload to be logged")
    code, text = wait_until(lambda: (lambda r: r if r[0] != 250 else None)(rcpt_code(t, "alice@virt.test")),
                            what="alice to be refused")
    assert (code, text[4:9]) == (550, "5.1.1"), text
    assert rcpt_code(t, "erin@virt.test")[0] == 250
    assert rcpt_code(t, "bob@virt.test")[0] == 250


def config_line(t, name):
    with open(t.config) as f:
        for n, line in enumerate(f, 1):
            if line.startswith(name + " "):
                return n
    raise AssertionError(name)


def test_check_suggests_nearest_parameter(make_tern):
    t = make_tern(start=False)
    t.params["message_size_limt"] = "2000000"
    t.write_config()
    line = config_line(t, "message_size_limt")
    r = t.run("check", check=False)
    out = r.stdout + r.stderr
    assert f"main.cf:{line}:" in out, out
    assert "message_size_limt" in out and "did you mean 'message_size_limit'" in out, out
    assert "warning" in out
    assert r.returncode == 0, out  # an unknown name is a warning, as in Postfix


def test_check_rejects_bad_value_with_location(make_tern):
    t = make_tern(start=False)
    t.params["message_size_limit"] = "10x"
    t.write_config()
    line = config_line(t, "message_size_limit")
    r = t.run("check", check=False)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert f"main.cf:{line}:" in out and "message_size_limit" in out and "10x" in out, out
    # The daemon refuses the same file instead of guessing.
    proc = subprocess.run([TERN, "-c", t.config, "serve"], capture_output=True, text=True,
                          timeout=10)
    assert proc.returncode != 0
    assert f"main.cf:{line}:" in proc.stderr, proc.stderr
