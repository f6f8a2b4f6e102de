// Tests for one recipient's delivery pass: which targets are delivered,
// which are recorded, and when the recipient is crossed off.
#include <gtest/gtest.h>

#include <map>

#include "delivery/request.h"
#include "scheduler/recipient.h"
#include "scheduler/slots.h"

using namespace tern;
using namespace tern::scheduler;

namespace {

// Delivers by the target's address: outcome per address, calls counted.
class FakeAgent : public delivery::Agent {
 public:
  std::map<std::string, char> outcome;  // 'o' ok, 't' temporary, 'p' permanent
  mutable std::map<std::string, int> calls;
  Result<delivery::Delivered> deliver(const queue::Envelope&, std::string_view, const rewrite::Target& t,
                                      const std::string&) const override {
    ++calls[t.address];
    char o = outcome.count(t.address) ? outcome.at(t.address) : 'o';
    if (o == 't') return Error::temp("try later");
    if (o == 'p') return Error::perm("no such user");
    return delivery::Delivered{"ok"};
  }
};

struct Recorder : ProgressLog {
  std::vector<std::string> targets;
  int crossed = 0;
  void target_done(const queue::Recipient&, const std::string& key) override { targets.push_back(key); }
  void recipient_done(const queue::Recipient&) override { ++crossed; }
};

rewrite::Target target(const std::string& address) {
  rewrite::Target t;
  t.kind = rewrite::Target::Kind::virtual_mailbox;
  t.address = address;
  return t;
}

struct Case {
  const char* name;
  std::vector<std::string> targets;
  std::map<std::string, char> outcome;
  std::vector<std::string> already;   // targets recorded by an earlier pass
  std::vector<std::string> recorded;  // expected 'X' records of this pass
  bool done;
  std::vector<std::string> delivered;  // expected agent calls
};

TEST(Scheduler, RecipientPassRecordsTargets) {
  const Case cases[] = {
      {"one target", {"a"}, {}, {}, {}, true, {"a"}},
      {"all ok: only the cross-off", {"a", "b"}, {}, {}, {"a"}, true, {"a", "b"}},
      {"second defers", {"a", "b"}, {{"b", 't'}}, {}, {"a"}, false, {"a", "b"}},
      {"first defers", {"a", "b"}, {{"a", 't'}}, {}, {"b"}, false, {"a", "b"}},
      {"retry skips the done one", {"a", "b"}, {{"b", 't'}}, {"a"}, {}, false, {"b"}},
      {"retry finishes", {"a", "b"}, {}, {"a"}, {}, true, {"b"}},
      {"permanent counts as done", {"a", "b", "c"}, {{"a", 'p'}, {"c", 't'}}, {}, {"a", "b"}, false, {"a", "b", "c"}},
      {"all recorded already", {"a", "b"}, {}, {"a", "b"}, {}, true, {}},
  };
  for (auto& c : cases) {
    auto agent = std::make_shared<FakeAgent>();
    agent->outcome = c.outcome;
    DeliveryServices svc{nullptr, nullptr, agent};
    queue::Envelope env;
    env.id = "0000000000000000";
    env.recipients.push_back({"list@x", false, 42});
    std::vector<rewrite::Target> ts;
    for (auto& a : c.targets) ts.push_back(target(a));
    for (auto& a : c.already) env.done_targets.emplace_back(42, delivery::target_key(target(a)));
    Recorder rec;
    auto out = deliver_recipient(svc, env, "x\n", env.recipients[0], ts, rec);
    EXPECT_EQ(out.done, c.done) << c.name;
    EXPECT_EQ(env.recipients[0].done, c.done) << c.name;
    EXPECT_EQ(rec.crossed, c.done ? 1 : 0) << c.name;
    std::vector<std::string> want;
    for (auto& a : c.recorded) want.push_back(delivery::target_key(target(a)));
    EXPECT_EQ(rec.targets, want) << c.name;
    std::vector<std::string> called;
    for (auto& [a, n] : agent->calls) {
      EXPECT_EQ(n, 1) << c.name << " " << a;
      called.push_back(a);
    }
    EXPECT_EQ(called, c.delivered) << c.name;
  }
}

TEST(Scheduler, ExpansionFailures) {
  auto agent = std::make_shared<FakeAgent>();
  DeliveryServices svc{nullptr, nullptr, agent};
  queue::Envelope env;
  env.recipients.push_back({"x@y", false, 7});
  Recorder rec;
  auto temp = deliver_recipient(svc, env, "", env.recipients[0], Error::temp("table down"), rec);
  EXPECT_FALSE(temp.done);
  EXPECT_EQ(temp.reason, "table down");
  auto perm = deliver_recipient(svc, env, "", env.recipients[0], Error::perm("unknown"), rec);
  EXPECT_TRUE(perm.done);
  EXPECT_EQ(rec.crossed, 1);
}

TEST(Scheduler, SlotsCapAndCancel) {
  DeliverySlots slots(2);
  EXPECT_TRUE(slots.try_acquire());
  EXPECT_TRUE(slots.acquire());
  EXPECT_FALSE(slots.try_acquire());
  slots.release();
  EXPECT_TRUE(slots.try_acquire());
  slots.cancel();
  EXPECT_FALSE(slots.acquire());  // does not wait once cancelled
  EXPECT_FALSE(slots.try_acquire());
}

}  // namespace
