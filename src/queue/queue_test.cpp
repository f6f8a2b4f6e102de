// Tests for the queue: Draft + Committer round trip through the reader,
// cross-off, corrupt-file detection, and the submission codec.
#include <gtest/gtest.h>
#include <set>
#include <stdlib.h>
#include <unistd.h>

#include "base/fs.h"
#include "queue/reader.h"
#include "queue/record.h"
#include "queue/submission.h"
#include "queue/writer.h"

using namespace tern;
using namespace tern::queue;

namespace {

std::string temp_dir() {
  char t[] = "/tmp/tern-queue-test-XXXXXX";
  return ::mkdtemp(t);
}

Envelope sample() {
  Envelope e;
  e.arrival = 1700000000;
  e.client = "unknown[127.0.0.1]";
  e.helo = "client.example";
  e.protocol = "ESMTP";
  e.smtputf8 = true;
  e.sender = "a\nb@example.org";  // newlines cannot break the format
  e.recipients = {{"x@example.com", false, 0, 0, {}}, {"y@example.com", false, 0, 0, {}}};
  return e;
}

// A finished draft of sample() with content "x\n" (in memory up to limit bytes).
std::unique_ptr<Draft> finished_draft(const Spool& spool, size_t limit = 0) {
  auto d = Draft::create(spool, sample(), limit);
  EXPECT_TRUE(d && (*d)->append("x\n") && (*d)->finish());
  return std::move(*d);
}

// Commits a finished_draft() into spool; returns its ID.
std::string commit_one(const Spool& spool) {
  Committer c(spool, 1);
  auto d = finished_draft(spool);
  std::string id = d->id();
  EXPECT_TRUE(c.commit_sync(std::move(d)));
  return id;
}

TEST(Queue, CommitReadCrossOff) {
  Spool spool(temp_dir());
  ASSERT_TRUE(spool.init());
  Committer c(spool, 2);
  auto d = Draft::create(spool, sample(), /*memory_limit=*/0);
  ASSERT_TRUE(d);
  std::string id = (*d)->id();
  ASSERT_TRUE((*d)->append("Subject: hi\n\nbody\n"));
  ASSERT_TRUE((*d)->finish());
  EXPECT_TRUE(fs::exists(spool.path(Area::tmp, id)));
  ASSERT_TRUE(c.commit_sync(std::move(*d)));
  EXPECT_FALSE(fs::exists(spool.path(Area::tmp, id)));
  auto path = spool.path(Area::active, id);
  auto env = read_envelope(path, id);
  ASSERT_TRUE(env) << env.error().detail;
  EXPECT_EQ(env->sender, "a\nb@example.org");
  EXPECT_EQ(env->recipients.size(), 2u);
  EXPECT_TRUE(env->smtputf8);
  EXPECT_EQ(*read_content(path, *env), "Subject: hi\n\nbody\n");
  ASSERT_TRUE(mark_done(path, env->recipients[0], true));
  auto again = read_envelope(path, id);
  EXPECT_TRUE(again->recipients[0].done);
  EXPECT_FALSE(again->recipients[1].done);
  EXPECT_EQ(again->pending(), 1u);
}

TEST(Queue, AbortedDraftLeavesNothing) {
  Spool spool(temp_dir());
  ASSERT_TRUE(spool.init());
  std::string id;
  {
    auto d = Draft::create(spool, sample(), 0);
    ASSERT_TRUE(d);
    id = (*d)->id();
  }
  EXPECT_FALSE(fs::exists(spool.path(Area::tmp, id)));
}

TEST(Queue, CorruptFilesAreRejected) {
  Spool spool(temp_dir());
  ASSERT_TRUE(spool.init());
  std::string id = commit_one(spool);
  auto bytes = *fs::read_file(spool.path(Area::active, id));
  EXPECT_TRUE(parse_queue_file(bytes, id));
  EXPECT_FALSE(parse_queue_file(bytes.substr(0, bytes.size() - 1), id));                   // no end marker
  EXPECT_FALSE(parse_queue_file(bytes + "X", id));                                         // trailing data
  std::string unknown = bytes.substr(0, bytes.size() - kRecordHeader);
  append_record(unknown, 'Z', "?");
  append_record(unknown, kEnd, "");
  EXPECT_FALSE(parse_queue_file(unknown, id));                                             // unknown record
  std::string flipped = bytes;
  flipped[kMagic.size() + 1] = '\xff';                                                     // huge length
  EXPECT_FALSE(parse_queue_file(flipped, id));
}

TEST(Queue, TargetRecordsAreAppendedAfterTheEndMarker) {
  Spool spool(temp_dir());
  ASSERT_TRUE(spool.init());
  std::string id = commit_one(spool);
  auto path = spool.path(Area::active, id);
  auto env = read_envelope(path, id);
  ASSERT_TRUE(env);
  ASSERT_TRUE(append_target_done(path, env->recipients[1], std::string("1\0bob@x", 7)));
  ASSERT_TRUE(append_target_done(path, env->recipients[1], "2 |cmd"));
  auto back = read_envelope(path, id);
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(back->done_targets.size(), 2u);
  EXPECT_TRUE(back->target_done(back->recipients[1], std::string("1\0bob@x", 7)));
  EXPECT_TRUE(back->target_done(back->recipients[1], "2 |cmd"));
  EXPECT_FALSE(back->target_done(back->recipients[0], "2 |cmd"));
  EXPECT_EQ(*read_content(path, *back), "x\n");
  // Cross-off in place still works with records after the end marker.
  ASSERT_TRUE(mark_done(path, back->recipients[1], true));
  EXPECT_TRUE(read_envelope(path, id)->recipients[1].done);

  // Strict: only complete, well-formed target records may follow 'E'.
  auto bytes = *fs::read_file(path);
  EXPECT_TRUE(parse_queue_file(bytes, id));
  EXPECT_FALSE(parse_queue_file(bytes.substr(0, bytes.size() - 1), id));  // torn record
  EXPECT_FALSE(parse_queue_file(bytes + "X", id));                         // torn header
  std::string other = bytes;
  append_record(other, kRecipient, "z@x");
  EXPECT_FALSE(parse_queue_file(other, id));  // another type after the end
  std::string two_ends = bytes;
  append_record(two_ends, kEnd, "");
  EXPECT_FALSE(parse_queue_file(two_ends, id));
  for (const char* bad : {"", "12", "x 1", " 1", "1 ", "99999 k"}) {
    std::string b = bytes;
    append_record(b, kTargetDone, bad);
    EXPECT_FALSE(parse_queue_file(b, id)) << bad;  // malformed, or no recipient at that offset
  }
  // Before the end marker, a target record is refused too.
  RecordCursor cur(bytes, true);
  std::string rebuilt(kMagic);
  while (cur.next() == RecordCursor::Step::record && !cur.after_end) append_record(rebuilt, cur.type, cur.payload);
  append_record(rebuilt, kTargetDone, target_done_payload(env->recipients[0].type_offset, "k"));
  append_record(rebuilt, kEnd, "");
  EXPECT_FALSE(parse_queue_file(rebuilt, id));
}

TEST(Queue, InMemoryDraftTakesCrossOffs) {
  Spool spool(temp_dir());
  ASSERT_TRUE(spool.init());
  Committer c(spool, 1);
  auto d = finished_draft(spool, 1000);
  auto env = parse_queue_file(d->image(), d->id());
  ASSERT_TRUE(env);
  CrossOffs done;
  done.recipients.push_back(env->recipients[0].type_offset);
  done.targets.emplace_back(env->recipients[1].type_offset, "alice-key");
  d->apply(done);
  std::string id = d->id();
  ASSERT_TRUE(c.commit_sync(std::move(d)));
  auto back = read_envelope(spool.path(Area::active, id), id);
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_TRUE(back->recipients[0].done);
  EXPECT_FALSE(back->recipients[1].done);
  EXPECT_TRUE(back->target_done(back->recipients[1], "alice-key"));
}

TEST(Queue, StoppedCommitterRefusesWithoutHanging) {
  Spool spool(temp_dir());
  ASSERT_TRUE(spool.init());
  Committer c(spool, 1);
  c.stop();
  auto d = finished_draft(spool);
  std::string id = d->id();
  auto st = c.commit_sync(std::move(d));
  ASSERT_FALSE(st);
  EXPECT_TRUE(st.error().is_temporary());
  EXPECT_FALSE(fs::exists(spool.path(Area::tmp, id)));
  EXPECT_FALSE(fs::exists(spool.path(Area::active, id)));
}

TEST(Queue, InMemoryDraftSpillsPastItsLimitAndCommits) {
  Spool spool(temp_dir());
  ASSERT_TRUE(spool.init());
  Committer c(spool, 2);
  auto small = Draft::create(spool, sample(), 1000);
  ASSERT_TRUE((*small)->append("x\n"));
  ASSERT_TRUE((*small)->finish());
  EXPECT_TRUE((*small)->in_memory());
  auto img = std::string((*small)->image());
  auto env = parse_queue_file(img, (*small)->id());
  ASSERT_TRUE(env);
  (*small)->mark_done(env->recipients[0].type_offset);
  std::string id = (*small)->id();
  ASSERT_TRUE(c.commit_sync(std::move(*small)));
  auto back = read_envelope(spool.path(Area::active, id), id);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->recipients[0].done);
  EXPECT_FALSE(back->recipients[1].done);

