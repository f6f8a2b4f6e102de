// Tests for the restriction-list parser, Policy::create's errors, and the
// evaluation of the lists per stage (relay matrix, access checks, sender
// login checks, POP-before-SMTP with a fake feed). Authenticated clients
// are made by setting ClientInfo directly, as cmd_auth.cpp will.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/strings.h"
#include "config/config.h"
#include "policy/policy.h"
#include "policy/restriction.h"

using namespace tern;
using namespace tern::policy;
using mail::DomainClass;

namespace {

std::shared_ptr<Policy> policy_with(std::string_view extra, std::string_view listener = "smtpd", PolicyDeps deps = {}) {
  std::string text = "mynetworks = 127.0.0.1/32\n";
  text += extra;
  auto loaded = config::load_string(text, "main.cf");
  EXPECT_TRUE(loaded.ok());
  auto p = Policy::create(*loaded.config, std::move(deps), listener);
  EXPECT_TRUE(p.ok()) << (p ? "" : p.error().detail);
  return p ? *p : nullptr;
}

std::string create_error(std::string_view text, std::string_view listener = "smtpd") {
  auto loaded = config::load_string(text, "main.cf");
  if (!loaded.ok()) return "config did not load";
  auto p = Policy::create(*loaded.config, {}, listener);
  return p ? "" : p.error().detail;
}

ClientInfo client(const Policy& p, std::string ip, std::string sasl_user = "") {
  ClientInfo c;
  c.ip = std::move(ip);
  (void)p.on_connect(c);
  if (!sasl_user.empty()) {
    c.authenticated = true;
    c.sasl_user = std::move(sasl_user);
    c.sasl_method = "PLAIN";
  }
  return c;
}

// "554 5.7.1 <text>", or "ok" / "dunno" / "discard".
std::string rcpt(const Policy& p, const ClientInfo& c, std::string_view to, DomainClass cls,
                 std::string_view sender = "a@example.org", std::string_view helo = "client.example") {
  Verdict v = p.on_rcpt(c, RcptContext{helo, sender, to, cls});
  if (v.rejects()) return fmt::format("{} {} {}", v.code, v.enhanced, v.text);
  return v.action == Verdict::Action::discard ? "discard" : "pass";
}

std::string at_mail(const Policy& p, const ClientInfo& c, std::string_view sender) {
  Verdict v = p.on_mail(c, sender);
  return v.rejects() ? fmt::format("{} {} {}", v.code, v.enhanced, v.text) : "pass";
}

}  // namespace

TEST(Restrictions, Parse) {
  struct Case {
    const char* label;
    const char* list;
    size_t entries;    // when ok
    const char* error;  // substring of the error, "" when ok
  };
  const Case cases[] = {
      {"Postfix default", "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination", 3, ""},
      {"any case", "PERMIT_MYNETWORKS Reject", 2, ""},
      {"table after check", "check_client_access texthash:/x, reject", 2, ""},
      {"empty", "", 0, ""},
      {"typo", "permit_mynetwork", 0, "did you mean 'permit_mynetworks'?"},
      {"unknown", "frobnicate", 0, "unknown restriction 'frobnicate'"},
      {"postfix only", "reject_rbl_client zen.example", 0, "is not supported by tern"},
      {"missing table at end", "check_sender_access", 0, "check_sender_access needs a table after it"},
      {"restriction for table", "check_recipient_access reject", 0, "needs a table after it"},
      {"table without type", "check_client_access /etc/x", 0, "has no type"},
      {"stray table", "texthash:/x", 0, "without a check_*_access before it"},
  };
  for (auto& c : cases) {
    auto r = parse_restrictions(str::split_list(c.list));
    if (*c.error == 0) {
      ASSERT_TRUE(r.ok()) << c.label << ": " << r.error().detail;
      EXPECT_EQ(r->size(), c.entries) << c.label;
    } else {
      ASSERT_FALSE(r.ok()) << c.label;
      EXPECT_NE(r.error().detail.find(c.error), std::string::npos) << c.label << ": " << r.error().detail;
    }
  }
  auto r = parse_restrictions(str::split_list("check_client_access texthash:/x"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].table, "texthash:/x");
}

