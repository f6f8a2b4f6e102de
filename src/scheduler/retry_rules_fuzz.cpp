// libFuzzer target: retry_rules values (retry::parse), then the arithmetic
// on every rule parsed and the reading of the input as a deferral reason
// (retry::classify). Checks the invariants the scheduler relies on: a
// parsed rule's cutoffs increase and its intervals are positive, and
// next_retry either gives up or waits 1s..final cutoff.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scheduler/retry_failure.h"
#include "scheduler/retry_rules.h"

using namespace tern::scheduler::retry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto f = classify(in, in.substr(0, 5));
  if (f.kind == Failure::Kind::reply_4xx && (f.code < 400 || f.code > 499)) __builtin_trap();
  auto rules = parse(in);
  if (!rules) return 0;
  auto draw = [size](long long bound) { return static_cast<long long>(size) % bound; };
  for (auto& r : *rules) {
    (void)r.matches("example.com", f);
    for (size_t i = 0; i < r.sets.size(); ++i) {
      if (r.sets[i].interval_s < 1 || (i > 0 && r.sets[i].cutoff_s <= r.sets[i - 1].cutoff_s)) __builtin_trap();
    }
    for (long long age : {0LL, 1LL, 3600LL, r.final_cutoff_s() - 1, r.final_cutoff_s()}) {
      for (long long previous : {0LL, 1LL, 7200LL, max_time_s}) {
        auto s = next_retry(r, age, previous, draw);
        if (s.give_up != (std::max(age, 0LL) >= r.final_cutoff_s())) __builtin_trap();  // a negative age counts as 0
        if (!s.give_up && (s.delay_s < 1 || s.delay_s > r.final_cutoff_s())) __builtin_trap();
      }
    }
  }
  return 0;
}
