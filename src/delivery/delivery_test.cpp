// Tests for the delivery module's pure parts: request codec, final target
// keys, env sanitizing, sysexits mapping, Delivered-To loop detection.
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

TEST(Request, FileRequestAndReply) {
  auto enc = encode_file_request({9, "/etc/ssl/private/mail.key"});
  auto f = decode_file_request(enc);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->tag, 9u);
  EXPECT_EQ(f->path, "/etc/ssl/private/mail.key");
  // Neither kind of request decodes as the other.
  EXPECT_FALSE(decode_request(enc));
  DeliveryRequest r;
  r.queue_id = "0123456789ABCDEF";
  EXPECT_FALSE(decode_file_request(encode_request(r)));
  EXPECT_FALSE(decode_file_request(encode_file_request({1, std::string("a\0b", 3)})));
  EXPECT_FALSE(decode_file_request(encode_file_request({1, ""})));
  // A file of any size up to the limit comes back whole; a larger one is an error.
  std::string pem(kMaxFileReply, 'k');
  auto whole = decode_reply(encode_file_reply(3, pem));
  ASSERT_TRUE(whole && whole->ok);
  EXPECT_EQ(whole->text, pem);
  auto big = decode_reply(encode_file_reply(3, pem + "k"));
  ASSERT_TRUE(big);
  EXPECT_FALSE(big->ok);
  EXPECT_NE(big->text.find("larger than 128 KiB"), std::string::npos);
  auto err = decode_reply(encode_file_reply(4, Error::perm("cannot read x: Permission denied")));
  ASSERT_TRUE(err);
  EXPECT_FALSE(err->ok);
  EXPECT_EQ(err->text, "cannot read x: Permission denied");
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

TEST(Request, FinalTargetKeyNamesTheMailboxNotTheRoute) {
  using K = rewrite::Target::Kind;
  rewrite::Target alice{K::virtual_mailbox, "alice@virt.test", "", "", "", "", ""};
  rewrite::Target tagged{K::virtual_mailbox, "alice@virt.test", "", "tag", "", "", ""};
  rewrite::Target bob{K::virtual_mailbox, "bob@virt.test", "", "", "", "", ""};
  EXPECT_EQ(final_target_key(alice, false), final_target_key(tagged, false));
  EXPECT_EQ(final_target_key(alice, true), final_target_key(tagged, true));  // a Maildir ignores it
  EXPECT_NE(final_target_key(alice, false), final_target_key(bob, false));
  rewrite::Target root{K::local_user, "root@local.test", "root", "", "", "", ""};
  rewrite::Target root_ext{K::local_user, "root@localhost", "root", "x", "", "", ""};
  EXPECT_EQ(final_target_key(root, false), final_target_key(root_ext, false));
  EXPECT_NE(final_target_key(root, true), final_target_key(root_ext, true));  // mailbox_command sees $EXTENSION
  rewrite::Target c1{K::command, "a@local.test", "", "", "", "/bin/cmd", "alias"};
  rewrite::Target c2{K::command, "b@local.test", "", "", "", "/bin/cmd", "include"};
  rewrite::Target c3{K::command, "a@local.test", "", "", "", "/bin/other", "alias"};
  EXPECT_EQ(final_target_key(c1, false), final_target_key(c2, false));
  EXPECT_NE(final_target_key(c1, false), final_target_key(c3, false));
  rewrite::Target f1{K::file, "a@local.test", "", "", "/tmp/f", "", "alias"};
  rewrite::Target f2{K::file, "b@local.test", "", "", "/tmp/f", "", "alias"};
  EXPECT_EQ(final_target_key(f1, false), final_target_key(f2, false));
  EXPECT_NE(final_target_key(f1, false), final_target_key(c1, false));
}
