// How the daemon's heap gives memory back to the kernel. glibc's default
// returns the free memory at the top of a heap once it passes 128 KiB, and
// a server that allocates and frees a buffer of about a message's size for
// every message (the SMTP client's wire form, FileBytes' copies, the
// receiving draft) then has the kernel fault the same pages in again, zeroed,
// for the next message: relaying 100 KiB messages at 50 sessions, page
// faults were 8% of tern's CPU and the rate rose by a quarter to a third
// without them (bench/README.md, "relay.sh"). The daemon therefore keeps up
// to 2 MiB free at the top of each heap. Setting that turns off glibc's
// adaptive mmap threshold, so the threshold is set as well, to 1 MiB:
// the values glibc's own adaptation arrives at once it has freed a 1 MiB
// mapping, and the size up to which FileBytes copies a file instead of
// mapping it. Blocks above 1 MiB are mapped and unmapped as before.
#pragma once

namespace tern::base {

// Call once at daemon start, before any thread starts; forked workers
// inherit it. Command-line tools keep glibc's default.
void apply_server_heap_policy();

}  // namespace tern::base
