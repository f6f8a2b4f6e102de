// Tests for the delivery module's pure parts: request codec, env
// sanitizing, sysexits mapping, Delivered-To loop detection.
#include <gtest/gtest.h>

#include "delivery/local_agent.h"
#include "delivery/request.h"

using namespace tern;
using namespace tern::delivery;

TEST(Request, RoundTrip) {
  DeliveryRequest r;
  r.tag = 42;
  r.queue_id = "0123456789ABCDEF";
  r.recipient = "a@b";
  r.target = {rewrite::Target::Kind::command, "a@b", "nobody", "ext", "", "/usr/bin/procmail -d a", "alias"};
  auto d = decode_request(encode_request(r));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->tag, 42u);
  EXPECT_TRUE(same_target(d->target, r.target));
  auto enc = encode_request(r);
  EXPECT_FALSE(decode_request(enc.substr(0, enc.size() - 1)));
  EXPECT_FALSE(decode_request(enc + "x"));
  DeliveryReply rep{7, false, false, "5.1.1", "user unknown"};
  auto dr = decode_reply(encode_reply(rep));
  ASSERT_TRUE(dr);
  EXPECT_FALSE(dr->ok);
  EXPECT_FALSE(dr->temporary);
  EXPECT_EQ(dr->dsn, "5.1.1");
}

TEST(LocalAgent, SanitizeEnv) {
  EXPECT_EQ(sanitize_env("() { :;}; echo pwned"), "__________echo_pwned");
  EXPECT_EQ(sanitize_env("a+b@c.d"), "a+b@c.d");
  EXPECT_EQ(sanitize_env("$x`y'z\""), "_x_y_z_");
}

TEST(LocalAgent, ExitCodes) {
  EXPECT_TRUE(exit_status_outcome(0, "x"));
  EXPECT_TRUE(exit_status_outcome(75, "x").error().is_temporary());
  EXPECT_EQ(exit_status_outcome(67, "x").error().dsn, "5.1.1");
  EXPECT_TRUE(exit_status_outcome(67, "x").error().is_permanent());
  EXPECT_TRUE(exit_status_outcome(1, "x").error().is_temporary());
}

TEST(LocalAgent, DeliveredToLoop) {
  EXPECT_TRUE(has_delivered_to("Subject: x\nDelivered-To: A@B\n\nbody\n", "a@b"));
  EXPECT_FALSE(has_delivered_to("Subject: x\n\nDelivered-To: a@b\n", "a@b"));
}
