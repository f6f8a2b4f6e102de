// BdatDecoder: turns the bytes of BDAT chunks (RFC 3030) into stored content
// with LF line endings. Chunks are framed by length, so there is no
// end-of-data marker to smuggle and no dot-stuffing; a CRLF split across
// two chunks is still one line end. Content beyond max_bytes is counted, not
// kept (the caller answers 552 5.3.4 at LAST).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tern::smtp {

class BdatDecoder {
 public:
  explicit BdatDecoder(uint64_t max_bytes) : max_(max_bytes) {}
  void feed(std::string_view chunk_bytes);
  // Call after the LAST chunk: flushes a trailing CR.
  void finish();
  bool too_big() const { return total_ > max_; }
  bool saw_nul() const { return nul_; }
  uint64_t total_bytes() const { return total_; }
  std::string& output() { return out_; }

 private:
  void emit(char c);
  uint64_t max_;
  uint64_t total_ = 0;
  bool pending_cr_ = false;
  bool nul_ = false;
  std::string out_;
};

}  // namespace tern::smtp
