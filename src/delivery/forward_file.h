// Reading a system user's ~/.forward with the checks Postfix's local(8)
// makes, and stricter ones: the file must be a regular file (never a
// symlink: O_NOFOLLOW), owned by the user or root, not writable by group
// or others, at most kMaxForwardFile bytes; and each directory from / down
// to it must be owned by root or the user and not writable by group or
// others (a root-owned sticky directory such as /tmp excepted), after the
// directory's symlinks are resolved. A file that fails a check is ignored
// (mail goes to the mailbox) and the reason, never the file's text, is
// logged (RELIABILITY.md #53).
//
// SECURITY: read_forward_as() reads the file as the user: in a child that
// switched to the user when tern is root, so root never opens a path a
// user controls; in-process when tern already runs as that user.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"

namespace tern::delivery {

struct ForwardFile {
  enum class State { absent, ignored, found };
  State state = State::absent;
  std::string path;    // the file found or ignored
  std::string reason;  // ignored: why
  std::string text;    // found: the contents
};

// Tries the candidates in order, in the calling process (already running
// as the user): the first that exists decides. uid: the user's.
Result<ForwardFile> read_forward_file(const std::vector<std::string>& candidates, uid_t uid);

// The same as the user `name` (uid/gid): in a child that switched to the
// user when this process is root and the user is not root; in-process when
// it already runs with that uid; a temporary error otherwise.
Result<ForwardFile> read_forward_as(const std::vector<std::string>& candidates, uid_t uid, gid_t gid,
                                    const std::string& name);

}  // namespace tern::delivery