TEST(Restrictions, CreateErrorsNameFileLineAndFix) {
  EXPECT_EQ(create_error("smtpd_relay_restrictions = permit_mynetworks,\n  permit_mynetwork reject\n"),
            "main.cf:1: smtpd_relay_restrictions: unknown restriction 'permit_mynetwork'; did you mean "
            "'permit_mynetworks'?");
  EXPECT_NE(create_error("x = 1\nsmtpd_recipient_restrictions = check_recipient_access texthash:/nonexistent/t\n")
                .find("main.cf:2: smtpd_recipient_restrictions: check_recipient_access texthash:/nonexistent/t:"),
            std::string::npos);
  // An open relay is refused, as Postfix refuses it.
  EXPECT_NE(create_error("smtpd_relay_restrictions = permit_mynetworks\n")
                .find("main.cf:1: smtpd_relay_restrictions: neither it nor smtpd_recipient_restrictions"),
            std::string::npos);
  EXPECT_EQ(create_error("smtpd_relay_restrictions = permit_mynetworks\n"
                         "smtpd_recipient_restrictions = permit_mynetworks reject_unauth_destination\n"),
            "");
  // The submission lists are checked on their own.
  EXPECT_NE(create_error("submission_client_restrictions = permit_sasl_authenticatd\n", "submission")
                .find("main.cf:1: submission_client_restrictions: unknown restriction"),
            std::string::npos);
}

TEST(Restrictions, RelayMatrixPort25) {
  auto p = policy_with("");
  auto outside = client(*p, "127.0.0.2");
  auto inside = client(*p, "127.0.0.1");
  auto authed = client(*p, "127.0.0.2", "alice@virt.test");
  EXPECT_EQ(rcpt(*p, outside, "u@ext.test", DomainClass::remote), "554 5.7.1 <u@ext.test>: Relay access denied");
  EXPECT_EQ(rcpt(*p, outside, "alice@virt.test", DomainClass::virtual_mailbox), "pass");
  EXPECT_EQ(rcpt(*p, outside, "u%ext.test@local.test", DomainClass::local),
            "554 5.7.1 <u%ext.test@local.test>: Relay access denied");
  EXPECT_EQ(rcpt(*p, inside, "u@ext.test", DomainClass::remote), "pass");
  EXPECT_EQ(rcpt(*p, inside, "u%ext.test@local.test", DomainClass::local), "pass");
  EXPECT_EQ(rcpt(*p, authed, "u@ext.test", DomainClass::remote), "pass");
  // Port 25 asks nobody to authenticate at MAIL.
  EXPECT_EQ(at_mail(*p, outside, ""), "pass");
}

TEST(Restrictions, DeferAndPermitAuthDestination) {
  auto p = policy_with("smtpd_relay_restrictions = permit_mynetworks, defer_unauth_destination\n");
  auto outside = client(*p, "127.0.0.2");
  EXPECT_EQ(rcpt(*p, outside, "u@ext.test", DomainClass::remote), "450 4.7.1 <u@ext.test>: Relay access denied");
  auto q = policy_with("smtpd_relay_restrictions = permit_auth_destination, reject\n");
  EXPECT_EQ(rcpt(*q, outside, "alice@virt.test", DomainClass::virtual_mailbox), "pass");
  EXPECT_EQ(rcpt(*q, outside, "b@backup.test", DomainClass::relay), "pass");
  EXPECT_EQ(rcpt(*q, outside, "u@ext.test", DomainClass::remote),
            "554 5.7.1 <u@ext.test>: Recipient address rejected: Access denied");
}

