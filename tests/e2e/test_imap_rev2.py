"""IMAP4rev2 (RFC 9051) against the real binary: a client sees IMAP4rev2
advertised, ENABLEs it, and from then on SELECT has no RECENT and names the
mailbox in LIST, SEARCH answers ESEARCH, a folder with a UTF-8 name is
created, listed and selected as UTF-8 (and stored as Dovecot spells it),
RECENT is refused; a client that did not enable it still gets IMAP4rev1
answers from the same server."""

import os

from imap_account import ALICE, connect, deliver, imap, raw  # noqa: F401 (imap: a fixture)

FOLDER = "Entwürfe"


def test_enable_imap4rev2_select_search_list_utf8(imap):
    for subject in ("one", "two", "three"):
        deliver(imap, subject)
    imap.wait_for_mail(ALICE, 3)
    c = connect(imap)
    typ, caps = c.capability()
    assert b"IMAP4rev1 IMAP4rev2" in caps[0], caps

    # Before ENABLE: IMAP4rev1 answers.
    done, lines, _ = raw(c, "SELECT INBOX")
    assert done.startswith("OK"), done
    assert "* 0 RECENT" in lines, lines
    done, lines, _ = raw(c, "SEARCH ALL")
    assert lines == ["* SEARCH 1 2 3"], lines
    done, lines, _ = raw(c, f'CREATE "{FOLDER}"')
    assert done.startswith("NO"), done  # 8-bit names need UTF8=ACCEPT or IMAP4rev2

    done, lines, _ = raw(c, "ENABLE IMAP4rev2")
    assert done.startswith("OK") and lines == ["* ENABLED IMAP4rev2"], (done, lines)

    done, lines, _ = raw(c, "SELECT INBOX")
    assert done.startswith("OK [READ-WRITE]"), done
    assert lines[0].startswith("* OK [CLOSED]"), lines
    assert not any("RECENT" in l or "[UNSEEN" in l for l in lines), lines
    assert '* LIST (\\HasNoChildren) "." INBOX' in lines, lines
    assert "* 3 EXISTS" in lines, lines

    ok, lines, tag = raw(c, "UID STORE 2 +FLAGS.SILENT (\\Deleted)")
    assert ok.startswith("OK"), ok
    done, lines, tag = raw(c, "SEARCH UNDELETED")
    assert lines == [f'* ESEARCH (TAG "{tag}") ALL 1,3'], lines
    done, lines, tag = raw(c, "UID SEARCH DELETED")
    assert lines == [f'* ESEARCH (TAG "{tag}") UID ALL 2'], lines
    done, lines, tag = raw(c, "UID SEARCH SUBJECT nothing-like-this")
    assert lines == [f'* ESEARCH (TAG "{tag}") UID'], lines
    done, lines, _ = raw(c, "SEARCH RECENT")
    assert done.startswith("BAD"), done
    done, lines, _ = raw(c, "STATUS INBOX (MESSAGES RECENT)")
    assert done.startswith("BAD"), done

    # A UTF-8 folder: created, listed, selected, given a message.
    done, lines, _ = raw(c, f'CREATE "{FOLDER}.Alt"')
    assert done.startswith("OK"), done
    done, lines, _ = raw(c, 'LIST "" "Entw*"')
    assert lines == [f'* LIST (\\NonExistent \\HasChildren) "." "{FOLDER}"',
                     f'* LIST (\\HasNoChildren) "." "{FOLDER}.Alt"'], lines
    done, lines, _ = raw(c, f'UID COPY 1 "{FOLDER}.Alt"')
    assert done.startswith("OK [COPYUID"), done
    done, lines, _ = raw(c, f'DELETE "{FOLDER}"')
    assert done.startswith("NO [HASCHILDREN]"), done
    done, lines, _ = raw(c, f'SELECT "{FOLDER}.Alt"')
    assert done.startswith("OK"), done
    assert lines[0].startswith("* OK [CLOSED]"), lines
    assert f'* LIST (\\HasNoChildren) "." "{FOLDER}.Alt"' in lines, lines
    assert "* 1 EXISTS" in lines, lines
    c.logout()
    # On disk, modified UTF-7 as Dovecot writes it.
    assert os.path.isdir(os.path.join(imap.maildir_path(ALICE), ".Entw&APw-rfe.Alt")), \
        os.listdir(imap.maildir_path(ALICE))

    # Another client that does not enable it: rev1 answers, modified UTF-7.
    d = connect(imap)
    typ, data = d.list('""', "Entw*")
    assert data == [b'(\\Noselect \\HasChildren) "." Entw&APw-rfe',
                    b'(\\HasNoChildren) "." Entw&APw-rfe.Alt'], data
    done, lines, _ = raw(d, "SELECT INBOX")
    assert "* 0 RECENT" in lines and not any(l.startswith("* LIST") for l in lines), lines
    done, lines, _ = raw(d, "SEARCH DELETED")
    assert lines == ["* SEARCH 2"], lines
    d.logout()
