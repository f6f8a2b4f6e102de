// Unit tests for the config module: main.cf syntax, expansion, defaults,
// typed values, every diagnostic's exact text, locate() and the demo config.
#include "config/config.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "config/internal.h"

namespace tern::config {
namespace {

std::shared_ptr<const Config> must_load(std::string_view text) {
  auto r = load_string(text, "main.cf");
  for (const auto& d : r.diagnostics) ADD_FAILURE() << "unexpected: " << d.to_string();
  EXPECT_TRUE(r.ok());
  return r.config ? r.config : std::make_shared<const Config>();
}

std::vector<std::string> messages(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics) out.push_back(d.to_string());
  return out;
}

struct GetCase {
  const char* text;
  const char* name;
  const char* want;
};

TEST(ConfigParse, Values) {
  const GetCase cases[] = {
      {"myorigin = example.com", "myorigin", "example.com"},
      {"myorigin=example.com", "myorigin", "example.com"},
      {"myorigin =   spaced out  \t\n", "myorigin", "spaced out"},
      {"myorigin = x\r\nmail_name = y\r\n", "myorigin", "x"},
      {"relay_domains =", "relay_domains", ""},
      {"relay_domains =\n  a.test", "relay_domains", "a.test"},
      {"mydestination = a,\n  b,\n\tc", "mydestination", "a, b, c"},
      {"mydestination = a\n# comment\n  b", "mydestination", "a b"},
      {"mydestination = a\n\n   \n  b", "mydestination", "a b"},
      {"mydestination = a\n    # indented comment\n  b", "mydestination", "a b"},
      {"  # indented comment first\nmail_name = m", "mail_name", "m"},
      {"smtpd_banner = hi # not a comment", "smtpd_banner", "hi # not a comment"},
      {"smtpd_banner = a = b", "smtpd_banner", "a = b"},
      {"# only comments\n\n#x = y\n", "mail_name", "tern"},
      {"", "mail_name", "tern"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(must_load(c.text)->get(c.name), c.want);
  }
}

TEST(ConfigParse, RawKeepsEffectiveEntriesInFileOrder) {
  auto r = load_string("myorigin = a\nmail_name = m\nmyorigin = b\n", "main.cf");
  ASSERT_TRUE(r.ok());
  std::vector<std::pair<std::string, std::string>> want = {{"mail_name", "m"}, {"myorigin", "b"}};
  EXPECT_EQ(r.config->raw(), want);
  EXPECT_EQ(r.config->origin("myorigin"), "main.cf:3");
  EXPECT_EQ(r.config->origin("mail_name"), "main.cf:2");
  EXPECT_EQ(r.config->origin("mydomain"), "default");
  EXPECT_EQ(messages(r),
            std::vector<std::string>{"main.cf:3: warning: 'myorigin' is set again; this overrides the value from line 1"});
}

TEST(ConfigExpand, Values) {
  const GetCase cases[] = {
      {"myhostname = h.example.com\nmyorigin = $myhostname", "myorigin", "h.example.com"},
      {"myhostname = h.example.com\nmyorigin = ${myhostname}", "myorigin", "h.example.com"},
      {"myhostname = h.example.com\nmyorigin = $(myhostname)", "myorigin", "h.example.com"},
      {"myhostname = h\nmyorigin = x${myhostname}y", "myorigin", "xhy"},
      {"myhostname = h\nmyorigin = $myhostname.test", "myorigin", "h.test"},
      {"myorigin = $mydomain\nmydomain = later.test", "myorigin", "later.test"},
      {"smtpd_banner = cost $$5", "smtpd_banner", "cost $5"},
      {"smtpd_banner = $$myhostname", "smtpd_banner", "$myhostname"},
      {"smtpd_banner = lone $ sign and ${ and $", "smtpd_banner", "lone $ sign and ${ and $"},
      {"relay_domains = r\nsmtpd_banner = ${relay_domains?set}", "smtpd_banner", "set"},
      {"smtpd_banner = ${relay_domains?set}", "smtpd_banner", ""},
      {"smtpd_banner = ${relay_domains:unset}", "smtpd_banner", "unset"},
      {"myhostname = h\nsmtpd_banner = ${mail_name?{$myhostname}}", "smtpd_banner", "{h}"},
      {"my_helper = x\nalias_maps = hash:$my_helper", "alias_maps", "hash:x"},
      {"alias_maps = hash:/etc/aliases", "alias_database", "hash:/etc/aliases"},
      // Computed defaults.
      {"myhostname = mail.ex.com", "mydomain", "ex.com"},
      {"myhostname = solo", "mydomain", "localdomain"},
      {"myhostname = mx.a.test", "mydestination", "mx.a.test, localhost.a.test, localhost"},
      {"myhostname = mx.a.test", "smtpd_banner", "mx.a.test ESMTP tern"},
      {"myhostname = mx.a.test\nmail_name = Foo", "smtpd_banner", "mx.a.test ESMTP Foo"},
      {"myhostname = mx.a.test\nmydomain = other.test", "mydestination", "mx.a.test, localhost.other.test, localhost"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(must_load(c.text)->get(c.name), c.want);
  }
}

TEST(ConfigExpand, UnknownReferenceIsEmptyWithWarning) {
  auto r = load_string("smtpd_banner = x $myhostnme y", "main.cf");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config->get("smtpd_banner"), "x  y");
  EXPECT_EQ(messages(r), std::vector<std::string>{
                             "main.cf:1: warning: 'smtpd_banner' refers to $myhostnme, which is neither a known "
                             "parameter nor set; it expands to nothing; did you mean 'myhostname'?"});
}

// A $-expansion loop, nesting past the limit and a value over the budget
// are errors, as Postfix's mac_expand stops on them: the values would be
// cut short without the admin noticing.
TEST(ConfigExpand, LoopIsAnError) {
  auto r = load_string("loop_a = $loop_b\nloop_b = x $loop_a\nsmtpd_banner = [$loop_a]", "main.cf");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(messages(r),
            (std::vector<std::string>{
                "main.cf:1: error: 'loop_a' refers to itself through $-expansion (a loop, which Postfix refuses "
                "too); give one of the parameters in the loop a value of its own",
                "main.cf:2: error: 'loop_b' refers to itself through $-expansion (a loop, which Postfix refuses "
                "too); give one of the parameters in the loop a value of its own",
            }));
  EXPECT_FALSE(load_string("smtpd_banner = $smtpd_banner!", "main.cf").ok());
  EXPECT_FALSE(load_string("myhostname = $mydomain\nmydomain = $myhostname\n", "main.cf").ok());
}

TEST(ConfigExpand, DepthLimitIsAnError) {
  // p0 = $p1, ..., p24 = end: a lookup follows at most 20 nested references.
  std::string text;
  for (int i = 0; i < 25; ++i) text += "p" + std::to_string(i) + " = $p" + std::to_string(i + 1) + "\n";
  text += "p25 = end\nsmtpd_banner = $p0\n";
  auto r = load_string(text, "main.cf");
  EXPECT_FALSE(r.ok());
  bool said = false;
  for (const auto& m : messages(r))
    if (m == "main.cf:1: error: expansion of 'p0' nests deeper than 20 levels; give a parameter on the way a "
             "value of its own")
      said = true;
  EXPECT_TRUE(said);
  // 19 levels are fine.
  std::string ok;
  for (int i = 0; i < 18; ++i) ok += "p" + std::to_string(i) + " = $p" + std::to_string(i + 1) + "\n";
  ok += "p18 = end\nsmtpd_banner = $p0\n";
  auto fine = load_string(ok, "main.cf");
  ASSERT_TRUE(fine.ok());
  EXPECT_EQ(fine.config->get("smtpd_banner"), "end");
}

TEST(ConfigExpand, FanOutIsBounded) {
  // Each level doubles: 2^30 references without the budget.
  std::string text;
  for (int i = 0; i < 30; ++i)
    text += "f" + std::to_string(i) + " = $f" + std::to_string(i + 1) + " $f" + std::to_string(i + 1) + "\n";
  text += "f30 = " + std::string(1000, 'x') + "\n";
  auto r = load_string(text, "main.cf");
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.diagnostics.empty());
}

TEST(ConfigExpand, HugeValueIsAnError) {
  std::string text = "smtpd_banner = " + std::string(detail::kMaxExpandedLength + 10, 'x') + "\n";
  auto r = load_string(text, "main.cf");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(messages(r), std::vector<std::string>{
                             "main.cf:1: error: expansion of 'smtpd_banner' is too large (over 256 "
                             "$-references or 1048576 bytes); write the value out or use a table"});
}

TEST(ConfigDefaults, EmptyConfig) {
  auto c = must_load("");
  EXPECT_EQ(c->get("mail_name"), "tern");
  EXPECT_EQ(c->get("myhostname"), detail::system_hostname());
  EXPECT_EQ(c->get("mydomain"), detail::domain_of(detail::system_hostname()));
  EXPECT_EQ(c->get("myorigin"), c->get("myhostname"));
  EXPECT_EQ(c->get("queue_directory"), "/var/spool/tern");
  EXPECT_EQ(c->get("smtpd_listen"), "0.0.0.0:25");
  EXPECT_EQ(c->get("no_such_parameter"), "");
  EXPECT_EQ(c->integer("message_size_limit"), 10240000);
  EXPECT_EQ(c->bytes("mailbox_size_limit"), 51200000);
  EXPECT_EQ(c->integer("smtpd_recipient_limit"), 1000);
  EXPECT_EQ(c->seconds("maximal_queue_lifetime"), 5 * 86400);
  EXPECT_EQ(c->seconds("maximal_backoff_time"), 4000);
  EXPECT_EQ(c->seconds("smtpd_timeout"), 300);
  EXPECT_TRUE(c->boolean("disable_vrfy_command"));
  EXPECT_TRUE(c->boolean("smtputf8_enable"));
  EXPECT_FALSE(c->boolean("smtpd_helo_required"));
  EXPECT_EQ(c->list("mynetworks"), (std::vector<std::string>{"127.0.0.0/8", "[::1]/128"}));
  EXPECT_EQ(c->list("allow_mail_to_files"), (std::vector<std::string>{"alias", "forward"}));
  EXPECT_TRUE(c->list("relay_domains").empty());
  EXPECT_FALSE(c->is_set("mail_name"));
  EXPECT_EQ(c->origin("mail_name"), "default");
}

TEST(ConfigDefaults, TableIsConsistent) {
  const char* required[] = {
      "myhostname", "mydomain", "myorigin", "mydestination", "mynetworks", "relay_domains",
      "message_size_limit", "smtpd_banner", "mail_name", "alias_maps", "alias_database",
      "virtual_alias_maps", "virtual_alias_domains", "virtual_mailbox_domains", "virtual_mailbox_base",
      "home_mailbox", "mail_spool_directory", "mailbox_command", "recipient_delimiter", "queue_directory",
      "maillog_file", "syslog_name", "user_database", "mail_owner", "default_privs", "smtpd_listen",
      "submission_listen", "submissions_listen", "imap_listen", "imaps_listen", "pop3_listen", "pop3s_listen",
      "smtpd_access_maps", "smtpd_recipient_limit", "smtpd_timeout", "smtpd_hard_error_limit",
      "smtpd_soft_error_limit", "smtpd_error_sleep_time", "smtpd_client_connection_count_limit",
      "smtpd_max_connections", "smtpd_command_line_limit", "hopcount_limit", "smtpd_forbid_bare_newline",
      "disable_vrfy_command", "smtputf8_enable", "minimal_backoff_time", "maximal_backoff_time",
      "queue_run_delay", "maximal_queue_lifetime", "command_time_limit", "mailbox_size_limit",
      "allow_mail_to_commands", "allow_mail_to_files", "default_database_type", "delivery_concurrency_limit",
      "alias_recursion_limit", "virtual_alias_recursion_limit", "virtual_alias_expansion_limit",
      "smtpd_helo_required", "queue_minfree", "propagate_unmatched_extensions", "shutdown_timeout"};
  for (const char* n : required) EXPECT_NE(find_param(n), nullptr) << n;
  auto empty = must_load("");
  for (size_t i = 0; i < param_table().size(); ++i) {
    const ParamDef& p = param_table()[i];
    SCOPED_TRACE(std::string(p.name));
    EXPECT_FALSE(p.doc.empty());
    EXPECT_EQ(find_param(p.name), &p);  // names are unique
    EXPECT_EQ(detail::check_value(p, empty->get(p.name)), "");
  }
  EXPECT_EQ(find_param("nosuch"), nullptr);
}

struct NumCase {
  const char* param;
  const char* value;
  long long want;
};

TEST(ConfigTyped, Numbers) {
  const NumCase cases[] = {
      {"smtpd_timeout", "300", 300},        {"smtpd_timeout", "300s", 300},
      {"smtpd_timeout", "5m", 300},         {"smtpd_timeout", "2h", 7200},
      {"smtpd_timeout", "1d", 86400},       {"smtpd_timeout", "1w", 604800},
      {"smtpd_timeout", " 7s ", 7},         {"smtpd_timeout", "0", 0},
      {"message_size_limit", "10240000", 10240000},
      {"message_size_limit", "10k", 10240}, {"message_size_limit", "10m", 10485760},
      {"message_size_limit", "10M", 10485760},
      {"message_size_limit", "1g", 1073741824},
      {"smtpd_recipient_limit", "42", 42},  {"hopcount_limit", "0", 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.param) + " = " + c.value);
    auto cfg = must_load(std::string(c.param) + " = " + c.value);
    EXPECT_EQ(cfg->integer(c.param), c.want);
    const ParamDef* def = find_param(c.param);
    if (def->type == Type::duration) {
      EXPECT_EQ(cfg->seconds(c.param), c.want);
    }
    if (def->type == Type::size) {
      EXPECT_EQ(cfg->bytes(c.param), c.want);
    }
  }
}