  auto big = Draft::create(spool, sample(), 1000);
  ASSERT_TRUE((*big)->append(std::string(5000, 'y')));
  EXPECT_FALSE((*big)->in_memory());
  EXPECT_TRUE(fs::exists(spool.path(Area::tmp, (*big)->id())));
  ASSERT_TRUE((*big)->finish());
  std::string bid = (*big)->id();
  ASSERT_TRUE(c.commit_sync(std::move(*big)));
  auto benv = read_envelope(spool.path(Area::active, bid), bid);
  ASSERT_TRUE(benv);
  EXPECT_EQ(benv->content_size, 5000u);
}

TEST(Queue, IdsAreUniqueAndValid) {
  std::set<std::string> ids;
  for (int i = 0; i < 2000; ++i) {
    auto id = Spool::new_id();
    EXPECT_TRUE(Spool::valid_id(id)) << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 2000u);
  EXPECT_FALSE(Spool::valid_id("../../etc/passwd"));
}

TEST(Submission, RoundTripAndLimits) {
  SubmitRequest r{"me@example.org", {"a@b", "c@d"}, "Subject: x\n\nhi\n"};
  auto enc = encode_submit_request(r);
  auto dec = decode_submit_request(enc, 1000, 10);
  ASSERT_TRUE(dec);
  EXPECT_EQ(dec->sender, r.sender);
  EXPECT_EQ(dec->recipients, r.recipients);
  EXPECT_EQ(dec->content, r.content);
  EXPECT_FALSE(decode_submit_request(enc, 5, 10));
  EXPECT_FALSE(decode_submit_request(enc, 1000, 1));
  EXPECT_FALSE(decode_submit_request(enc.substr(0, enc.size() - 2), 1000, 10));
  SubmitRequest bad{"me\n@x", {"a@b"}, "x"};
  EXPECT_FALSE(decode_submit_request(encode_submit_request(bad), 1000, 10));
}

}  // namespace

