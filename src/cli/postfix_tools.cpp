// postqueue(1) and postsuper(1): the binary answers to these names like it
// does to mailq, so that what Postfix users type works (the seed documents
// show `postqueue -p`, `postqueue -f`, `postqueue -s site`, `postsuper -d
// ID` and `postsuper -d ALL deferred`). This file only maps their argv
// (queue_args_parse.h) onto the queue tools (cmd_queue.cpp).
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/queue_args_parse.h"

namespace tern::cli {

namespace {

std::vector<std::string> args_of(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return args;
}

}  // namespace

int postqueue_main(int argc, char** argv) {
  QueueRequest r;
  std::string error;
  if (int rc = parse_postqueue_args(args_of(argc, argv), r, error); rc != 0) {
    std::fprintf(stderr, "postqueue: %s\n", error.c_str());
    return rc;
  }
  if (r.list) return cmd_queue_list(r.config, r.json, "postqueue");
  if (r.flush || !r.site.empty()) return cmd_queue_flush(r.config, r.site, false, "postqueue");
  return cmd_queue_act(r.config, r.ops, {}, false, "postqueue");  // -i ID
}

int postsuper_main(int argc, char** argv) {
  QueueRequest r;
  std::string error;
  if (int rc = parse_postsuper_args(args_of(argc, argv), r, error); rc != 0) {
    std::fprintf(stderr, "postsuper: %s\n", error.c_str());
    return rc;
  }
  return cmd_queue_act(r.config, r.ops, r.queues, false, "postsuper");
}

}  // namespace tern::cli
