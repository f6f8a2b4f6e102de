// Encoding of queue-file records (see record.h).
#include "queue/record.h"

namespace tern::queue {

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
