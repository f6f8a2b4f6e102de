// Child processes for local delivery: running a command (mailbox_command,
// "|command" aliases) and running a function under another user's identity.
//
// SECURITY: the child drops to the target uid/gid (setgid, initgroups,
// setuid, in that order) before it opens or executes anything; the
// environment is built from scratch (no inherited variables); a command runs
// without a shell unless its text contains shell syntax; a time limit kills
// the whole process group.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace tern::child {

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;  // whose supplementary groups (getgrouplist); empty: none
};

struct CommandSpec {
  std::string command;               // command line as configured
  std::vector<std::string> env;      // "NAME=value" entries, the whole environment
  std::optional<Identity> identity;  // switch to this user first (needs root)
  std::string cwd = "/";
  std::string input;                 // written to the command's stdin
  int timeout_s = 1000;
};

struct CommandResult {
  int exit_code = -1;     // valid when !signaled && !timed_out
  bool signaled = false;
  bool timed_out = false;
  std::string output;     // first 1 KiB of stdout+stderr, for the log
};

// True if the text needs /bin/sh (quotes, redirections, pipes, $, ...).
bool needs_shell(const std::string& command);
// Splits a shell-free command line on white space.
std::vector<std::string> split_words(const std::string& command);

Result<CommandResult> run_command(const CommandSpec& spec);

// Shutdown: every command running now or started later is killed (its
// whole process group) within a fraction of a second and reported as timed
// out, so its delivery is deferred and redone after the restart.
void cancel_all();

// Runs fn in a forked child that first switches to `who`; the child's Status
// (temporary/permanent + detail) comes back through a pipe.
Status run_as(const Identity& who, const std::function<Status()>& fn, int timeout_s = 600);
// The same, for a function that answers with bytes (at most max_bytes; a
// larger answer is a temporary error): e.g. reading a file as its owner.
Result<std::string> run_as_output(const Identity& who, const std::function<Result<std::string>()>& fn,
                                  size_t max_bytes, int timeout_s = 600);

}  // namespace tern::child