// RFC 3461 parameters (issue 9): optional typed records, so a file written
// before them still reads; the cross-off still flips the 'R' byte.
TEST(Queue, DsnParametersRoundTripAndOldFilesStillRead) {
  Spool spool(temp_dir());
  ASSERT_TRUE(spool.init());
  // A file as the tern before DSN parameters wrote it, byte for byte.
  std::string old(kMagic);
  append_record(old, kArrival, "1700000000");
  append_record(old, kClient, "local");
  append_record(old, kHelo, "");
  append_record(old, kProtocol, "local");
  append_record(old, kFlags, "8bitmime ");
  append_record(old, kSender, "s@example.org");
  append_record(old, kRecipient, "x@example.com");
  append_record(old, kContent, "x\n");
  append_record(old, kEnd, "");
  auto o = parse_queue_file(old, "OLD");
  ASSERT_TRUE(o) << o.error().detail;
  EXPECT_TRUE(o->eightbit);
  EXPECT_EQ(o->envid, "");
  EXPECT_EQ(o->ret, DsnRet::unspecified);
  EXPECT_EQ(o->origin, Origin::normal);
  EXPECT_EQ(o->recipients[0].notify, 0u);
  EXPECT_TRUE(o->recipients[0].wants(dsn_notify::failure));
  EXPECT_TRUE(o->recipients[0].wants(dsn_notify::delay));
  EXPECT_FALSE(o->recipients[0].wants(dsn_notify::success));

  Envelope e = sample();
  e.envid = "id\nwith newline";  // typed records: a newline is only data
  e.ret = DsnRet::hdrs;
  e.origin = Origin::double_bounce;
  e.recipients[0].notify = dsn_notify::success | dsn_notify::failure;
  e.recipients[0].orcpt = "rfc822;orig@example.com";
  e.recipients[1].notify = dsn_notify::never;
  auto d = Draft::create(spool, e, 0);
  ASSERT_TRUE(d && (*d)->append("x\n") && (*d)->finish());
  std::string id = (*d)->id();
  Committer c(spool, 1);
  ASSERT_TRUE(c.commit_sync(std::move(*d)));
  auto path = spool.path(Area::active, id);
  auto env = read_envelope(path, id);
  ASSERT_TRUE(env) << env.error().detail;
  EXPECT_EQ(env->envid, "id\nwith newline");
  EXPECT_EQ(env->ret, DsnRet::hdrs);
  EXPECT_EQ(env->origin, Origin::double_bounce);
  EXPECT_TRUE(env->smtputf8);
  EXPECT_EQ(env->recipients[0].notify, dsn_notify::success | dsn_notify::failure);
  EXPECT_EQ(env->recipients[0].orcpt, "rfc822;orig@example.com");
  EXPECT_FALSE(env->recipients[0].wants(dsn_notify::delay));
  EXPECT_TRUE(env->recipients[0].wants(dsn_notify::success));
  EXPECT_FALSE(env->recipients[1].wants(dsn_notify::failure));
  EXPECT_EQ(env->recipients[1].orcpt, "");
  // The cross-off of the second recipient (after the first's 'N' record).
  ASSERT_TRUE(mark_done(path, env->recipients[1], true));
  auto again = read_envelope(path, id);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->recipients[0].done);
  EXPECT_TRUE(again->recipients[1].done);
  EXPECT_EQ(again->recipients[1].notify, dsn_notify::never);
  // The delay warning record, once, after the end marker.
  EXPECT_FALSE(again->delay_warned);
  ASSERT_TRUE(append_delay_warned(path));
  auto warned = read_envelope(path, id);
  ASSERT_TRUE(warned) << warned.error().detail;
  EXPECT_TRUE(warned->delay_warned);
  EXPECT_EQ(warned->content_size, 2u);
}

