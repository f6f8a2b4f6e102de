// MemoryMaildrop: a MaildropStore in memory, for the session tests (and a
// fuzz target): accounts with messages, the one-session lock, deletions
// committed into the account's list, and failures on demand (a maildrop
// that cannot be opened, a read or a commit that fails). Header-only, so
// the production library carries none of it.
#pragma once

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pop3/server/maildrop.h"

namespace tern::pop3::testing {

struct StoredMessage {
  std::string uid;
  std::string bytes;  // as stored (LF or CRLF line ends)
};

// POP3's size of a stored message: CRLF line ends, before dot-stuffing.
inline uint64_t pop3_size(const std::string& bytes) {
  uint64_t n = bytes.size();
  for (size_t i = 0; i < bytes.size(); ++i)
    if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) ++n;
  return n;
}

struct Account {
  std::vector<StoredMessage> messages;
  bool locked = false;
  bool fail_open = false;
  bool fail_read = false;  // open_message fails
  bool fail_commit = false;
  int commits = 0;
  std::vector<std::string> seen;  // uids mark_seen was given, in order
};

class MemoryStore final : public MaildropStore {
 public:
  std::map<std::string, Account> accounts;
  OpenResult open(const std::string& user) override;
};

class MemoryReader final : public MessageReader {
 public:
  explicit MemoryReader(std::string bytes) : bytes_(std::move(bytes)) {}
  Result<size_t> read(std::span<char> buf) override {
    size_t n = std::min(buf.size(), bytes_.size() - pos_);
    std::memcpy(buf.data(), bytes_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string bytes_;
  size_t pos_ = 0;
};

class MemoryMaildrop final : public Maildrop {
 public:
  explicit MemoryMaildrop(Account& a) : a_(a) {
    a_.locked = true;
    for (const auto& m : a_.messages) info_.push_back({m.uid, pop3_size(m.bytes)});
    snapshot_ = a_.messages;
  }
  ~MemoryMaildrop() override { a_.locked = false; }
  const std::vector<MessageInfo>& messages() const override { return info_; }
  Result<std::unique_ptr<MessageReader>> open_message(size_t i) override {
    if (a_.fail_read) return Error::temp("injected read failure");
    return std::unique_ptr<MessageReader>(std::make_unique<MemoryReader>(snapshot_.at(i).bytes));
  }
  Status mark_seen(const std::vector<size_t>& indices) override {
    for (size_t i : indices) a_.seen.push_back(snapshot_.at(i).uid);
    return ok_status();
  }
  Status commit_deletions(const std::vector<size_t>& indices) override {
    ++a_.commits;
    if (a_.fail_commit) return Error::temp("injected commit failure");
    for (size_t i : indices) {
      const std::string& uid = snapshot_.at(i).uid;
      std::erase_if(a_.messages, [&](const StoredMessage& m) { return m.uid == uid; });
    }
    return ok_status();
  }

 private:
  Account& a_;
  std::vector<StoredMessage> snapshot_;
  std::vector<MessageInfo> info_;
};

inline OpenResult MemoryStore::open(const std::string& user) {
  OpenResult r;
  auto it = accounts.find(user);
  if (it == accounts.end() || it->second.fail_open) {
    r.kind = OpenResult::Kind::temporary;
    r.why = "injected open failure";
    return r;
  }
  if (it->second.locked) {
    r.kind = OpenResult::Kind::in_use;
    r.why = "locked";
    return r;
  }
  r.kind = OpenResult::Kind::ok;
  r.drop = std::make_unique<MemoryMaildrop>(it->second);
  return r;
}

}  // namespace tern::pop3::testing
