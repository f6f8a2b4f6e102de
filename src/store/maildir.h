// Maildir delivery (the format Dovecot, mutt and Python's mailbox read):
// write the message into an unnamed file in new/ (or tmp/ where O_TMPFILE
// is missing), fsync it, give it its unique name in new/, and fsync new/ so
// the name survives a crash. Nothing is ever visible in new/ half-written.
//
// SECURITY: refuses a Maildir whose tmp/ or new/ is a symlink; never follows
// symlinks when creating files.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tern::store {

// Creates dir/{cur,new,tmp} (mode 0700) if they are missing.
Status maildir_create(const std::string& dir);

struct MaildirOptions {
  // Create dir/{cur,new,tmp} when dir, new/ or tmp/ is missing (checked
  // by opening, so an existing Maildir costs nothing extra).
  bool create = false;
  // false lets a caller batch the fsync of new/ (group commit); it must
  // then fsync dir + "/new" before treating the delivery as done.
  bool sync_dir = true;
  // false forces the tmp/ + rename way (tests).
  bool prefer_tmpfile = true;
  // mailbox_size_limit: a larger message fails permanently with 5.2.2
  // before anything is written (0: no limit).
  uint64_t size_limit = 0;
};

// Delivers prefix + message (LF line endings) into dir. Returns the file
// name in new/.
Result<std::string> maildir_deliver(const std::string& dir, std::string_view prefix, std::string_view message,
                                    const MaildirOptions& opt = {});

}  // namespace tern::store
