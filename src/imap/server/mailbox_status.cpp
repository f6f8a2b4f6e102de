// STATUS's items for one mailbox (see mailbox_status.h).
#include "imap/server/mailbox_status.h"

#include "config/config.h"
#include "imap/server/message_size.h"

namespace tern::imap {

// STATUS's answer for one mailbox: "MESSAGES 3 UIDNEXT 9" for items already checked.
std::string status_items(store::Mailbox& box, const std::vector<std::string>& wanted, uint64_t append_limit) {
  std::string items;
  for (const auto& w : wanted) {
    uint64_t v = 0;
    if (w == "MESSAGES") v = box.messages().size();
    else if (w == "UIDNEXT") v = box.uidnext();
    else if (w == "UIDVALIDITY") v = box.uidvalidity();
    else if (w == "UNSEEN" || w == "DELETED") {
      auto bit = w == "UNSEEN" ? store::kFlagSeen : store::kFlagDeleted;
      for (const auto& m : box.messages()) v += w == "UNSEEN" ? !(m.flags & bit) : (m.flags & bit) != 0;
    } else if (w == "SIZE") {
      for (const auto& m : box.messages()) v += message_vsize(box, m);
    } else if (w == "HIGHESTMODSEQ") {
      // RFC 7162 3.1.6; 0 for a store without persistent mod-sequences.
      if (!box.modseqs_enabled() && box.enable_modseqs()) (void)box.refresh();
      v = box.modseqs_enabled() ? box.modseq() : 0;
    } else if (w == "APPENDLIMIT") {
      if (append_limit == config::Config::kNoLimit) {
        if (!items.empty()) items += ' ';
        items += "APPENDLIMIT NIL";
        continue;
      }
      v = append_limit;
    }
    if (!items.empty()) items += ' ';
    items += w + " " + std::to_string(v);
  }
  return items;
}

}  // namespace tern::imap
