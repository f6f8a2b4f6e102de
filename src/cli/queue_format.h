// The text and JSON forms of a queue listing, apart from the scan
// (queue/listing.h) so that tests check them byte for byte: Postfix's
// mailq/postqueue -p layout for long queue IDs, and postqueue -j's JSON
// lines. Pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "queue/listing.h"

namespace tern::cli {

// Accumulates the mailq text. add() returns the text for one message (with
// the heading before the first, a blank line before every later one);
// summary() the last lines ("Mail queue is empty" when nothing was added).
class MailqFormatter {
 public:
  std::string add(const queue::ListedMessage& m);
  std::string summary() const;

 private:
  uint64_t bytes_ = 0;
  unsigned long count_ = 0;
};

// One JSON object on one line (no newline): queue_name, queue_id,
// arrival_time, message_size, forced_expire, sender, recipients[{address,
// delay_reason}] as postqueue -j prints them; "error" for an unreadable file.
std::string json_message(const queue::ListedMessage& m);

// A JSON string literal; invalid UTF-8 and controls are escaped as in logs
// (str::escape_log) first, so the result always parses.
std::string json_string(std::string_view s);

}  // namespace tern::cli
