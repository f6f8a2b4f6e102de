// The argv of postqueue(1) and postsuper(1), read into one QueueRequest,
// apart from I/O so that unit tests and a fuzz target call it. Postfix's syntax: options
// may be joined to their value (-dID) or not (-d ID), postsuper's options
// repeat and combine (-d A -h B), and postsuper's trailing words name the
// queues that ALL means (postsuper -d ALL deferred).
//
// SECURITY: every ID is checked here (16 upper-case hex digits, or ALL, or
// "-" for standard input) before anything is opened: `../x` and `ALL/../`
// are usage errors. A site must be a domain name or an address literal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tern::cli {

struct QueueOp {
  enum Verb { remove, hold, release, requeue };
  Verb verb;
  std::string id;  // a queue ID, "ALL", or "-" (IDs from standard input)
};

struct QueueRequest {
  std::string config;              // -c: a main.cf file or the directory holding it
  bool list = false, json = false;  // postqueue -p / -j
  bool flush = false;              // postqueue -f
  std::string site;                // postqueue -s
  std::vector<QueueOp> ops;        // postsuper -d/-h/-H/-r, postqueue -i
  std::vector<std::string> queues;  // postsuper's trailing queue names
};

// Returns 0, or 64 (EX_USAGE) with the reason in error.
int parse_postqueue_args(const std::vector<std::string>& args, QueueRequest& r, std::string& error);
int parse_postsuper_args(const std::vector<std::string>& args, QueueRequest& r, std::string& error);

// IDs read by "-d -": one per line, surrounding blanks ignored, empty lines
// skipped; a line that is not an ID is an error.
int read_queue_ids(std::string_view text, std::vector<std::string>& ids, std::string& error);

bool valid_op_id(std::string_view id);

}  // namespace tern::cli
