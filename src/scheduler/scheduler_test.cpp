// Tests for a message's delivery pass: which targets are delivered (once
// per final target, within duplicate_filter_limit), which are recorded, and
// when each recipient is crossed off.
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
  std::vector<uint64_t> owners;  // the recipient each target was recorded for
  int crossed = 0;
  void target_done(const queue::Recipient& r, const std::string& key) override {
    targets.push_back(key);
    owners.push_back(r.type_offset);
  }
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
    env.recipients.push_back({"list@x", false, 42, 0, {}});
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
  env.recipients.push_back({"x@y", false, 7, 0, {}});
  Recorder rec;
  auto temp = deliver_recipient(svc, env, "", env.recipients[0], Error::temp("table down"), rec);
  EXPECT_FALSE(temp.done);
  EXPECT_EQ(temp.reason, "table down");
  auto perm = deliver_recipient(svc, env, "", env.recipients[0], Error::perm("unknown"), rec);
  EXPECT_TRUE(perm.done);
  EXPECT_EQ(rec.crossed, 1);
}

// A message of several recipients, each expanding to the listed accounts.
struct Message {
  queue::Envelope env;
  std::vector<PassRecipient> pass;
  explicit Message(const std::vector<std::vector<std::string>>& expansions) {
    env.id = "0000000000000001";
    for (size_t i = 0; i < expansions.size(); ++i)
      env.recipients.push_back({"r" + std::to_string(i) + "@x", false, 100 + i, 0, {}});
    for (size_t i = 0; i < expansions.size(); ++i) {
      std::vector<rewrite::Target> ts;
      for (auto& a : expansions[i]) ts.push_back(target(a));
      pass.push_back({&env.recipients[i], ts, true, {}});
    }
  }
};

std::shared_ptr<const config::Config> config_with(const std::string& text) {
  auto r = config::load_string(text, "main.cf");
  EXPECT_TRUE(r.config) << "config";
  return r.config;
}

TEST(Scheduler, SharedTargetDeliveredOnce) {
  auto agent = std::make_shared<FakeAgent>();
  DeliveryServices svc{nullptr, nullptr, agent};
  // alice directly, and an alias to alice and bob.
  Message m({{"alice"}, {"alice", "bob"}});
  Recorder rec;
  deliver_recipients(svc, m.env, "x\n", m.pass, rec);
  EXPECT_EQ(agent->calls, (std::map<std::string, int>{{"alice", 1}, {"bob", 1}}));
  EXPECT_TRUE(m.pass[0].outcome.done);
  EXPECT_TRUE(m.pass[1].outcome.done);
  EXPECT_EQ(rec.crossed, 2);
  // The shared target is recorded (for the recipient it was delivered for)
  // before the first cross-off, so a crash before the second repeats nothing.
  EXPECT_EQ(rec.targets, std::vector<std::string>{delivery::target_key(target("alice"))});
  EXPECT_EQ(rec.owners, std::vector<uint64_t>{100});
}

TEST(Scheduler, SharedTargetDeferralDefersEveryRecipient) {
  auto agent = std::make_shared<FakeAgent>();
  agent->outcome = {{"bob", 't'}};
  DeliveryServices svc{nullptr, nullptr, agent};
  Message m({{"bob"}, {"alice", "bob"}, {"carol"}});
  Recorder rec;
  deliver_recipients(svc, m.env, "x\n", m.pass, rec);
  EXPECT_EQ(agent->calls, (std::map<std::string, int>{{"alice", 1}, {"bob", 1}, {"carol", 1}}));
  EXPECT_FALSE(m.pass[0].outcome.done);
  EXPECT_EQ(m.pass[0].outcome.reason, "try later");
  EXPECT_FALSE(m.pass[1].outcome.done);
  EXPECT_EQ(m.pass[1].outcome.reason, "try later");
  EXPECT_TRUE(m.pass[2].outcome.done);
  EXPECT_EQ(rec.crossed, 1);
  EXPECT_EQ(rec.targets, std::vector<std::string>{delivery::target_key(target("alice"))});
}

TEST(Scheduler, RecordForOneRecipientCountsForTheOthers) {
  auto agent = std::make_shared<FakeAgent>();
  DeliveryServices svc{nullptr, nullptr, agent};
  // The retry: bob was delivered for r0 (now crossed off), r1 still pending.
  Message m({{"bob"}, {"alice", "bob"}});
  m.env.recipients[0].done = true;
  m.env.done_targets.emplace_back(100, delivery::target_key(target("bob")));
  m.pass.erase(m.pass.begin());
  Recorder rec;
  deliver_recipients(svc, m.env, "x\n", m.pass, rec);
  EXPECT_EQ(agent->calls, (std::map<std::string, int>{{"alice", 1}}));
  EXPECT_TRUE(m.pass[0].outcome.done);
}

