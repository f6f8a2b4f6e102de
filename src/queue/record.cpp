// Encoding of queue-file records (see record.h).
#include "queue/record.h"

namespace tern::queue {

RecordCursor::RecordCursor(std::string_view bytes, bool appendable)
    : b_(bytes), pos_(kMagic.size()), appendable_(appendable) {
  if (bytes.substr(0, kMagic.size()) != kMagic) {
    error = "bad magic";
    pos_ = std::string_view::npos;
  }
}

RecordCursor::Step RecordCursor::next() {
  if (pos_ == std::string_view::npos) return Step::error;
  if (after_end && pos_ == b_.size()) return Step::end;
  if (b_.size() - pos_ < kRecordHeader) {
    error = after_end ? "truncated record after the end marker" : "truncated: no end marker";
    return Step::error;
  }
  type = b_[pos_];
  uint32_t len = 0;
  for (int i = 0; i < 4; ++i) len |= static_cast<uint32_t>(static_cast<unsigned char>(b_[pos_ + 1 + i])) << (8 * i);
  size_t start = pos_ + kRecordHeader;
  if (len > b_.size() - start) {
    error = "record runs past the end";
    return Step::error;
  }
  offset = pos_;
  payload = b_.substr(start, len);
  pos_ = start + len;
  if (type == kEnd) {
    if (len != 0 || after_end || (pos_ != b_.size() && !appendable_)) {
      error = after_end ? "two end markers" : "data after the end marker";
      return Step::error;
    }
    if (!appendable_) return Step::end;
    after_end = true;
    return next();
  }
  return Step::record;
}

std::string record_header(char type, uint32_t length) {
  std::string h(kRecordHeader, '\0');
  h[0] = type;
  for (int i = 0; i < 4; ++i) h[1 + i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return h;
}

void append_record(std::string& out, char type, std::string_view payload) {
  out += record_header(type, static_cast<uint32_t>(payload.size()));
  out.append(payload.data(), payload.size());
}

std::string target_done_payload(uint64_t recipient_offset, std::string_view target_key) {
  std::string p = std::to_string(recipient_offset);
  p += ' ';
  p.append(target_key.data(), target_key.size());
  return p;
}

bool parse_target_done(std::string_view payload, uint64_t& recipient_offset, std::string_view& target_key) {
  auto sp = payload.find(' ');
  if (sp == 0 || sp == std::string_view::npos || sp > 19 || sp + 1 == payload.size()) return false;
  uint64_t v = 0;
  for (char c : payload.substr(0, sp)) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  recipient_offset = v;
  target_key = payload.substr(sp + 1);
  return true;
}

std::string recipient_dsn_payload(unsigned notify, std::string_view orcpt) {
  std::string p(1, "0123456789abcdef"[notify & 0xf]);
  p.append(orcpt.data(), orcpt.size());
  return p;
}

bool parse_recipient_dsn(std::string_view payload, unsigned& notify, std::string_view& orcpt) {
  if (payload.empty()) return false;
  char c = payload[0];
  if (c >= '0' && c <= '9') notify = static_cast<unsigned>(c - '0');
  else if (c >= 'a' && c <= 'f') notify = static_cast<unsigned>(c - 'a' + 10);
  else return false;
  orcpt = payload.substr(1);
  return true;
}

}  // namespace tern::queue
