// postqueue/postsuper argument reading (see queue_args_parse.h).
#include "cli/queue_args_parse.h"

#include <cctype>

#include <fmt/format.h>

#include "base/strings.h"
#include "queue/listing.h"
#include "queue/spool.h"

namespace tern::cli {

namespace {

// Reads "-X value" or "-Xvalue" for the option at args[i]; false if the
// value is missing.
bool option_value(const std::vector<std::string>& args, size_t& i, std::string& value) {
  if (args[i].size() > 2) {
    value = args[i].substr(2);
    return true;
  }
  if (i + 1 >= args.size()) return false;
  value = args[++i];
  return true;
}

std::string shown(std::string_view s) { return str::printable(s, 80); }

}  // namespace

bool valid_op_id(std::string_view id) { return id == "ALL" || id == "-" || queue::Spool::valid_id(id); }

int parse_postqueue_args(const std::vector<std::string>& args, QueueRequest& r, std::string& error) {
  int modes = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 2 || a[0] != '-') {
      error = fmt::format("unexpected argument: {}", shown(a));
      return 64;
    }
    char f = a[1];
    std::string v;
    switch (f) {
      case 'v':
        if (a.find_first_not_of('v', 1) != std::string::npos) break;
        continue;
      case 'p':
      case 'j':
      case 'f':
        if (a.size() != 2) break;
        (f == 'p' ? r.list : f == 'j' ? r.json : r.flush) = true;
        if (f == 'j') r.list = true;
        ++modes;
        continue;
      case 'c':
      case 's':
      case 'i':
        if (!option_value(args, i, v)) {
          error = fmt::format("option -{} requires a value", f);
          return 64;
        }
        if (f == 'c') {
          r.config = v;
        } else if (f == 's') {
          if (!queue::valid_site(v)) {
            error = fmt::format("not a domain name: {}", shown(v));
            return 64;
          }
          r.site = str::lower(v);
          ++modes;
        } else {
          if (!queue::Spool::valid_id(v)) {
            error = fmt::format("not a queue ID: {}", shown(v));
            return 64;
          }
          r.ops.push_back({QueueOp::requeue, v});
          ++modes;
        }
        continue;
      default:
        break;
    }
    error = fmt::format("unknown option: {}", shown(a));
    return 64;
  }
  if (modes != 1) {
    error = "usage: postqueue [-c config] -f | -i queue_id | -j | -p | -s site";
    return 64;
  }
  return 0;
}

int parse_postsuper_args(const std::vector<std::string>& args, QueueRequest& r, std::string& error) {
  auto is_option = [&](size_t k) { return k < args.size() && args[k].size() >= 2 && args[k][0] == '-' && args[k] != "--"; };
  size_t i = 0;
  for (; is_option(i); ++i) {
    const std::string& a = args[i];
    char f = a[1];
    if ((f == 'v' || f == 's') && a.size() == 2) continue;  // verbose; structure check (tern checks at start-up)
    std::string v;
    if (f == 'c' || f == 'd' || f == 'h' || f == 'H' || f == 'r') {
      if (!option_value(args, i, v)) {
        error = fmt::format("option -{} requires a value", f);
        return 64;
      }
      if (f == 'c') {
        r.config = v;
        continue;
      }
      if (!valid_op_id(v)) {
        error = fmt::format("not a queue ID: {}", shown(v));
        return 64;
      }
      QueueOp::Verb verb = f == 'd' ? QueueOp::remove : f == 'h' ? QueueOp::hold : f == 'H' ? QueueOp::release
                                                                                           : QueueOp::requeue;
      r.ops.push_back({verb, v});
      continue;
    }
    error = fmt::format("unknown option: {}", shown(a));
    return 64;
  }
  if (i < args.size() && args[i] == "--") ++i;
  for (; i < args.size(); ++i) {
    if (!queue::is_queue_name(args[i])) {
      error = fmt::format("not a queue name: {} (hold, incoming, active, deferred or corrupt)", shown(args[i]));
      return 64;
    }
    r.queues.push_back(args[i]);
  }
  if (r.ops.empty()) {
    error = "usage: postsuper [-c config] [-d ID] [-h ID] [-H ID] [-r ID] [queue...] (ID: a queue ID, ALL or -)";
    return 64;
  }
  return 0;
}

int read_queue_ids(std::string_view text, std::vector<std::string>& ids, std::string& error) {
  for (auto& line : str::split(text, '\n')) {
    std::string_view id = str::trim(line);
    if (id.empty()) continue;
    if (!queue::Spool::valid_id(id)) {
      error = fmt::format("not a queue ID: {}", shown(id));
      return 64;
    }
    ids.emplace_back(id);
  }
  return 0;
}

}  // namespace tern::cli
