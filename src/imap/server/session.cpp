// The IMAP session loop, the response writer and the settings (see session.h).
#include "imap/server/session.h"

#include "base/log.h"
#include "base/strings.h"
#include "imap/proto/chars.h"
#include "imap/server/names.h"
#include "imap/server/notify_state.h"
#include "io/session_steps.h"

namespace tern::imap {

namespace {
// Responses are sent once this much is queued, even mid-FETCH.
constexpr size_t kFlushBytes = 64 * 1024;

ReaderLimits reader_limits(const Settings& s) {
  ReaderLimits l;
  l.max_literal_bytes = s.max_append_bytes;
  // LITERAL+ and LITERAL- are both advertised (RFC 7888): a client that
  // knows only LITERAL- keeps to 4096 bytes, LITERAL+ lets any size through.
  l.literal_plus = true;
  l.literal_minus = true;
  return l;
}
}  // namespace

Settings read_settings(const config::Config& c) {
  Settings s;
  s.hostname = c.get("myhostname");
  s.timeout = std::chrono::seconds(c.seconds("imapd_timeout"));
  s.tls_auth_only = c.boolean("imapd_tls_auth_only");
  s.max_append_bytes = c.limit_bytes("message_size_limit");
  s.failure_limit = static_cast<int>(c.integer("smtpd_sasl_failure_limit"));
  s.failure_sleep = std::chrono::seconds(c.seconds("smtpd_sasl_failure_sleep_time"));
  s.failure_window = std::chrono::seconds(c.seconds("smtpd_sasl_failure_window"));
  s.message_cache_bytes = static_cast<uint64_t>(c.bytes("imap_message_cache_size"));
  s.max_userip_connections = static_cast<size_t>(c.integer("mail_max_userip_connections"));
  return s;
}

Session::Session(SessionHost& host, std::unique_ptr<io::Stream> stream, io::Peer peer, bool implicit_tls)
    : host_(host),
      services_(host.services()),
      set_(services_->settings),
      stream_(std::move(stream)),
      ip_(std::move(peer.ip)),
      client_name_("[" + ip_ + "]"),
      implicit_tls_(implicit_tls),
      reader_(reader_limits(set_)) {
  host_.add(this);
}

Session::~Session() {
  if (counted_) host_.user_ip_counts()->release(user_, ip_);
  drop_handle_slot();
  host_.remove(this);
}

void Session::interrupt() {
  interrupted_ = true;
  stream_->cancel();
}

// Every tagged OK in the selected state reports what changed in the folder
// first. After a command that only looked, with the client's next command
// already here (pipelined), that report waits for the next command's OK:
// the client cannot have acted on it yet, and a client that pipelines five
// FETCHes then pays one refresh of the folder, not five.
void Session::ok(const Call& k, std::string_view text, bool allow_expunge) {
  if (state_ == State::selected && box_ && !(k.looks_only && reader_.pending_size() > 0)) sync(allow_expunge);
  out_ += k.c.tag + " OK " + std::string(text) + "\r\n";
}

void Session::no(const Call& k, std::string_view text) { out_ += k.c.tag + " NO " + std::string(text) + "\r\n"; }

void Session::bad(const Call& k, std::string_view text) { bad_tag(k.c.tag, text); }

void Session::bad_tag(const std::string& tag, std::string_view text) {
  ++bad_commands_;
  out_ += (tag.empty() ? "*" : tag) + " BAD " + std::string(text) + "\r\n";
}

void Session::hang_up(std::string_view text) {
  out_ += "* BYE " + std::string(text) + "\r\n";
  hang_up_ = true;
}

// Every wait of a session (for its client to read or to send) starts here
// or in fill(). Reopening the selected folder's four directories at every
// command costs nine system calls, so a session keeps them across a short
// wait while the server's budget of descriptors allows
// (SessionHost::take_handle_slot); past that budget, and always in IDLE, it
// closes them first (the next use opens them again). Thousands of sessions
// waiting in IDLE, or woken at once by one delivery, then cost one
// descriptor each, their socket. Not during APPEND: its drafts write into a
// folder.
void Session::release_folder_handles(bool long_wait) {
  status_boxes_.release();
  if (!box_) {
    drop_handle_slot();
    return;
  }
  forget_message_bytes();
  if (appending_ || !drafts_.empty()) return;
  if (!long_wait && (handle_slot_ || (handle_slot_ = host_.take_handle_slot()))) return;
  box_->release_handles();
  drop_handle_slot();
}

void Session::drop_handle_slot() {
  if (!handle_slot_) return;
  host_.return_handle_slot();
  handle_slot_ = false;
}

asio::awaitable<void> Session::flush() {
  if (closed_) co_return;
  if (write_failed_) {  // an IDLE push broke off part-way: what follows would be garbage to the client
    stream_->close();
    closed_ = true;
    co_return;
  }
  release_folder_handles();
  if (!out_.empty()) {
    // Most replies fit the socket's buffer: one send, no write operation
    // queued and resumed through the loop; the rest, if any, waits for room.
    asio::error_code ec;
    size_t n = stream_->try_write(asio::buffer(out_), ec);
    if (!ec && n < out_.size()) co_await stream_->write(asio::buffer(out_.data() + n, out_.size() - n), ec);
    out_.clear();
    if (ec) {
      log::info("imap: lost connection writing to {}", client_name_);
      hang_up_ = true;
    }
  }
  if (hang_up_) {
    stream_->close();
    closed_ = true;
  }
}

asio::awaitable<bool> Session::fill(const char* during) {
  auto shutting_down = [this] { return interrupted_ || host_.shutting_down(); };
  if (shutting_down()) {
    hang_up("Server shutting down.");
    co_return false;
  }
  release_folder_handles(/*long_wait=*/idle_poll_ != nullptr);
  size_t n = 0;
  auto got = co_await io::read_before_deadline(*stream_, watchdog_.get(), read_buf_, n);
  if (got == io::ReadOutcome::data) {
    reader_.feed(std::string_view(read_buf_.data(), n));
    co_return true;
  }
  if (got == io::ReadOutcome::timeout) {
    log::info("imap: timeout after {} from {}", during, client_name_);
    hang_up("Disconnected for inactivity.");
  } else if (shutting_down()) {
    hang_up("Server shutting down.");
  } else if (idle_poll_ && idle_poll_->fired()) {
    co_return true;  // IDLE's poll interrupted the read: nothing was lost
  } else {
    log::info("imap: lost connection after {} from {}", during, client_name_);
    stream_->close();
    closed_ = true;
  }
  co_return false;
}

std::string Session::capabilities() const {
  std::string caps =
      "IMAP4rev1 IMAP4rev2 SASL-IR LITERAL+ LITERAL- ID ENABLE IDLE UIDPLUS MOVE UNSELECT CHILDREN SPECIAL-USE NAMESPACE "
      "LIST-EXTENDED LIST-STATUS ESEARCH STATUS=SIZE BINARY MULTIAPPEND CATENATE SORT SORT=DISPLAY ESORT CONTEXT=SEARCH CONTEXT=SORT "
      "THREAD=ORDEREDSUBJECT THREAD=REFERENCES UTF8=ACCEPT CONDSTORE QRESYNC SEARCHRES NOTIFY";
  // RFC 7889: the largest APPEND, the same for every mailbox.
  // Without a limit, APPENDLIMIT has no value and STATUS says NIL (RFC 7889).
  caps += set_.max_append_bytes == config::Config::kNoLimit ? std::string(" APPENDLIMIT")
                                                            : " APPENDLIMIT=" + std::to_string(set_.max_append_bytes);
  if (state_ != State::not_authenticated) caps += " COMPRESS=DEFLATE QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE";
  if (state_ == State::not_authenticated) {
    if (services_->tls && !tls_active_) caps += " STARTTLS";
    if (login_allowed()) caps += " AUTH=PLAIN AUTH=LOGIN";
    else caps += " LOGINDISABLED";
  }
  return caps;
}

asio::awaitable<void> Session::run() {
  auto self = shared_from_this();
  log::info("imap: connect from {}", client_name_);
  watchdog_ = std::make_shared<io::Watchdog>(*stream_, host_.clock());
  watchdog_->start();
  watchdog_->arm(set_.timeout);
  if (implicit_tls_ && !co_await start_tls()) {
    watchdog_->stop();
    log::info("imap: disconnect from {}", client_name_);
    co_return;
  }
  out_ += "* OK [CAPABILITY " + capabilities() + "] " + set_.hostname + " IMAP server ready.\r\n";

  while (!closed_) {
    if (hang_up_) {
      co_await flush();
      break;
    }
    Event e = reader_.next();
    switch (e.kind) {
      case Event::Kind::need_more:
        if (notify_ && !appending_ && reader_.between_commands()) {
          co_await notify_wait();
          continue;
        }
        co_await flush();
        if (!closed_) (void)co_await fill(appending_ ? "APPEND" : "command");
        continue;
      case Event::Kind::literal: decide_literal(e.literal); break;
      case Event::Kind::continuation:
        out_ += "+ Ready for literal data\r\n";
        co_await flush();
        break;
      case Event::Kind::literal_chunk:
        if (appending_) append_chunk(e.chunk);
        break;
      case Event::Kind::error:
        end_append();
        ++bad_commands_;
        out_ += e.error.response();
        if (e.error.close) hang_up("Connection out of sync.");
        break;
      case Event::Kind::command:
        watchdog_->arm(set_.timeout);
        co_await dispatch(e.command);
        end_append();
        break;
    }
    if (out_.size() >= kFlushBytes) co_await flush();
    if (bad_commands_ >= kMaxBadCommands && !hang_up_ && !closed_) {
      log::warn("imap: too many bad commands from {}", client_name_);
      hang_up("Too many invalid IMAP commands.");
    }
  }
  if (!closed_) stream_->close();
  // A connection that ended inside APPEND: its drafts go (their files
  // removed from tmp/) before the mailboxes they write into.
  end_append();
  notify_.reset();
  box_.reset();
  status_boxes_.forget();
  store_.reset();
  watchdog_->stop();
  log::info("imap: disconnect from {}", client_name_);
}

void Session::decide_literal(const LiteralInfo& lit) {
  const Command& c = reader_.partial();
  // APPEND mailbox [flags] [date] literal ...: a literal after the mailbox
  // is a message (RFC 3502 MULTIAPPEND: several), or a TEXT part of a
  // CATENATE message (RFC 4469), or a URL given as a literal (kept).
  if (c.name != "APPEND" || c.args.empty()) return;
  const auto& a = c.args;
  // Inside a CATENATE list (the last argument) a literal follows TEXT, or
  // opens UTF8's list, or is a URL; after a closed list it is a message.
  bool cat = false;
  if (a.size() >= 3 && a.back().kind == Value::Kind::list && a[a.size() - 2].keyword() == "CATENATE" &&
      !a.back().items.empty()) {
    const auto& parts = a.back().items;
    const Value& last = parts.back();
    if (last.keyword() == "URL") return;  // a URL given as a literal: kept in the tree
    cat = last.keyword() == "TEXT" || (last.kind == Value::Kind::list && last.items.empty() && parts.size() >= 2 &&
                                       parts[parts.size() - 2].keyword() == "UTF8");
  }
  auto refuse = [&](std::string reply) {
    reader_.refuse_literal();
    end_append();
    out_ += c.tag + " " + reply + "\r\n";
  };
  if (state_ == State::not_authenticated) {
    ++bad_commands_;
    return refuse("BAD Command not valid in this state.");
  }
  if (!append_dest_) {
    // Its size was checked by the reader (message_size_limit).
    auto name = a[0].astring();
    std::string refusal = "NO Invalid mailbox name.";
    if (!name || !open_append_dest(*name, &refusal)) return refuse(refusal);
  }
  auto refuse_store = [&](const Error& e) {
    log::warn("imap: {}: user={}: APPEND: {}", client_name_, user_, e.detail);
    refuse(e.is_temporary() ? "NO [UNAVAILABLE] APPEND failed; try again later." : "NO [CANNOT] APPEND failed.");
  };
  // The parts before this literal (URLs of CATENATE messages) go first.
  catenate_walk(a, cat);
  if (!append_refusal_.empty()) return refuse("NO " + append_refusal_);
  if (append_error_) return refuse_store(Error(*append_error_));  // an earlier message of this APPEND
  if (!cat && !begin_message()) return refuse_store(Error(*append_error_));
  // A catenated message is limited as a whole; a literal alone was checked by the reader.
  if (message_bytes_ + lit.size > set_.max_append_bytes) return refuse("NO [TOOBIG] Message too big.");
  // RFC 9208: over the account's quota (counting the messages of this
  // MULTIAPPEND before it), refused before any byte is stored.
  if (over_quota(append_bytes_ + lit.size, drafts_.size()))
    return refuse("NO [OVERQUOTA] Quota exceeded (mailbox for user is full).");
  append_bytes_ += lit.size;
  message_bytes_ += lit.size;
  reader_.stream_literal();
  appending_ = true;
}

asio::awaitable<void> Session::dispatch(const Command& c) {
  Call k{c};
  std::string name = c.name;
  if (name == "UID") {
    std::string sub = c.args.empty() ? "" : c.args[0].keyword();
    const CommandSpec* s = spec(sub);
    if (!s || !(s->flags & kUidForm)) {
      bad(k, "Unknown UID command.");
      co_return;
    }
    name = sub;
    k.uid = true;
    k.first = 1;
  }
  const CommandSpec* s = spec(name);
  if (!s) {
    bad(k, "Unknown command.");
    co_return;
  }
  unsigned now = state_ == State::not_authenticated ? kNotAuth : state_ == State::authenticated ? kAuth : kSelected;
  if (!(s->flags & now)) {
    bad(k, state_ == State::not_authenticated ? "Not logged in." : "Command not valid in this state.");
    co_return;
  }
  k.looks_only = s->flags & kLooksOnly;
  co_await (this->*s->handler)(k);
}

}  // namespace tern::imap
