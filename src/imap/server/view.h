// SelectedView: what the client was told about the selected mailbox,
// which is not what the store holds now. Message sequence numbers are
// positions in this view; sync() brings it up to the store's snapshot and
// writes the untagged EXPUNGE, EXISTS and FETCH FLAGS that tell the client
// (RFC 9051 7.4.1, 5.2). When expunges may not be announced (during FETCH,
// STORE, SEARCH by sequence number: RFC 9051 7.5.1), messages that vanished
// stay in the view, marked gone, until a later sync may.
//
// With CONDSTORE enabled (RFC 7162) each FETCH carries the message's MODSEQ
// and a change of mod-sequence alone is announced too; with QRESYNC the
// expunged leave as "* VANISHED uid-set" instead of EXPUNGEs.
//
// A message that shows up with a UID below the view's last one (a file a
// crashed writer left without a UID, numbered later) is not added: sequence
// numbers must only grow at the end.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/mailbox.h"

namespace tern::imap {

struct ViewMode {
  bool condstore = false;  // FETCH updates carry MODSEQ
  bool qresync = false;    // VANISHED instead of EXPUNGE
};

class SelectedView {
 public:
  struct Entry {
    uint32_t uid = 0;
    store::MessageFlags flags = 0;
    std::vector<std::string> keywords;
    bool gone = false;
    uint64_t modseq = 0;
  };
  using Mode = ViewMode;

  // Takes the mailbox's messages as the client's first view (SELECT).
  void reset(const store::Mailbox& box);
  // Reconciles with box.messages(); appends the untagged responses to out.
  void sync(const store::Mailbox& box, bool allow_expunge, std::string& out, Mode mode = {});
  // The client learnt these flags (a STORE's FETCH, or .SILENT).
  void set_flags(uint32_t uid, store::MessageFlags flags, const std::vector<std::string>& keywords,
                 uint64_t modseq = 0);

  uint32_t size() const { return static_cast<uint32_t>(entries_.size()); }
  const Entry& at_msn(uint32_t msn) const { return entries_[msn - 1]; }
  // The sequence number of uid, or nullopt.
  std::optional<uint32_t> msn_of(uint32_t uid) const;
  uint32_t max_uid() const { return entries_.empty() ? 0 : entries_.back().uid; }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

}  // namespace tern::imap
