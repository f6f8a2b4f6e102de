// CanonicalHeaders: Canonical's rewriting applied to the address headers of
// a message while its content streams into the queue (queue::Draft calls
// it for SMTP and sendmail alike): From:, Sender:, Errors-To:,
// Return-Receipt-To:, Resent-From:, Resent-Sender: as header_sender; To:,
// Cc:, Bcc:, Reply-To:, Apparently-To: and their Resent- forms as
// header_recipient (Postfix's header classes). Only the bytes of each
// address change (mail/address_spans.h); names, comments, encoded words,
// groups, folding and line ends stay as they came. An address folded over
// two lines, or without a domain, is left alone.
//
// The header section ends as mail/headers.h says (an empty line, or a line
// that is neither a field nor a continuation); the body passes untouched.
//
// SECURITY: content is untrusted. Memory stays bounded: one address field
// is held at a time, up to max_field bytes; a longer one (or a line longer
// than that) passes through unchanged. Linear in the content.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "rewrite/canonical.h"

namespace tern::rewrite {

class CanonicalHeaders {
 public:
  static constexpr size_t kMaxField = 64 * 1024;
  explicit CanonicalHeaders(std::shared_ptr<const Canonical> c, size_t max_field = kMaxField)
      : canonical_(std::move(c)), max_field_(max_field) {}

  // Appends the rewritten form of the next content bytes to out; the bytes
  // of a field not yet ended are held back. A temporary error when a table
  // cannot answer (the message is then refused with 451).
  Status feed(std::string_view chunk, std::string& out);
  // End of content: writes what is held.
  Status finish(std::string& out);

 private:
  Status line_done(std::string& out);
  Status flush_field(std::string& out);
  Status overflow(std::string& out);

  std::shared_ptr<const Canonical> canonical_;
  size_t max_field_;
  enum class Mode { header, body } mode_ = Mode::header;
  std::string field_;  // the address field held (complete lines)
  unsigned field_class_ = 0;  // Canonical::Class of the field held, 0: none
  std::string line_;   // the line being read
  bool in_field_ = false;   // continuations belong to a field (held or passed)
  bool raw_line_ = false;   // passing the rest of an overlong line through
};

}  // namespace tern::rewrite
