// Closing a descriptor on a background thread, for a file whose last close
// is slow: an unlinked file's blocks are freed when its last descriptor
// goes, and on a file system that discards freed blocks at once (ext4
// mounted with -o discard and no journal) that is a synchronous device
// command, 0.1 ms unloaded and some milliseconds behind other sessions'
// fsyncs. A mail store that holds the file open across its unlink (an
// EXPUNGE: the name is gone at once) hands the descriptor here, so the
// freeing happens off the thread that answers the client.
//
// One thread per process, started by the first call (and again in a forked
// child, which does not inherit it). When the thread cannot be started, or
// kMaxPending descriptors already wait, the caller closes its own: never
// more than that many descriptors are held for this.
#pragma once

#include "base/fd.h"

namespace tern::fs {

inline constexpr size_t kMaxPendingCloses = 256;

void close_later(UniqueFd fd);

// Waits until every descriptor handed over so far is closed (for tests).
void drain_closes();

}  // namespace tern::fs
