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
  if (b.substr(0, kMagic.size()) != kMagic) return Error::perm("bad magic");
  SubmitRequest req;
  bool have_sender = false, have_content = false;
  size_t pos = kMagic.size();
  for (;;) {
    if (b.size() - pos < kRecordHeader) return Error::perm("truncated request");
    char type = b[pos];
    uint32_t len = 0;
    for (int i = 0; i < 4; ++i) len |= static_cast<uint32_t>(static_cast<unsigned char>(b[pos + 1 + i])) << (8 * i);
    size_t start = pos + kRecordHeader;
    if (len > b.size() - start) return Error::perm("record runs past the end");
    std::string_view p = b.substr(start, len);
    for (unsigned char c : (type == kContent ? std::string_view() : p))
      if (c < 0x20 || c == 0x7f) return Error::perm("control character in an address");
    switch (type) {
      case kSender:
        if (have_sender || len > 1024) return Error::perm("bad sender record");
        have_sender = true;
        req.sender = std::string(p);
        break;
      case kRecipient:
        if (len == 0 || len > 1024 || req.recipients.size() >= max_recipients) return Error::perm("bad recipient record");
        req.recipients.emplace_back(p);
        break;
      case kContent:
        if (have_content) return Error::perm("two content records");
        if (len > max_content) return Error::perm("message too large");
        have_content = true;
        req.content = std::string(p);
        break;
      case kEnd:
        if (len != 0 || start != b.size()) return Error::perm("data after the end record");
        if (!have_sender || !have_content || req.recipients.empty()) return Error::perm("incomplete request");
        return req;
      default:
        return Error::perm("unknown record type");
    }
    pos = start + len;
  }
}

}  // namespace tern::queue
