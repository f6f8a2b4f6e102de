// Envelope: what the queue knows about one message besides its content,
// as read back from a queue file.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

namespace tern::queue {

struct Recipient {
  std::string address;       // as accepted at RCPT (after myorigin qualification)
  bool done = false;         // 'D' record
  uint64_t type_offset = 0;  // where the 'R'/'D' byte sits in the file
};

struct Envelope {
  std::string id;
  std::time_t arrival = 0;
  std::string client = "local";
  std::string helo;
  std::string protocol = "local";
  bool smtputf8 = false;
  bool eightbit = false;
  std::string sender;  // "" for the null sender
  std::vector<Recipient> recipients;
  uint64_t content_offset = 0;  // file offset of the content bytes
  uint64_t content_size = 0;

  size_t pending() const {
    size_t n = 0;
    for (auto& r : recipients) n += r.done ? 0 : 1;
    return n;
  }
};

}  // namespace tern::queue
