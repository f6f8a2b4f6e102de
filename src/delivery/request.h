// The messages between the unprivileged queue runner and the root-owned
// local delivery process (roles/local_helper): "deliver recipient R of
// queue file ID to target T" and the outcome. Encoded with the queue's
// typed records (queue/record.h), one request or reply per SOCK_SEQPACKET
// datagram.
//
// SECURITY: the root side decodes requests from a process that reads the
// network and may be compromised. The decoder checks every length and
// consumes the whole datagram; the root side then trusts nothing in the
// request beyond the queue ID and recipient: it re-reads the queue file and
// re-expands the recipient itself, and delivers only to a target that
// expansion produces.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "rewrite/rewriter.h"

namespace tern::delivery {

struct DeliveryRequest {
  uint64_t tag = 0;
  std::string queue_id;
  std::string recipient;
  rewrite::Target target;
};

struct DeliveryReply {
  uint64_t tag = 0;
  bool ok = false;
  bool temporary = true;
  std::string dsn;
  std::string text;  // "delivered to mailbox" or the failure detail
  // A .forward's addresses to resubmit the message to (Delivered::forward_to);
  // at most kMaxForwardItems, none with a NUL.
  std::vector<std::string> forward_to = {};
};

// After a reload with privileges dropped, the daemon asks the root side for
// a TLS certificate or key file; the root side reads only files its own
// configuration names (tls::files_named). The answer is a DeliveryReply
// whose text is the file (ok) or the reason it cannot be read.
struct FileRequest {
  uint64_t tag = 0;
  std::string path;
};
// The largest file answer: one PEM file (tls::kMaxPemFile) fits.
inline constexpr size_t kMaxFileReply = 128 * 1024;

std::string encode_request(const DeliveryRequest& r);
Result<DeliveryRequest> decode_request(std::string_view bytes);
std::string encode_reply(const DeliveryReply& r);
Result<DeliveryReply> decode_reply(std::string_view bytes);
std::string encode_file_request(const FileRequest& r);
Result<FileRequest> decode_file_request(std::string_view bytes);
// The file whole (up to kMaxFileReply), or the error's text.
std::string encode_file_reply(uint64_t tag, const Result<std::string>& content);

bool same_target(const rewrite::Target& a, const rewrite::Target& b);
// A stable name for a target, equal exactly when same_target() holds: what
// an 'X' record of the queue file stores (queue/record.h). Fields joined by
// NUL, which none of them can contain.
std::string target_key(const rewrite::Target& t);
// The final target a delivery writes to, as one message's duplicate filter
// sees it (Postfix's been_here in local(8) and virtual(8)): a virtual
// account, a system user's mailbox, a command run as a user, a file. Two
// recipients with equal keys get one copy. The extension counts only when
// the delivery sees it (a system user's mailbox_command gets $EXTENSION);
// the alias an address came through never counts. Same format as
// target_key(), so an 'X' record holds either.
std::string final_target_key(const rewrite::Target& t, bool extension_counts);

}  // namespace tern::delivery
