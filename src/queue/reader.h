// Reading a committed queue file back: the envelope, the content, and the
// in-place cross-off of delivered recipients.
//
// SECURITY: queue files are treated as hostile input (RELIABILITY.md #3):
// every length is checked against the file size, unknown record types and a
// missing end marker make the file corrupt, and nothing is ever evaluated.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "queue/envelope.h"

namespace tern::queue {

// Parses a whole queue file image. A permanent error means "corrupt".
Result<Envelope> parse_queue_file(std::string_view bytes, const std::string& id);

// Reads and parses path. Missing file: permanent error with "not found".
Result<Envelope> read_envelope(const std::string& path, const std::string& id);
// Reads the content bytes of a parsed envelope.
Result<std::string> read_content(const std::string& path, const Envelope& env);

// Records that one target of a pending recipient is delivered: appends an
// 'X' record (one write) and fdatasyncs, so a retry skips that target.
Status append_target_done(const std::string& path, const Recipient& r, std::string_view target_key);

// Records that the delay warning was sent: appends a 'W' record and
// fdatasyncs, so it is sent once per message, also across restarts.
Status append_delay_warned(const std::string& path);

// Flips a recipient's record from 'R' to 'D'. sync: fdatasync afterwards.
Status mark_done(const std::string& path, const Recipient& r, bool sync);

}  // namespace tern::queue
