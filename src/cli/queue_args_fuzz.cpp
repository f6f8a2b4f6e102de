// libFuzzer target: postqueue/postsuper argv and the IDs postsuper reads
// from standard input (queue_args_parse.h), which any local user gives before the
// permission check. Input: a selector byte, then argv items separated by
// NUL. Checks that nothing accepted could name a path outside the queue.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/strings.h"
#include "cli/queue_args_parse.h"
#include "queue/listing.h"
#include "queue/spool.h"

using namespace tern;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string> args;
  for (auto& a : str::split(in, '\0')) args.push_back(a);
  cli::QueueRequest r;
  std::string error;
  int rc = data[0] & 1 ? cli::parse_postsuper_args(args, r, error) : cli::parse_postqueue_args(args, r, error);
  if (rc != 0 && (rc != 64 || error.empty())) __builtin_trap();
  if (rc == 0) {
    for (auto& op : r.ops)
      if (!cli::valid_op_id(op.id) || op.id.find('/') != std::string::npos) __builtin_trap();
    for (auto& q : r.queues)
      if (!queue::is_queue_name(q)) __builtin_trap();
    if (!r.site.empty() && (!queue::valid_site(r.site) || r.site.find_first_of("/\n ") != std::string::npos))
      __builtin_trap();
  }
  std::vector<std::string> ids;
  if (cli::read_queue_ids(in, ids, error) == 0)
    for (auto& id : ids)
      if (!queue::Spool::valid_id(id)) __builtin_trap();
  return 0;
}