TEST(Scheduler, RecipientLeftToTheQueueStillSharesItsTargets) {
  // At acceptance: r1 (alice and a command) is left to the queue, so the
  // target it shares with r0 is recorded though r0 is crossed off.
  auto agent = std::make_shared<FakeAgent>();
  DeliveryServices svc{nullptr, nullptr, agent};
  Message m({{"alice"}, {"alice", "cmd"}});
  m.pass[1].deliver = false;
  Recorder rec;
  deliver_recipients(svc, m.env, "x\n", m.pass, rec);
  EXPECT_EQ(agent->calls, (std::map<std::string, int>{{"alice", 1}}));
  EXPECT_TRUE(m.pass[0].outcome.done);
  EXPECT_FALSE(m.env.recipients[1].done);
  EXPECT_EQ(rec.crossed, 1);
  EXPECT_EQ(rec.targets, std::vector<std::string>{delivery::target_key(target("alice"))});
}

TEST(Scheduler, DuplicateFilterLimit) {
  auto run = [](const std::string& cf) {
    auto agent = std::make_shared<FakeAgent>();
    DeliveryServices svc{config_with(cf), nullptr, agent};
    Message m({{"a", "b", "c"}, {"a", "b", "c"}});
    Recorder rec;
    deliver_recipients(svc, m.env, "x\n", m.pass, rec);
    EXPECT_EQ(rec.crossed, 2) << cf;
    return agent->calls;
  };
  using Calls = std::map<std::string, int>;
  EXPECT_EQ(run(""), (Calls{{"a", 1}, {"b", 1}, {"c", 1}}));  // default 1000
  // Two targets remembered: the third is delivered for each recipient.
  EXPECT_EQ(run("duplicate_filter_limit = 2\n"), (Calls{{"a", 1}, {"b", 1}, {"c", 2}}));
  EXPECT_EQ(run("duplicate_filter_limit = 0\n"), (Calls{{"a", 1}, {"b", 1}, {"c", 1}}));  // no limit
}

// Remote targets: batched by the domain after '@', outcome per address.
class FakeBatch : public delivery::BatchAgent {
 public:
  std::map<std::string, char> outcome;
  size_t limit = 50;
  mutable std::vector<std::vector<std::string>> batches;
  std::string batch_key(const rewrite::Target& t) const override { return t.address.substr(t.address.find('@')); }
  size_t batch_limit() const override { return limit; }
  void start_batch(const queue::Envelope&, std::string_view, std::vector<delivery::BatchItem> items,
                   Done done) const override {
    batches.emplace_back();
    std::vector<delivery::BatchOutcome> out;
    for (auto& item : items) {
      const auto* t = item.target;
      batches.back().push_back(t->address);
      char o = outcome.count(t->address) ? outcome.at(t->address) : 'o';
      delivery::BatchOutcome b;
      b.relay = "mx" + batch_key(*t) + "[192.0.2.1]:25";
      if (o == 't') b.result = Error::temp("host said: 451 try later");
      else if (o == 'p') b.result = Error::perm("host said: 550 no such user");
      else b.result = delivery::Delivered{"250 ok"};
      out.push_back(std::move(b));
    }
    done(std::move(out));
  }
};

rewrite::Target remote(const std::string& address) {
  rewrite::Target t;
  t.kind = rewrite::Target::Kind::remote;
  t.address = address;
  return t;
}

struct RemoteMessage {
  queue::Envelope env;
  std::vector<PassRecipient> pass;
  // Each recipient expands to the listed addresses: "x@y" remote, a bare name local.
  explicit RemoteMessage(const std::vector<std::vector<std::string>>& expansions) {
    env.id = "0000000000000002";
    for (size_t i = 0; i < expansions.size(); ++i)
      env.recipients.push_back({"r" + std::to_string(i) + "@x", false, 200 + i, 0, {}});
    for (size_t i = 0; i < expansions.size(); ++i) {
      std::vector<rewrite::Target> ts;
      for (auto& a : expansions[i]) ts.push_back(a.find('@') == std::string::npos ? target(a) : remote(a));
      pass.push_back({&env.recipients[i], ts, true, {}});
    }
  }
};