TEST(Queue, EnvelopeRecordsAfterTheContentAreCorrupt) {
  // Found by queue_file_fuzz: a sender after the content made the whole-file
  // parse and the listing's envelope-only read disagree.
  std::string b(kMagic);
  append_record(b, kArrival, "1700000000");
  append_record(b, kRecipient, "a@local.test");
  append_record(b, kContent, "Subject: x\n\nbody\n");
  append_record(b, kSender, "me@local.test");
  append_record(b, kEnd, "");
  auto e = parse_queue_file(b, "T");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().detail, "envelope record after the content");
}

TEST(Queue, ArrivalKeepsItsMicroseconds) {
  auto file = [](const std::string& t) {
    std::string b(kMagic);
    append_record(b, kArrival, t);
    append_record(b, kSender, "");
    append_record(b, kRecipient, "x@example.com");
    append_record(b, kContent, "x\n");
    append_record(b, kEnd, "");
    return parse_queue_file(b, "T");
  };
  auto whole = file("1700000000");  // as earlier terns wrote it
  ASSERT_TRUE(whole);
  EXPECT_EQ(whole->arrival, 1700000000);
  EXPECT_EQ(whole->arrival_us, 0);
  auto fine = file("1700000000.000250");
  ASSERT_TRUE(fine);
  EXPECT_EQ(fine->arrival_us, 250);
  for (auto bad : {"", ".5", "1700000000.", "1700000000.25", "1700000000.0000001", "17e8", "1.000000.000000"})
    EXPECT_FALSE(file(bad)) << bad;
  // Written and read back through a Draft.
  Spool spool(temp_dir());
  ASSERT_TRUE(spool.init());
  Envelope e = sample();
  e.set_arrival_now();
  auto d = Draft::create(spool, e, /*memory_limit=*/0);
  ASSERT_TRUE(d);
  std::string id = (*d)->id();
  ASSERT_TRUE((*d)->append("x\n"));
  ASSERT_TRUE((*d)->finish());
  Committer c(spool, 1);
  ASSERT_TRUE(c.commit_sync(std::move(*d)));
  auto back = read_envelope(spool.path(Area::active, id), id);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->arrival, e.arrival);
  EXPECT_EQ(back->arrival_us, e.arrival_us);
  EXPECT_LT(back->age(), 60.0);
}

TEST(Queue, MisplacedDsnRecordsAreCorrupt) {
  using Records = std::vector<std::pair<char, std::string>>;
  // A file of these records between the sender and the content.
  auto file = [](const Records& middle) {
    std::string b(kMagic);
    append_record(b, kArrival, "1");
    append_record(b, kSender, "s@example.org");
    for (auto& [type, payload] : middle) append_record(b, type, payload);
    append_record(b, kContent, "x\n");
    append_record(b, kEnd, "");
    return b;
  };
  const std::string rcpt = "x@example.com";
  EXPECT_TRUE(parse_queue_file(file({{kRecipient, rcpt}, {kRecipientDsn, "4"}}), "Q"));
  const Records bad[] = {
      {{kRecipientDsn, "4"}, {kRecipient, rcpt}},            // no recipient before it
      {{kRecipient, rcpt}, {kRecipientDsn, "zrfc822;a@b"}},  // not a hex digit
      {{kRecipient, rcpt}, {kRecipientDsn, ""}},             // empty
      {{kRecipient, rcpt}, {kWarned, ""}},                   // only after the end marker
      {{kEnvid, "a"}, {kEnvid, "b"}, {kRecipient, rcpt}},    // two ENVIDs
  };
  for (auto& b : bad) EXPECT_FALSE(parse_queue_file(file(b), "Q")) << b[0].first << b[1].first;
}
