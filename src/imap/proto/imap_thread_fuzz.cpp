// libFuzzer target: THREAD=REFERENCES and ORDEREDSUBJECT over messages
// whose Message-IDs, references and subjects come from the input (few
// distinct ids, so duplicates, loops and self-references are common).
// Properties: every message appears exactly once in the thread list, the
// parentheses balance, and nothing runs away.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "imap/proto/sort.h"
#include "imap/proto/thread.h"

using namespace tern::imap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One message per line: "<id> <ref> <ref>... | subject".
  std::vector<ThreadMessage> msgs;
  std::string in(reinterpret_cast<const char*>(data), size);
  size_t pos = 0;
  while (pos < in.size() && msgs.size() < 200) {
    size_t end = in.find('\n', pos);
    if (end == std::string::npos) end = in.size();
    std::string line = in.substr(pos, end - pos);
    pos = end + 1;
    ThreadMessage m;
    m.number = static_cast<uint32_t>(msgs.size() + 1);
    size_t bar = line.find('|');
    std::string ids = line.substr(0, bar);
    std::vector<std::string> all = message_ids(ids);
    if (!all.empty()) {
      m.message_id = all.front();
      m.references.assign(all.begin() + 1, all.end());
    }
    if (bar != std::string::npos) m.base_subject = base_subject(line.substr(bar + 1), &m.reply);
    m.date = static_cast<int64_t>(line.size() % 7);
    msgs.push_back(std::move(m));
  }
  for (auto algorithm : {ThreadAlgorithm::references, ThreadAlgorithm::ordered_subject}) {
    std::string out = thread_list(msgs, algorithm);
    std::vector<int> seen(msgs.size() + 1, 0);
    int depth = 0;
    for (size_t i = 0; i < out.size(); ++i) {
      char c = out[i];
      if (c == '(') ++depth;
      else if (c == ')' && --depth < 0) __builtin_trap();
      else if (c >= '0' && c <= '9') {
        size_t n = 0;
        while (i < out.size() && out[i] >= '0' && out[i] <= '9') n = n * 10 + static_cast<size_t>(out[i++] - '0');
        --i;
        if (n == 0 || n > msgs.size() || seen[n]++) __builtin_trap();
      }
    }
    if (depth != 0) __builtin_trap();
    for (size_t n = 1; n <= msgs.size(); ++n)
      if (!seen[n]) __builtin_trap();
  }
  return 0;
}