TEST(Restrictions, SubmissionRequiresAuth) {
  auto p = policy_with("", "submission");
  auto outside = client(*p, "127.0.0.2");
  auto inside = client(*p, "127.0.0.1");
  // Not even mynetworks is let in without AUTH, and <> gets the same answer.
  EXPECT_EQ(at_mail(*p, outside, "a@example.org"), "530 5.7.0 Authentication required");
  EXPECT_EQ(at_mail(*p, outside, ""), "530 5.7.0 Authentication required");
  EXPECT_EQ(at_mail(*p, inside, "a@example.org"), "530 5.7.0 Authentication required");
  // Should a client go on to RCPT anyway, the client list refuses it.
  EXPECT_EQ(rcpt(*p, outside, "alice@virt.test", DomainClass::virtual_mailbox, ""),
            "554 5.7.1 <unknown[127.0.0.2]>: Client host rejected: Access denied");
  auto authed = client(*p, "127.0.0.2", "alice@virt.test");
  EXPECT_EQ(at_mail(*p, authed, "alice@virt.test"), "pass");
  EXPECT_EQ(rcpt(*p, authed, "u@ext.test", DomainClass::remote, ""), "pass");
}

TEST(Restrictions, ClientAccessBeforeAuthIsNotAnAuthQuestion) {
  auto p = policy_with("smtpd_client_restrictions = check_client_access inline:{127.0.0.7=REJECT}, "
                "permit_sasl_authenticated, reject\n");
  auto banned = client(*p, "127.0.0.7");
  // Authenticating would not help it: no 530, the reject comes at RCPT.
  EXPECT_EQ(at_mail(*p, banned, "a@example.org"), "pass");
  EXPECT_EQ(rcpt(*p, banned, "alice@virt.test", DomainClass::virtual_mailbox),
            "554 5.7.1 <unknown[127.0.0.7]>: Client host rejected: Access denied");
  auto other = client(*p, "127.0.0.2");
  EXPECT_EQ(at_mail(*p, other, "a@example.org"), "530 5.7.0 Authentication required");
}

TEST(Restrictions, CheckAccessTables) {
  auto p = policy_with(
      "smtpd_helo_restrictions = check_helo_access inline:{bad.example=REJECT}\n"
      "smtpd_sender_restrictions = check_sender_access inline:{spammer@example.org=REJECT, <>=DISCARD}\n"
      "smtpd_recipient_restrictions = check_recipient_access inline:{blocked@virt.test=REJECT, "
      "vip@ext.test=OK}\n"
      "smtpd_relay_restrictions = permit_mynetworks, check_recipient_access inline:{vip@ext.test=OK}, "
      "reject_unauth_destination\n");
  auto outside = client(*p, "127.0.0.2");
  EXPECT_EQ(rcpt(*p, outside, "alice@virt.test", DomainClass::virtual_mailbox, "a@example.org", "mx.bad.example"),
            "554 5.7.1 <mx.bad.example>: Helo command rejected: Access denied");
  EXPECT_EQ(rcpt(*p, outside, "alice@virt.test", DomainClass::virtual_mailbox, "spammer@example.org"),
            "554 5.7.1 <spammer@example.org>: Sender address rejected: Access denied");
  EXPECT_EQ(rcpt(*p, outside, "alice@virt.test", DomainClass::virtual_mailbox, ""), "discard");
  EXPECT_EQ(rcpt(*p, outside, "blocked@virt.test", DomainClass::virtual_mailbox),
            "554 5.7.1 <blocked@virt.test>: Recipient address rejected: Access denied");
  // OK in the relay list ends that list: this one remote address may be relayed to.
  EXPECT_EQ(rcpt(*p, outside, "vip@ext.test", DomainClass::remote), "pass");
  EXPECT_EQ(rcpt(*p, outside, "other@ext.test", DomainClass::remote),
            "554 5.7.1 <other@ext.test>: Relay access denied");
}

TEST(Restrictions, LegacyAccessMapsStillRelay) {
  auto p = policy_with("smtpd_access_maps = inline:{127.0.0.6=OK, To:vip@ext.test=RELAY}\n");
  auto ok_client = client(*p, "127.0.0.6");
  EXPECT_TRUE(ok_client.trusted);
  EXPECT_FALSE(ok_client.mynetworks);
  EXPECT_EQ(rcpt(*p, ok_client, "u@ext.test", DomainClass::remote), "pass");
  auto outside = client(*p, "127.0.0.2");
  EXPECT_EQ(rcpt(*p, outside, "vip@ext.test", DomainClass::remote), "pass");
  EXPECT_EQ(rcpt(*p, outside, "u@ext.test", DomainClass::remote), "554 5.7.1 <u@ext.test>: Relay access denied");
}

