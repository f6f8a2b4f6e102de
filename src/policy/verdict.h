// Verdict: the answer of a policy check at one SMTP stage.
#pragma once

#include <string>

namespace tern::policy {

struct Verdict {
  enum class Action { dunno, ok, relay, reject, discard };
  Action action = Action::dunno;
  int code = 0;          // for reject: 4xx or 5xx
  std::string enhanced;  // for reject
  std::string text;      // for reject: the words after the address
  bool rejects() const { return action == Action::reject; }

  static Verdict reject(int code, std::string enhanced, std::string text) {
    return {Action::reject, code, std::move(enhanced), std::move(text)};
  }
};

}  // namespace tern::policy
