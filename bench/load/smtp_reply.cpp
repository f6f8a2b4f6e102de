// See smtp_reply.h.
#include "smtp_reply.h"

namespace bench {

std::optional<std::string> LineBuffer::next_line() {
  if (error_) return std::nullopt;
  auto nl = buf_.find('\n', pos_);
  if (nl == std::string::npos) {
    if (buf_.size() - pos_ > kMaxLine) error_ = true;
    if (pos_ > 0 && pos_ == buf_.size()) clear();
    return std::nullopt;
  }
  size_t end = nl;
  if (end > pos_ && buf_[end - 1] == '\r') --end;
  if (end - pos_ > kMaxLine) {
    error_ = true;
    return std::nullopt;
  }
  std::string line = buf_.substr(pos_, end - pos_);
  pos_ = nl + 1;
  if (pos_ == buf_.size()) clear();
  else if (pos_ > 65536) {  // keep the buffer from growing under a long pipeline
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return line;
}

std::optional<Reply> ReplyReader::next() {
  while (!error_) {
    auto line = lines_.next_line();
    if (!line) return std::nullopt;
    bool digits = line->size() >= 3 && line->find_first_not_of("0123456789") >= 3;
    char sep = line->size() > 3 ? (*line)[3] : ' ';
    if (!digits || (sep != ' ' && sep != '-') || ++line_count_ > kMaxReplyLines) {
      error_ = true;
      partial_.code = 0;
      partial_.text += *line;
      return partial_;
    }
    int code = std::stoi(line->substr(0, 3));
    if (partial_.code != 0 && code != partial_.code) error_ = true;  // a reply changes code mid-way
    partial_.code = error_ ? 0 : code;
    if (!partial_.text.empty()) partial_.text += " | ";
    partial_.text += *line;
    if (sep == ' ' || error_) {
      Reply r = std::move(partial_);
      partial_ = Reply{};
      line_count_ = 0;
      return r;
    }
  }
  return std::nullopt;
}

}  // namespace bench
