"""RFC 5267 contexts (CONTEXT=SEARCH, CONTEXT=SORT) against the real
binary: two live UPDATE searches at once; mail delivered over SMTP while
they live reaches them as ADDTO after EXISTS (after a NOOP, and pushed
during IDLE); another session's expunge as REMOVEFROM before EXPUNGE; a
live UID SORT with positions; CANCELUPDATE of a known and an unknown tag;
PARTIAL in and out of range and malformed; contexts dropped at UNSELECT."""

from imap_account import ALICE, connect, deliver, imap, raw  # noqa: F401 (imap: a fixture)


def test_update_contexts_follow_delivery_and_expunge(imap):
    for n, subject in enumerate(("one", "two", "three"), 1):
        deliver(imap, subject)  # one at a time: UID n is the nth subject
        imap.wait_for_mail(ALICE, n)
    c = connect(imap)
    typ, caps = c.capability()
    assert b"CONTEXT=SEARCH CONTEXT=SORT" in caps[0], caps
    done, lines, _ = raw(c, "SELECT INBOX")
    assert done.startswith("OK"), done

    done, lines, a = raw(c, "UID SEARCH RETURN (UPDATE ALL) ALL")
    assert done.startswith("OK") and lines == [f'* ESEARCH (TAG "{a}") UID ALL 1:3'], (done, lines)
    done, lines, u = raw(c, "SEARCH RETURN (UPDATE COUNT) UNSEEN")
    assert lines == [f'* ESEARCH (TAG "{u}") COUNT 3'], lines
    done, lines, s = raw(c, "UID SORT RETURN (UPDATE ALL) (REVERSE SUBJECT) UTF-8 ALL")
    assert done.startswith("OK") and lines == [f'* ESEARCH (TAG "{s}") UID ALL 2:3,1'], (done, lines)

    # A delivery: EXISTS, then ADDTO for each context ("four" sorts last).
    deliver(imap, "four")
    imap.wait_for_mail(ALICE, 4)
    done, lines, _ = raw(c, "NOOP")
    assert "* 4 EXISTS" in lines, lines
    exists = lines.index("* 4 EXISTS")
    for want in (f'* ESEARCH (TAG "{a}") UID ADDTO (0 4)', f'* ESEARCH (TAG "{u}") ADDTO (0 4)',
                 f'* ESEARCH (TAG "{s}") UID ADDTO (4 4)'):
        assert want in lines and lines.index(want) > exists, (want, lines)

    # Another session expunges UID 1: REMOVEFROM, then EXPUNGE.
    d = connect(imap)
    assert raw(d, "SELECT INBOX")[0].startswith("OK")
    assert raw(d, "UID STORE 1 +FLAGS.SILENT (\\Deleted)")[0].startswith("OK")
    assert raw(d, "EXPUNGE")[0].startswith("OK")
    d.logout()
    done, lines, _ = raw(c, "NOOP")
    expunge = lines.index("* 1 EXPUNGE")
    for want in (f'* ESEARCH (TAG "{a}") UID REMOVEFROM (0 1)', f'* ESEARCH (TAG "{u}") REMOVEFROM (0 1)'):
        assert want in lines and lines.index(want) < expunge, (want, lines)
    # In the REVERSE SUBJECT list [2, 3, 1, 4], UID 1 is at position 3.
    sort_rm = f'* ESEARCH (TAG "{s}") UID REMOVEFROM (3 1)'
    assert sort_rm in lines and lines.index(sort_rm) < expunge, lines

    # CANCELUPDATE: a known tag, then the same again (now unknown).
    assert raw(c, f'CANCELUPDATE "{a}"')[0].startswith("OK")
    assert raw(c, f'CANCELUPDATE "{a}"')[0].startswith("NO")
    assert raw(c, f"CANCELUPDATE {a}")[0].startswith("BAD")

    # During IDLE a delivery is pushed: EXISTS and ADDTO, nothing for the cancelled one.
    tag = c._new_tag().decode()
    c.send(f"{tag} IDLE\r\n".encode())
    assert c.readline().startswith(b"+"), "no continuation"
    deliver(imap, "five")
    seen = []
    while not any("ADDTO" in l and f'TAG "{u}"' in l for l in seen):
        seen.append(c.readline().decode().rstrip("\r\n"))
    c.send(b"DONE\r\n")
    while True:
        line = c.readline().decode().rstrip("\r\n")
        if line.startswith(tag + " "):
            assert line[len(tag) + 1:].startswith("OK"), line
            break
        seen.append(line)
    assert "* 4 EXISTS" in seen, seen
    assert f'* ESEARCH (TAG "{u}") ADDTO (0 4)' in seen, seen
    assert not any(f'TAG "{a}"' in l for l in seen), seen

    # PARTIAL: UIDs 2..5 now.
    done, lines, t = raw(c, "UID SEARCH RETURN (PARTIAL 2:3) ALL")
    assert lines == [f'* ESEARCH (TAG "{t}") UID PARTIAL (2:3 3:4)'], lines
    done, lines, t = raw(c, "UID SEARCH RETURN (PARTIAL 40:50 COUNT) ALL")
    assert lines == [f'* ESEARCH (TAG "{t}") UID COUNT 4 PARTIAL (40:50 NIL)'], lines
    for bad in ("SEARCH RETURN (PARTIAL 1:*) ALL", "SEARCH RETURN (PARTIAL) ALL",
                "SEARCH RETURN (PARTIAL 1:2 ALL) ALL", "SEARCH RETURN (PARTIAL 0:3) ALL"):
        assert raw(c, bad)[0].startswith("BAD"), bad

    # UNSELECT ends every context: a change after SELECT again tells nothing.
    assert raw(c, "UNSELECT")[0].startswith("OK")
    assert raw(c, "SELECT INBOX")[0].startswith("OK")
    done, lines, _ = raw(c, "STORE 1:* +FLAGS.SILENT (\\Seen)")
    assert done.startswith("OK") and not any("ESEARCH" in l for l in lines), lines
    done, lines, _ = raw(c, f'CANCELUPDATE "{u}"')
    assert done.startswith("NO"), done
    c.logout()