TEST(ConfigTyped, Booleans) {
  const std::pair<const char*, bool> cases[] = {
      {"yes", true}, {"no", false}, {"true", true}, {"false", false}, {"on", true},
      {"off", false}, {"1", true},  {"0", false},   {"YES", true},    {"No", false},
  };
  for (const auto& [v, want] : cases) {
    SCOPED_TRACE(v);
    EXPECT_EQ(must_load(std::string("smtpd_helo_required = ") + v)->boolean("smtpd_helo_required"), want);
  }
}

TEST(ConfigTyped, OverrideWithBadValueFallsBackToDefault) {
  auto c = must_load("")->with("message_size_limit", "lots");
  EXPECT_EQ(c->get("message_size_limit"), "lots");
  EXPECT_EQ(c->bytes("message_size_limit"), 10240000);
}

struct ErrCase {
  const char* text;
  std::vector<std::string> want;
};

TEST(ConfigErrors, ExactText) {
  const std::string kSize = "expected a number of bytes such as 10240000 or 10m";
  const std::string kTime = "expected a time such as 300s, 5m, 2h, 1d or 1w (a bare number is seconds)";
  const ErrCase cases[] = {
      {"this is not valid", {"main.cf:1: error: syntax error: expected 'name = value'"}},
      {"mail_name = a\n= value", {"main.cf:2: error: syntax error: expected 'name = value'"}},
      {"my name = x", {"main.cf:1: error: syntax error: expected 'name = value'"}},
      {"mail-name = x", {"main.cf:1: error: syntax error: expected 'name = value'"}},
      {"mail_name = a\nbad line\n  its continuation\nmyorigin = b",
       {"main.cf:2: error: syntax error: expected 'name = value'"}},
      {"\n  myorigin = x\n  more",
       {"main.cf:2: error: syntax error: line starts with white space (a continuation) but no 'name = value' "
        "comes before it; remove the leading white space"}},
      {"\n\n\n\n\n\nmessage_size_limit = 10x", {"main.cf:7: error: message_size_limit = 10x: " + kSize}},
      {"message_size_limit = 10 m", {"main.cf:1: error: message_size_limit = 10 m: " + kSize}},
      {"message_size_limit = 99999999999999999999",
       {"main.cf:1: error: message_size_limit = 99999999999999999999: " + kSize}},
      {"message_size_limit = 9999999999999g", {"main.cf:1: error: message_size_limit = 9999999999999g: " + kSize}},
      {"message_size_limit =", {"main.cf:1: error: message_size_limit = : " + kSize}},
      {"my_size = 10x\nmessage_size_limit = $my_size",
       {"main.cf:2: error: message_size_limit = $my_size (expands to '10x'): " + kSize}},
      {"smtpd_recipient_limit = many",
       {"main.cf:1: error: smtpd_recipient_limit = many: expected a whole number such as 100"}},
      {"smtpd_recipient_limit = -1",
       {"main.cf:1: error: smtpd_recipient_limit = -1: expected a whole number such as 100"}},
      {"hopcount_limit = 99999999999999999999999",
       {"main.cf:1: error: hopcount_limit = 99999999999999999999999: too large: at most 2147483647"}},
      {"hopcount_limit = 2147483648", {"main.cf:1: error: hopcount_limit = 2147483648: too large: at most 2147483647"}},
      {"command_time_limit = 3000000000",
       {"main.cf:1: error: command_time_limit = 3000000000: too long: at most 2147483647 seconds (about 68 years)"}},
      {"smtpd_timeout = 1000000000000w",
       {"main.cf:1: error: smtpd_timeout = 1000000000000w: too long: at most 2147483647 seconds (about 68 years)"}},
      {"disable_vrfy_command = maybe", {"main.cf:1: error: disable_vrfy_command = maybe: expected yes or no"}},
      {"smtpd_timeout = 5 minutes", {"main.cf:1: error: smtpd_timeout = 5 minutes: " + kTime}},
      {"smtpd_timeout = 5y", {"main.cf:1: error: smtpd_timeout = 5y: " + kTime}},
      {"smtpd_forbid_bare_newline = maybe",
       {"main.cf:1: error: smtpd_forbid_bare_newline = maybe: expected yes or normalize"}},
      {"smtpd_listen = 127.0.0.1",
       {"main.cf:1: error: smtpd_listen = 127.0.0.1: '127.0.0.1' is not host:port or [ipv6]:port with a port "
        "from 1 to 65535, such as 127.0.0.1:25 or [::1]:25"}},
      {"a b\nsmtpd_timeout = x\n  y",
       {"main.cf:1: error: syntax error: expected 'name = value'",
        "main.cf:2: error: smtpd_timeout = x y: " + kTime}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = load_string(c.text, "main.cf");
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(messages(r), c.want);
  }
}

TEST(ConfigErrors, ChoicesAccepted) {
  EXPECT_EQ(must_load("smtpd_forbid_bare_newline = normalize")->get("smtpd_forbid_bare_newline"), "normalize");
  EXPECT_EQ(must_load("smtpd_forbid_bare_newline = yes")->get("smtpd_forbid_bare_newline"), "yes");
}

TEST(ConfigWarnings, UnknownParameter) {
  const ErrCase cases[] = {
      {"\n\nmydestinaton = x",
       {"main.cf:3: warning: unknown parameter 'mydestinaton'; did you mean 'mydestination'?"}},
      {"MyHostname = x", {"main.cf:1: warning: unknown parameter 'MyHostname'; did you mean 'myhostname'?"}},
      {"smtpd_tiemout = 5", {"main.cf:1: warning: unknown parameter 'smtpd_tiemout'; did you mean 'smtpd_timeout'?"}},
      {"zzzzzzzzzz = 1", {"main.cf:1: warning: unknown parameter 'zzzzzzzzzz'"}},
      // A helper parameter used through $name is not "unknown".
      {"my_maps = hash:/x\nalias_maps = $my_maps", {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = load_string(c.text, "main.cf");
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(messages(r), c.want);
  }
  EXPECT_EQ(nearest_param("mydestinaton"), "mydestination");
  EXPECT_EQ(nearest_param("queue_directry"), "queue_directory");
}

TEST(ConfigListeners, Validation) {
  const char* good[] = {"0.0.0.0:25", "127.0.0.1:2525, [::1]:25", "[::]:587", "localhost:65535", "",
                        "a:1 b:2\tc:3", "[fe80::1%eth0]:25"};
  const char* bad[] = {"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", ":25", "[::1]", "[::1]25",
                       "::1:25", "host:port", "[]:25", "a:-1", "a:25x", "a:25 b", "[::1:25"};
  for (const char* v : good) {
    SCOPED_TRACE(v);
    auto c = must_load(std::string("imap_listen = ") + v);
    EXPECT_EQ(c->get("imap_listen"), v);
  }
  for (const char* v : bad) {
    SCOPED_TRACE(v);
    auto r = load_string(std::string("imap_listen = ") + v, "main.cf");
    EXPECT_FALSE(r.ok());
    ASSERT_EQ(r.diagnostics.size(), 1u);
    EXPECT_NE(r.diagnostics[0].message.find("is not host:port"), std::string::npos);
  }
}

TEST(ConfigApi, DiagnosticToString) {
  EXPECT_EQ((Diagnostic{"main.cf", 3, false, "m"}).to_string(), "main.cf:3: warning: m");
  EXPECT_EQ((Diagnostic{"main.cf", 7, true, "m"}).to_string(), "main.cf:7: error: m");
  EXPECT_EQ((Diagnostic{"/etc/tern/main.cf", 0, true, "m"}).to_string(), "/etc/tern/main.cf: error: m");
}

TEST(ConfigApi, With) {
  auto base = must_load("myorigin = a\nmail_name = m");
  auto c = base->with("myorigin", "b");
  EXPECT_EQ(base->get("myorigin"), "a");
  EXPECT_EQ(c->get("myorigin"), "b");
  EXPECT_EQ(c->origin("myorigin"), "override");
  std::vector<std::pair<std::string, std::string>> want = {{"mail_name", "m"}, {"myorigin", "b"}};
  EXPECT_EQ(c->raw(), want);
  auto d = c->with("relay_domains", "$myorigin");
  EXPECT_TRUE(d->is_set("relay_domains"));
  EXPECT_FALSE(c->is_set("relay_domains"));
  EXPECT_EQ(d->list("relay_domains"), std::vector<std::string>{"b"});
}

class EnvGuard {
 public:
  EnvGuard() {
    const char* v = getenv("TERN_CONFIG");
    had_ = v != nullptr;
    if (had_) old_ = v;
  }
  ~EnvGuard() {
    if (had_) setenv("TERN_CONFIG", old_.c_str(), 1);
    else unsetenv("TERN_CONFIG");
  }

 private:
  bool had_ = false;
  std::string old_;
};

TEST(ConfigApi, Locate) {
  EnvGuard guard;
  unsetenv("TERN_CONFIG");
  EXPECT_EQ(locate(""), "/etc/tern/main.cf");
  EXPECT_EQ(locate("x.cf"), "x.cf");
  setenv("TERN_CONFIG", "", 1);
  EXPECT_EQ(locate(""), "/etc/tern/main.cf");
  setenv("TERN_CONFIG", "/srv/tern.cf", 1);
  EXPECT_EQ(locate(""), "/srv/tern.cf");
  EXPECT_EQ(locate("x.cf"), "x.cf");
}

TEST(ConfigApi, LoadFile) {
  char tmpl[] = "/tmp/tern-config-test-XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  std::string path = tmpl;
  std::ofstream(path) << "# test\nmyorigin = from.file\nmessage_size_limit = 1q\n";
  auto r = load_file(path);
  EXPECT_EQ(messages(r), std::vector<std::string>{path + ":3: error: message_size_limit = 1q: expected a number "
                                                         "of bytes such as 10240000 or 10m"});
  std::ofstream(path) << "# test\nmyorigin = from.file\n";
  r = load_file(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config->get("myorigin"), "from.file");
  EXPECT_EQ(r.config->origin("myorigin"), path + ":2");
  EXPECT_EQ(r.config->path(), path);
  unlink(path.c_str());
  r = load_file(path);
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].line, 0);
  EXPECT_EQ(r.diagnostics[0].file, path);
  EXPECT_TRUE(r.diagnostics[0].is_error);
}

TEST(ConfigApi, DemoConfig) {
  auto c = must_load(embedded_demo_config());
  EXPECT_EQ(c->get("smtpd_listen"), "127.0.0.1:2525");
  EXPECT_EQ(c->get("submission_listen"), "127.0.0.1:2587");
  EXPECT_EQ(c->get("submissions_listen"), "127.0.0.1:2465");
  EXPECT_EQ(c->get("smtpd_tls_cert_file"), "./var/tls/cert.pem");
  EXPECT_EQ(c->get("pop3_listen"), "127.0.0.1:2110");
  EXPECT_EQ(c->get("pop3s_listen"), "127.0.0.1:2995");
  EXPECT_EQ(c->get("imap_listen"), "127.0.0.1:2143");
  EXPECT_EQ(c->get("imaps_listen"), "127.0.0.1:2993");
  EXPECT_EQ(c->get("myhostname"), "mail.demo.test");
  EXPECT_EQ(c->get("mydomain"), "demo.test");
  EXPECT_EQ(c->get("mydestination"), "localhost");
  EXPECT_EQ(c->get("virtual_mailbox_domains"), "demo.test");
  EXPECT_EQ(c->get("virtual_mailbox_base"), "./var/mail");
  EXPECT_EQ(c->get("user_database"), "passwd-file:./var/users");
  EXPECT_EQ(c->get("alias_maps"), "texthash:./var/aliases");
  EXPECT_EQ(c->get("alias_database"), "texthash:./var/aliases");
  EXPECT_EQ(c->get("queue_directory"), "./var/queue");
  EXPECT_EQ(c->get("maillog_file"), "");
  EXPECT_TRUE(c->is_set("mail_owner"));
  EXPECT_EQ(c->get("mail_owner"), "");
  EXPECT_EQ(c->list("mynetworks"), std::vector<std::string>{"127.0.0.0/8"});
  EXPECT_EQ(c->get("smtpd_banner"), "mail.demo.test ESMTP tern");
}

}  // namespace
}  // namespace tern::config
