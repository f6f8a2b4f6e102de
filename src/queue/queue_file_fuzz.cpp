// libFuzzer target: the queue-file parser, the envelope-only reader of
// listings (read_envelope_head, checked against the whole-file parser) and
// the submission decoder, all of which read files or sockets that another
// party could have written.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "queue/reader.h"
#include "queue/submission.h"

namespace {

// The input as queue file 0000000000000000 in a private directory.
int dir_with(std::string_view in) {
  static int dirfd = -1;
  if (dirfd < 0) {
    char t[] = "/tmp/tern-fuzz-queue-XXXXXX";
    if (!::mkdtemp(t)) __builtin_trap();
    dirfd = ::open(t, O_RDONLY | O_DIRECTORY);
  }
  int fd = ::openat(dirfd, "0000000000000000", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ::write(fd, in.data(), in.size()) != static_cast<ssize_t>(in.size())) __builtin_trap();
  ::close(fd);
  return dirfd;
}

// What a listing reads must agree with the full parse of a valid file, and
// stay inside the file for any input.
void check_head(std::string_view in, const tern::Result<tern::queue::Envelope>& whole) {
  auto head = tern::queue::read_envelope_head(dir_with(in), "0000000000000000");
  if (whole && !head) __builtin_trap();
  if (!head) return;
  if (head->content_offset + head->content_size > in.size()) __builtin_trap();
  for (auto& r : head->recipients)
    if (r.type_offset >= in.size()) __builtin_trap();
  if (!whole) return;
  if (head->sender != whole->sender || head->content_offset != whole->content_offset ||
      head->content_size != whole->content_size || head->recipients.size() != whole->recipients.size())
    __builtin_trap();
  for (size_t i = 0; i < head->recipients.size(); ++i)
    if (head->recipients[i].address != whole->recipients[i].address ||
        head->recipients[i].done != whole->recipients[i].done ||
        head->recipients[i].type_offset != whole->recipients[i].type_offset)
      __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto env = tern::queue::parse_queue_file(in, "0000000000000000");
  if (env) {
    for (auto& r : env->recipients) {
      if (r.type_offset >= size) __builtin_trap();
      // The cross-off flips this byte: it must be the recipient's type,
      // whatever DSN records follow it.
      if (in[r.type_offset] != 'R' && in[r.type_offset] != 'D') __builtin_trap();
      if (r.notify > 15) __builtin_trap();
    }
    if (env->content_offset + env->content_size > size) __builtin_trap();
    // Every 'X' record names a recipient of this file.
    for (auto& [off, key] : env->done_targets) {
      bool owner = false;
      for (auto& r : env->recipients) owner |= r.type_offset == off;
      if (!owner || key.empty()) __builtin_trap();
    }
  }
  check_head(in, env);
  (void)tern::queue::decode_submit_request(in, 1 << 20, 1000);
  return 0;
}