TEST(Restrictions, SenderLoginMismatchDefaultOwners) {
  // The owners function stands for the rewriter: alice owns her address
  // and an alias that reaches her; shared@ reaches alice and bob.
  PolicyDeps deps;
  deps.owners = [](const std::string& s) -> Result<std::vector<std::string>> {
    if (s == "alice@virt.test" || s == "info@alias.test") return std::vector<std::string>{"alice@virt.test"};
    if (s == "bob@virt.test") return std::vector<std::string>{"bob@virt.test"};
    if (s == "shared@alias.test") return std::vector<std::string>{"alice@virt.test", "bob@virt.test"};
    if (s == "broken@virt.test") return Error::temp("table down");
    return std::vector<std::string>{};
  };
  auto p = policy_with("", "submission", deps);
  auto alice = client(*p, "127.0.0.2", "alice@virt.test");
  EXPECT_EQ(rcpt(*p, alice, "u@ext.test", DomainClass::remote, "alice@virt.test"), "pass");
  EXPECT_EQ(rcpt(*p, alice, "u@ext.test", DomainClass::remote, "info@alias.test"), "pass");
  EXPECT_EQ(rcpt(*p, alice, "u@ext.test", DomainClass::remote, "shared@alias.test"), "pass");
  EXPECT_EQ(rcpt(*p, alice, "u@ext.test", DomainClass::remote, "bob@virt.test"),
            "553 5.7.1 <bob@virt.test>: Sender address rejected: not owned by user alice@virt.test");
  // An address nobody owns is not alice's either (Postfix's rule).
  EXPECT_EQ(rcpt(*p, alice, "u@ext.test", DomainClass::remote, "alice@gmail.example"),
            "553 5.7.1 <alice@gmail.example>: Sender address rejected: not owned by user alice@virt.test");
  EXPECT_EQ(rcpt(*p, alice, "u@ext.test", DomainClass::remote, ""), "pass");
  EXPECT_EQ(rcpt(*p, alice, "u@ext.test", DomainClass::remote, "broken@virt.test"),
            "451 4.3.0 <broken@virt.test>: Sender address rejected: Temporary lookup failure");
  // On port 25 the check is off by default; when an admin turns it on, an
  // owned address used without AUTH is refused.
  auto p25 = policy_with("smtpd_sender_restrictions = reject_sender_login_mismatch\n", "smtpd", deps);
  auto outside = client(*p25, "127.0.0.2");
  EXPECT_EQ(rcpt(*p25, outside, "bob@virt.test", DomainClass::virtual_mailbox, "alice@virt.test"),
            "553 5.7.1 <alice@virt.test>: Sender address rejected: not logged in");
  EXPECT_EQ(rcpt(*p25, outside, "bob@virt.test", DomainClass::virtual_mailbox, "x@example.org"), "pass");
}

TEST(Restrictions, SenderOwnersLookedUpOncePerTransaction) {
  // Many recipients of one transaction share its memo: the owners of the
  // sender (a rewriter expansion) are found at the first RCPT only; a
  // temporary failure is not kept, so the next RCPT asks again.
  int calls = 0;
  bool table_down = true;
  PolicyDeps deps;
  deps.owners = [&](const std::string&) -> Result<std::vector<std::string>> {
    ++calls;
    if (table_down) return Error::temp("table down");
    return std::vector<std::string>{"alice@virt.test"};
  };
  auto p = policy_with("", "submission", deps);
  auto alice = client(*p, "127.0.0.2", "alice@virt.test");
  SenderOwnersMemo memo;
  auto at_rcpt = [&](std::string_view to) {
    return p->on_rcpt(alice, RcptContext{"client.example", "alice@virt.test", to, DomainClass::remote, &memo});
  };
  EXPECT_EQ(at_rcpt("a@ext.test").code, 451);
  EXPECT_FALSE(memo.has_value());
  table_down = false;
  for (auto to : {"b@ext.test", "c@ext.test", "d@ext.test"}) EXPECT_FALSE(at_rcpt(to).rejects());
  EXPECT_EQ(calls, 2);
  ASSERT_TRUE(memo.has_value());
  EXPECT_EQ(*memo, std::vector<std::string>{"alice@virt.test"});
}

