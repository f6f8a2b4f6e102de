// Implementation of BdatDecoder (see bdat_decoder.h).
#include "smtp/proto/bdat_decoder.h"

namespace tern::smtp {

void BdatDecoder::emit(char c) {
  ++total_;
  if (total_ <= max_) out_ += c;
}

void BdatDecoder::feed(std::string_view in) {
  for (char c : in) {
    if (c == '\0') nul_ = true;
    if (pending_cr_) {
      pending_cr_ = false;
      if (c == '\n') {
        emit('\n');
        continue;
      }
      emit('\r');
    }
    if (c == '\r') {
      pending_cr_ = true;
    } else {
      emit(c);
    }
  }
}

void BdatDecoder::finish() {
  if (pending_cr_) emit('\r');
  pending_cr_ = false;
}

}  // namespace tern::smtp