TEST(Scheduler, RemoteTargetsTravelInOneBatchPerNextHop) {
  auto agent = std::make_shared<FakeAgent>();
  auto batch = std::make_shared<FakeBatch>();
  DeliveryServices svc{nullptr, nullptr, agent, batch};
  RemoteMessage m({{"a@one"}, {"b@two"}, {"c@one", "local"}, {"d@one"}});
  Recorder rec;
  deliver_recipients(svc, m.env, "x\n", m.pass, rec);
  EXPECT_EQ(batch->batches, (std::vector<std::vector<std::string>>{{"a@one", "c@one", "d@one"}, {"b@two"}}));
  EXPECT_EQ(agent->calls, (std::map<std::string, int>{{"local", 1}}));
  EXPECT_EQ(rec.crossed, 4);
  // c@one was done while r2's local target was still open: recorded, so a
  // crash before r2's cross-off does not send it again.
  EXPECT_EQ(rec.targets, std::vector<std::string>{delivery::final_target_key(remote("c@one"), false)});
}

TEST(Scheduler, RemoteBatchOutcomesPerRecipient) {
  auto agent = std::make_shared<FakeAgent>();
  auto batch = std::make_shared<FakeBatch>();
  batch->outcome = {{"b@one", 't'}, {"c@one", 'p'}};
  batch->limit = 2;
  DeliveryServices svc{nullptr, nullptr, agent, batch};
  // r3 shares b@one with r1 and also has a local target; r4 is an alias to
  // a@one (delivered) and b@one (deferred).
  RemoteMessage m({{"a@one"}, {"b@one"}, {"c@one"}, {"b@one", "local"}, {"a@one", "e@one"}});
  Recorder rec;
  deliver_recipients(svc, m.env, "x\n", m.pass, rec);
  // At most two per call, each target once.
  EXPECT_EQ(batch->batches, (std::vector<std::vector<std::string>>{{"a@one", "b@one"}, {"c@one", "e@one"}}));
  EXPECT_TRUE(m.pass[0].outcome.done);
  EXPECT_FALSE(m.pass[1].outcome.done);
  EXPECT_EQ(m.pass[1].outcome.reason, "host said: 451 try later");
  EXPECT_TRUE(m.pass[2].outcome.done);  // bounced is done
  EXPECT_FALSE(m.pass[3].outcome.done);
  EXPECT_EQ(m.pass[3].outcome.reason, "host said: 451 try later");
  EXPECT_TRUE(m.pass[4].outcome.done);
  EXPECT_EQ(agent->calls, (std::map<std::string, int>{{"local", 1}}));
  // r3's local target is recorded (r3 stays), and so is the shared a@one,
  // so that a retry of r3 repeats only b@one.
  EXPECT_EQ(rec.targets, (std::vector<std::string>{delivery::final_target_key(remote("a@one"), false),
                                                    delivery::final_target_key(target("local"), false)}));
  EXPECT_EQ(rec.crossed, 3);
}

TEST(Scheduler, PassRunTakesBatchAnswersInAnyOrder) {
  // The scheduler's way: batches handed out, answered later in any order,
  // then finish(); the same result as the waiting deliver_recipients().
  auto agent = std::make_shared<FakeAgent>();
  auto batch = std::make_shared<FakeBatch>();
  batch->outcome = {{"b@two", 'p'}};
  DeliveryServices svc{nullptr, nullptr, agent, batch};
  RemoteMessage m({{"a@one"}, {"b@two"}, {"c@one", "local"}});
  PassRun run(svc, m.env, "x\n", m.pass);
  ASSERT_EQ(run.batches().size(), 2u);
  std::vector<std::vector<delivery::BatchOutcome>> answers(2);
  for (size_t i = 0; i < 2; ++i)
    batch->start_batch(m.env, "x\n", run.batches()[i], [&answers, i](auto o) { answers[i] = std::move(o); });
  EXPECT_TRUE(agent->calls.empty());  // nothing local before the batches are answered
  run.batch_done(1, std::move(answers[1]));
  run.batch_done(0, std::move(answers[0]));
  Recorder rec;
  run.finish(rec);
  EXPECT_TRUE(m.pass[0].outcome.done);
  EXPECT_TRUE(m.pass[1].outcome.failed());
  EXPECT_TRUE(m.pass[2].outcome.done);
  EXPECT_EQ(agent->calls, (std::map<std::string, int>{{"local", 1}}));
  EXPECT_EQ(rec.crossed, 3);
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
