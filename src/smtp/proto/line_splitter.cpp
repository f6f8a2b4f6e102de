// Implementation of LineSplitter (see line_splitter.h).
#include "smtp/proto/line_splitter.h"

#include <algorithm>

namespace tern::smtp {

LineSplitter::Next LineSplitter::next() {
  for (;;) {
    std::string_view avail = pending();
    size_t lf = avail.find('\n');
    if (discarding_) {
      if (lf == std::string_view::npos) {
        bool was_flood = discarded_ > max_discard_;
        discarded_ += avail.size();
        pos_ = buf_.size();
        compact();
        if (!was_flood && discarded_ > max_discard_) return {Kind::flood, {}};
        return {Kind::need_more, {}};
      }
      pos_ += lf + 1;
      discarding_ = false;
      continue;
    }
    if (lf == std::string_view::npos) {
      // A line of exactly max_ bytes may have its CR here and its LF in the
      // next read: only more than max_ + 1 bytes, or max_ + 1 not ending in
      // CR, is certain to be too long.
      if (avail.size() > max_ + 1 || (avail.size() == max_ + 1 && avail.back() != '\r')) {
        discarding_ = true;
        discarded_ = avail.size();
        pos_ = buf_.size();
        compact();
        return {Kind::too_long, {}};
      }
      compact();
      return {Kind::need_more, {}};
    }
    size_t len = lf;
    if (len > 0 && avail[len - 1] == '\r') --len;
    if (len > max_) {
      pos_ += lf + 1;
      return {Kind::too_long, {}};
    }
    Next n{Kind::line, std::string(avail.substr(0, len))};
    pos_ += lf + 1;
    return n;
  }
}

std::string LineSplitter::take(size_t n) {
  std::string_view avail = pending();
  if (n > avail.size()) n = avail.size();
  std::string out(avail.substr(0, n));
  pos_ += n;
  compact();
  return out;
}

void LineSplitter::consume(size_t n) {
  pos_ += std::min(n, pending_size());
  compact();
}

void LineSplitter::clear() {
  buf_.clear();
  pos_ = 0;
  discarding_ = false;
  discarded_ = 0;
}

void LineSplitter::compact() {
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 65536 && pos_ * 2 > buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
}

}  // namespace tern::smtp
