// Encoding of queue-file records (see record.h).
#include "queue/record.h"

namespace tern::queue {

RecordCursor::RecordCursor(std::string_view bytes) : b_(bytes), pos_(kMagic.size()) {
  if (bytes.substr(0, kMagic.size()) != kMagic) {
    error = "bad magic";
    pos_ = std::string_view::npos;
  }
}

RecordCursor::Step RecordCursor::next() {
  if (pos_ == std::string_view::npos) return Step::error;
  if (b_.size() - pos_ < kRecordHeader) {
    error = "truncated: no end marker";
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
    if (len != 0 || pos_ != b_.size()) {
      error = "data after the end marker";
      return Step::error;
    }
    return Step::end;
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

}  // namespace tern::queue
