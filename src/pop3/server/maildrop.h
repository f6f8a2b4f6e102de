// Maildrop: what a POP3 session needs from a mailbox, as an interface, so
// that the session does not depend on how mail is stored. The store
// module's Maildir reader gets an adapter (wired by roles); tests use
// MemoryMaildrop (memory_maildrop.h).
//
// Contract:
//   - MaildropStore::open(user) takes the maildrop's POP3 lock (RFC 1939
//     section 8: one session per maildrop): a second open of the same user
//     while the first Maildrop lives gives in_use. Destroying the Maildrop
//     releases the lock, whatever happened before (QUIT, a dropped
//     connection, a timeout).
//   - messages() is the list the session numbers from 1, fixed for the
//     session's life (RFC 1939: numbers do not change within a session).
//     `uid` is the message's stable unique id (RFC 1939 section 7 UIDL: 1
//     to 70 bytes of 0x21..0x7E, never reused, the same across sessions and
//     the same identity IMAP shows); `size` counts octets as POP3 sends
//     them: CRLF line ends, before dot-stuffing.
//   - open_message(i) streams message i (0-based) as stored; line ends may
//     be LF or CRLF (the session's encoder sends CRLF).
//   - commit_deletions(indices) removes those messages for good, durably
//     (fsync the directory before returning ok); it runs only at QUIT in
//     the TRANSACTION state (the UPDATE state). A message already gone
//     (another client, e.g. IMAP, expunged it) is not an error.
//   - mark_seen(indices) sets IMAP's \Seen on messages RETR sent whole,
//     at QUIT, before the deletions (gone meanwhile is not an error).
// All calls happen on the session's thread; they may block on local disk
// but not on the network.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"

namespace tern::pop3 {

struct MessageInfo {
  std::string uid;
  uint64_t size = 0;
};

class MessageReader {
 public:
  virtual ~MessageReader() = default;
  // Up to buf.size() bytes; 0 at the end of the message.
  virtual Result<size_t> read(std::span<char> buf) = 0;
};

class Maildrop {
 public:
  virtual ~Maildrop() = default;  // releases the lock
  virtual const std::vector<MessageInfo>& messages() const = 0;
  virtual Result<std::unique_ptr<MessageReader>> open_message(size_t index) = 0;
  virtual Status commit_deletions(const std::vector<size_t>& indices) = 0;
  virtual Status mark_seen(const std::vector<size_t>& indices) = 0;
};

struct OpenResult {
  enum class Kind {
    ok,         // `drop` is set
    in_use,     // another session holds the maildrop: -ERR [IN-USE]
    temporary,  // cannot be opened now (disk, permissions): -ERR [SYS/TEMP]
  };
  Kind kind = Kind::temporary;
  std::unique_ptr<Maildrop> drop;
  std::string why;  // for the log, when not ok
};

class MaildropStore {
 public:
  virtual ~MaildropStore() = default;
  // `user`: the account as the password database spells it
  // (sasl::VerifyResult::user).
  virtual OpenResult open(const std::string& user) = 0;
};

}  // namespace tern::pop3
