// Encoding and decoding of local submission requests (see submission.h).
#include "queue/submission.h"

#include "queue/record.h"

namespace tern::queue {

std::string encode_submit_request(const SubmitRequest& r) {
  std::string out(kMagic);
  append_record(out, kSender, r.sender);
  for (auto& rc : r.recipients) append_record(out, kRecipient, rc);
  append_record(out, kContent, r.content);
  append_record(out, kEnd, "");
  return out;
}

Result<SubmitRequest> decode_submit_request(std::string_view b, size_t max_content, size_t max_recipients) {
  SubmitRequest req;
  bool have_sender = false, have_content = false;
  RecordCursor cur(b);
  for (;;) {
    auto step = cur.next();
    if (step == RecordCursor::Step::error) return Error::perm(cur.error);
    if (step == RecordCursor::Step::end) break;
    std::string_view p = cur.payload;
    if (cur.type != kContent)
      for (unsigned char c : p)
        if (c < 0x20 || c == 0x7f) return Error::perm("control character in an address");
    switch (cur.type) {
      case kSender:
        if (have_sender || p.size() > 1024) return Error::perm("bad sender record");
        have_sender = true;
        req.sender = std::string(p);
        break;
      case kRecipient:
        if (p.empty() || p.size() > 1024 || req.recipients.size() >= max_recipients)
          return Error::perm("bad recipient record");
        req.recipients.emplace_back(p);
        break;
      case kContent:
        if (have_content) return Error::perm("two content records");
        if (p.size() > max_content) return Error::perm("message too large");
        have_content = true;
        req.content = std::string(p);
        break;
      default:
        return Error::perm("unknown record type");
    }
  }
  if (!have_sender || !have_content || req.recipients.empty()) return Error::perm("incomplete request");
  return req;
}

}  // namespace tern::queue