TEST(Restrictions, SenderLoginMaps) {
  auto p = policy_with("recipient_delimiter = +\n"
                "smtpd_sender_login_maps = inline:{ alice@virt.test=alice@virt.test, "
                "@shared.test=bob@virt.test }\n",
                "submission");
  auto alice = client(*p, "127.0.0.2", "ALICE@virt.test");
  auto bob = client(*p, "127.0.0.2", "bob@virt.test");
  EXPECT_EQ(rcpt(*p, alice, "u@ext.test", DomainClass::remote, "alice+tag@virt.test"), "pass");
  EXPECT_EQ(rcpt(*p, bob, "u@ext.test", DomainClass::remote, "anyone@shared.test"), "pass");
  EXPECT_EQ(rcpt(*p, alice, "u@ext.test", DomainClass::remote, "anyone@shared.test"),
            "553 5.7.1 <anyone@shared.test>: Sender address rejected: not owned by user ALICE@virt.test");
}

TEST(Restrictions, PopBeforeSmtpWithAFakeFeed) {
  auto logins = std::make_shared<RecentLogins>();
  PolicyDeps deps;
  deps.recent = logins;
  auto p = policy_with("pop_before_smtp_timeout = 10m\n"
                "smtpd_relay_restrictions = permit_mynetworks, permit_pop_before_smtp, reject_unauth_destination\n",
                "smtpd", deps);
  auto c = client(*p, "127.0.0.3");
  EXPECT_EQ(rcpt(*p, c, "u@ext.test", DomainClass::remote), "554 5.7.1 <u@ext.test>: Relay access denied");
  logins->record("127.0.0.3");
  EXPECT_EQ(rcpt(*p, c, "u@ext.test", DomainClass::remote), "pass");
  auto other = client(*p, "127.0.0.4");
  EXPECT_EQ(rcpt(*p, other, "u@ext.test", DomainClass::remote), "554 5.7.1 <u@ext.test>: Relay access denied");
  // Older than the window: no longer.
  auto now = RecentLogins::Clock::now();
  logins->record("127.0.0.4", now - std::chrono::minutes(11));
  EXPECT_EQ(rcpt(*p, other, "u@ext.test", DomainClass::remote), "554 5.7.1 <u@ext.test>: Relay access denied");
  // Without a feed the restriction never permits.
  auto q = policy_with("smtpd_relay_restrictions = permit_pop_before_smtp, reject_unauth_destination\n");
  EXPECT_EQ(rcpt(*q, client(*q, "127.0.0.3"), "u@ext.test", DomainClass::remote),
            "554 5.7.1 <u@ext.test>: Relay access denied");
}

TEST(RecentLogins, BoundedWindowed) {
  RecentLogins t(2);
  auto now = RecentLogins::Clock::now();
  t.record("10.0.0.1", now - std::chrono::seconds(30));
  t.record("10.0.0.2", now - std::chrono::seconds(20));
  t.record("10.0.0.3", now - std::chrono::seconds(10));  // full: 10.0.0.1 is forgotten
  EXPECT_EQ(t.size(), 2u);
  EXPECT_FALSE(t.recent("10.0.0.1", std::chrono::seconds(60), now));
  EXPECT_TRUE(t.recent("10.0.0.2", std::chrono::seconds(60), now));
  EXPECT_FALSE(t.recent("10.0.0.2", std::chrono::seconds(15), now));
  t.record("10.0.0.2", now - std::chrono::seconds(40));  // an older login does not move it back
  EXPECT_TRUE(t.recent("10.0.0.2", std::chrono::seconds(25), now));
}
