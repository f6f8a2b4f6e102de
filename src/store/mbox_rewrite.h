// Internal to store: rewriting the tail of an mbox file in place, safely
// against a crash (kill -9, power loss) at any point. The file keeps its
// inode, owner and mode (other mbox readers, mutt and Dovecot, rewrite in
// place too and may hold it open; a delivery may have it open waiting for
// the lock), so a rename into place is not used.
//
// Redo journal: the new bytes from offset `from` to the new end are first
// written to PATH.tern-rewrite beside the mailbox (body, fdatasync, then a
// header naming the mailbox's dev/ino, its size before and the range, then
// fdatasync and a directory fsync). Only then is the mailbox overwritten
// from `from`, truncated to its new size and fsynced; then the journal is
// removed and the directory fsynced. A crash before the header is durable
// leaves the mailbox untouched (the journal is discarded); after it, the
// next taker of the mailbox lock (MboxLock::acquire: deliveries, IMAP,
// POP3) copies the journal again, which is idempotent. Both need the
// directory writable, as dot-locking does; where it is not, the mailbox
// cannot be changed (a temporary error) and is only read.
//
// SECURITY: the journal lies in a directory other users may write (a mail
// spool). It is created O_EXCL|O_NOFOLLOW, mode 0600, and acted on only
// when it is a regular file with one link owned by us, root or the
// mailbox's owner, names the very file we hold locked, and the mailbox's
// size lies between the sizes before and after the rewrite (anything else
// means someone changed the file since, and nothing is done: a temporary
// error, logged, until an administrator looks).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tern::store {

std::string mbox_journal_path(const std::string& mailbox);

using MboxSink = std::function<Status(std::string_view)>;
// Under MboxLock: replaces the bytes of fd from `from` to the end with what
// produce writes into its sink; durable when it returns ok. apply_now
// false stops once the journal is durable, as a crash there would (tests).
Status mbox_rewrite_tail(const std::string& path, int fd, uint64_t from,
                         const std::function<Status(const MboxSink&)>& produce, bool apply_now = true);

// Under MboxLock: completes (or discards, if it never became durable) a
// rewrite a process that died left behind.
Status mbox_recover_rewrite(const std::string& path, int fd);

}  // namespace tern::store
