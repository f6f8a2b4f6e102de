// Session: one IMAP connection, one coroutine (RFC 9051, RFC 3501 for
// IMAP4rev1 clients). Bytes go into imap::CommandReader (literals, limits,
// errors with the tag); each command is dispatched through a command table
// (command_table.cpp: name, handler, the states it is allowed in, whether
// a UID form exists); every response is queued in one buffer sent when the
// client has nothing more pipelined or the buffer is large.
//
// States (RFC 9051 3): not authenticated (greeting, CAPABILITY, STARTTLS,
// LOGIN, AUTHENTICATE), authenticated (mailbox commands), selected (message
// commands over SelectedView, view.h), logout. A completed command in the
// selected state first tells the client what changed (view.h: EXPUNGE,
// EXISTS, FETCH FLAGS), then answers tagged OK.
//
// Handlers: cmd_auth.cpp (LOGIN, AUTHENTICATE, the login), cmd_starttls.cpp, cmd_compress.cpp, cmd_quota.cpp,
// cmd_mailboxes.cpp (LIST, LSUB, CREATE, DELETE, RENAME, SUBSCRIBE,
// UNSUBSCRIBE, STATUS), cmd_select.cpp (SELECT, EXAMINE, CLOSE, UNSELECT,
// EXPUNGE, CHECK), cmd_fetch.cpp, cmd_store.cpp, cmd_search.cpp, cmd_sort.cpp,
// cmd_context.cpp (CANCELUPDATE, RFC 5267 UPDATE contexts),
// cmd_copy.cpp (COPY, MOVE), cmd_append.cpp (APPEND, MULTIAPPEND), cmd_catenate.cpp (CATENATE), cmd_idle.cpp,
// cmd_notify.cpp (NOTIFY), and
// CAPABILITY, NOOP, LOGOUT, ID, ENABLE in command_table.cpp.
//
// SECURITY: everything read is untrusted. Limits: CommandReader's (line,
// command, literal, depth, values), APPEND's literal (message_size_limit),
// bad commands per session (kMaxBadCommands), the idle time per command
// and in IDLE (imapd_timeout), failed logins per client address (shared
// with SMTP AUTH and POP3). Mailbox names go through names.h and the
// store's own check; a user sees only the MailStore of their account.
#pragma once

#include <array>
#include <asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "imap/proto/command_reader.h"
#include "imap/proto/fetch.h"
#include "imap/proto/search.h"
#include "imap/proto/sequence_set.h"
#include "imap/proto/sort.h"
#include "imap/server/host.h"
#include "imap/server/message_text.h"
#include "imap/server/notify_plan.h"
#include "imap/server/search_context.h"
#include "imap/server/status_boxes.h"
#include "imap/server/subscriptions.h"
#include "imap/server/view.h"
#include "io/stream.h"
#include "io/tcp_stream.h"
#include "io/watchdog.h"
#include "sasl/mechanism.h"

namespace tern::imap {

struct NotifyState;

// RFC 4954's limit on a SASL response line, as SMTP and POP3 use it.
inline constexpr size_t kSaslLineBytes = 12288;
// Bad or misplaced commands after which the session is closed (Dovecot: 20).
inline constexpr int kMaxBadCommands = 20;

class Session : public std::enable_shared_from_this<Session> {
 public:
  // implicit_tls: port 993 (RFC 8314), TLS from the first byte.
  Session(SessionHost& host, std::unique_ptr<io::Stream> stream, io::Peer peer, bool implicit_tls = false);
  ~Session();
  asio::awaitable<void> run();
  // SIGTERM: interrupt the current read; the session says BYE and closes.
  // On the session's own thread (executor()).
  void interrupt();
  asio::any_io_executor executor() const { return stream_->get_executor(); }

  enum class State { not_authenticated, authenticated, selected };
  // The command as dispatched: `uid` for "UID FETCH ...", whose args then
  // start after the sub-command (args[first]).
  struct Call {
    const Command& c;
    bool uid = false;
    size_t first = 0;
    bool looks_only = false;  // kLooksOnly: see ok()
  };
  using Handler = asio::awaitable<void> (Session::*)(const Call&);
  // kLooksOnly: the command reads the folder and changes nothing in it but
  // \Seen (FETCH, SEARCH, SORT, THREAD).
  enum Flag : unsigned { kNotAuth = 1, kAuth = 2, kSelected = 4, kUidForm = 8, kLooksOnly = 16 };
  struct CommandSpec {
    std::string_view name;
    Handler handler;
    unsigned flags;
  };
  static const CommandSpec* spec(std::string_view name);
  // SORT and THREAD (cmd_sort.cpp): one message that matched, with what they compare.
  struct SortRow {
    uint32_t msn = 0, uid = 0;
    uint64_t size = 0;
    int64_t arrival = 0, date = 0;  // INTERNALDATE; the Date: header, or INTERNALDATE
    SortFields fields;              // casemapped; subject as base subject
    bool reply = false;             // the subject had a "Re:" or "Fwd:"
  };

 private:
  // Responses: queued, sent by flush().
  void untagged(std::string_view text) { out_ += "* " + std::string(text) + "\r\n"; }
  // Tagged OK; in the selected state, the untagged updates go first.
  void ok(const Call& k, std::string_view text, bool allow_expunge = true);
  void no(const Call& k, std::string_view text);
  // Tagged BAD, counted.
  void bad(const Call& k, std::string_view text);
  void bad_tag(const std::string& tag, std::string_view text);
  // Queues "* BYE ..."; the next flush() sends it and closes.
  void hang_up(std::string_view text);
  asio::awaitable<void> flush();
  // long_wait: IDLE, which always lets them go.
  void release_folder_handles(bool long_wait = false);
  void drop_handle_slot();
  // More bytes into the reader; false when the connection is over.
  asio::awaitable<bool> fill(const char* during);
  asio::awaitable<void> dispatch(const Command& c);
  // At Event::literal: APPEND's message is streamed (or refused at once).
  void decide_literal(const LiteralInfo& lit);
  // cmd_append.cpp: a streamed piece of the current message; the held CR
  // of the last piece; dropping every uncommitted draft.
  void append_chunk(std::string_view chunk);
  void finish_draft();
  void end_append();
  std::string capabilities() const;

  // command_table.cpp
  asio::awaitable<void> cmd_capability(const Call& k);
  asio::awaitable<void> cmd_namespace(const Call& k);
  asio::awaitable<void> cmd_noop(const Call& k);
  asio::awaitable<void> cmd_logout(const Call& k);
  asio::awaitable<void> cmd_id(const Call& k);
  asio::awaitable<void> cmd_enable(const Call& k);

  // cmd_auth.cpp
  asio::awaitable<void> cmd_login(const Call& k);
  asio::awaitable<void> cmd_authenticate(const Call& k);
  bool login_allowed() const;
  asio::awaitable<std::optional<std::string>> read_sasl_line();
  asio::awaitable<void> login(const Call& k, sasl::Credentials creds, std::string_view method);
  asio::awaitable<void> login_failed(const Call& k, std::string_view method, const std::string& why);
  bool too_many_failures();

  // cmd_starttls.cpp
  asio::awaitable<void> cmd_starttls(const Call& k);
  // cmd_compress.cpp
  asio::awaitable<void> cmd_compress(const Call& k);
  // cmd_quota.cpp
  asio::awaitable<void> cmd_getquotaroot(const Call& k);
  asio::awaitable<void> cmd_getquota(const Call& k);
  std::string quota_response();
  // True when `messages` more messages of `bytes` in all would go over the
  // account's quota (an unreadable usage is logged and does not refuse).
  bool over_quota(uint64_t bytes, uint64_t messages);
  asio::awaitable<bool> start_tls();

  // cmd_mailboxes.cpp
  asio::awaitable<void> cmd_list(const Call& k);
  asio::awaitable<void> cmd_lsub(const Call& k);
  asio::awaitable<void> cmd_create(const Call& k);
  asio::awaitable<void> cmd_delete(const Call& k);
  asio::awaitable<void> cmd_rename(const Call& k);
  asio::awaitable<void> cmd_subscribe(const Call& k);
  asio::awaitable<void> cmd_unsubscribe(const Call& k);
  asio::awaitable<void> cmd_status(const Call& k);
  // The store folder an argument names, or nullopt after a BAD/NO.
  std::optional<std::string> folder_arg(const Call& k, size_t i);
  // A client's mailbox name as a store folder: modified UTF-7, or UTF-8
  // after ENABLE UTF8=ACCEPT (names.h); nullopt when it names none.
  std::optional<std::string> client_folder(std::string_view name) const;
  // A store folder's name as the client sees it, formatted as an astring.
  std::string mailbox_out(std::string_view folder) const;
  // The attributes SELECT's LIST response carries (RFC 9051 6.3.2):
  // \HasChildren or \HasNoChildren, and the special use.
  std::string select_list_attributes(const std::string& folder);
  // Whether the store holds a folder below `folder` ("folder.x").
  bool has_inferiors(const std::string& folder);
  // A permanent or temporary store error as NO [code] text.
  void store_error(const Call& k, const Error& e, std::string_view what);

  // cmd_select.cpp
  asio::awaitable<void> cmd_select(const Call& k);
  asio::awaitable<void> cmd_examine(const Call& k);
  asio::awaitable<void> cmd_close(const Call& k);
  asio::awaitable<void> cmd_unselect(const Call& k);
  asio::awaitable<void> cmd_expunge(const Call& k);
  asio::awaitable<void> cmd_check(const Call& k);
  asio::awaitable<void> select(const Call& k, bool read_only);
  // SELECT's QRESYNC (RFC 7162 3.2.5): VANISHED (EARLIER) and FETCH of what
  // changed after `since` among the known UIDs.
  void resync(uint64_t since, const std::optional<SequenceSet>& known);
  // The UIDs (of known, if given) expunged after `since`, as a UID set ("" if none).
  std::string vanished_since(uint64_t since, const SequenceSet* known);
  // Expunges the \Deleted messages of the view (among uids, if given).
  Status expunge_deleted(const std::optional<SequenceSet>& uids);
  void deselect();
  // refresh() and sync of the view (untagged responses into out_).
  // told: for a sync after a push, the change hub's generation the push
  // was told at (store::Mailbox::refresh_after); 0 for any other.
  void sync(bool allow_expunge, uint64_t told = 0);
  // CONDSTORE (RFC 7162 3.1): turned on by ENABLE or the first command that
  // uses it; a selected mailbox then reads its mod-sequences, and the client
  // is told HIGHESTMODSEQ (announce) unless SELECT tells it anyway.
  void enable_condstore(bool announce = true);
  SelectedView::Mode view_mode() const { return {condstore_, qresync_}; }
  // A keyword the client was not told of in FLAGS (another session, or
  // this STORE, made it) must be announced before any FETCH shows it (RFC
  // 9051 7.3.5): untagged FLAGS and PERMANENTFLAGS again.
  void announce_keywords();
  // The UIDs a sequence set names (by UID or by sequence number), ascending;
  // nullopt after a BAD.
  std::optional<std::vector<uint32_t>> resolve_set(const Call& k, size_t arg);

  // cmd_fetch.cpp
  asio::awaitable<void> cmd_fetch(const Call& k);
  // One message's FETCH items (without the FLAGS a \Seen adds); nullopt
  // when it is gone or unreadable (unknown_cte: a BINARY it cannot decode).
  std::optional<std::string> fetch_items(uint32_t uid, const store::MessageInfo& m, const std::vector<FetchAtt>& atts,
                                         bool& unknown_cte);
  // message_access.cpp: CRLF bytes of one message, kept for the next
  // attribute of one command (forget_message_bytes before every wait).
  const std::string* message_bytes(uint32_t uid);
  void forget_message_bytes();
  uint64_t rfc822_size(const store::MessageInfo& m);
  // Its header, ENVELOPE and structures (message_cache.h); nullptr: unreadable.
  std::shared_ptr<const CachedMessage> message_facts(uint32_t uid);
  // Its header (CRLF, with the blank line), valid until the next call.
  const std::string* message_header(uint32_t uid);

  // cmd_store.cpp
  asio::awaitable<void> cmd_store(const Call& k);
  // cmd_search.cpp
  asio::awaitable<void> cmd_search(const Call& k);
  // A parse error, SAVE where it is not offered (save_ok: SEARCH) or,
  // after ENABLE IMAP4rev2, RECENT/NEW/OLD answered: true; a MODSEQ key
  // turns CONDSTORE on.
  bool search_refused(const Call& k, const SearchError* e, const SearchRequest* req, bool save_ok = false);
  // With a MODSEQ key in root: the highest mod-sequence of those messages; else 0.
  uint64_t hits_modseq(const SearchKey& root, const std::vector<uint32_t>& msns);
  // The sequence numbers of the messages that match, ascending.
  std::vector<uint32_t> search_msns(const SearchKey& root);
  // "ESEARCH (TAG ...) [UID] MIN .. MAX .. COUNT .. ALL .." of hits in their order.
  std::string esearch_line(const Call& k, const SearchRequest& req, const std::vector<uint32_t>& hits);
  // cmd_sort.cpp: SORT and THREAD
  asio::awaitable<void> cmd_sort(const Call& k);
  asio::awaitable<void> cmd_thread(const Call& k);
  // The rows of the messages matching root; headers: read their header
  // fields too (false when no MIME parser is wired: NO [CANNOT] answered).
  std::optional<std::vector<SortRow>> sort_rows(const Call& k, const SearchKey& root, bool headers);
  std::vector<SortRow> matching_rows(const SearchKey& root, bool headers);
  // The rows matching root in the order of the criteria (ties by sequence number).
  std::vector<SortRow> sorted_rows(const SearchKey& root, const std::vector<SortCriterion>& criteria);
  // cmd_context.cpp: RFC 5267 UPDATE contexts and CANCELUPDATE.
  asio::awaitable<void> cmd_cancelupdate(const Call& k);
  // RETURN (UPDATE) with a tag that a live context has: BAD answered, true.
  bool context_tag_taken(const Call& k, const SearchRequest& req);
  // Keeps the result (UIDs, in their order) live, or answers NO [NOUPDATE].
  void open_context(const Call& k, const SearchKey& root, const std::vector<SortCriterion>* criteria,
                    std::vector<uint32_t> uids);
  // Re-evaluates the contexts if the folder changed and queues their
  // ADDTO/REMOVEFROM; sync() calls it before the view's EXPUNGEs (its
  // REMOVEFROMs name sequence numbers still valid) and after its EXISTS.
  void update_contexts();
  // cmd_copy.cpp
  asio::awaitable<void> cmd_copy(const Call& k);
  asio::awaitable<void> cmd_move(const Call& k);
  asio::awaitable<void> copy_or_move(const Call& k, bool move);
  void take_back(store::Mailbox& dest, const std::vector<uint32_t>& made, std::string_view what);
  // cmd_append.cpp
  asio::awaitable<void> cmd_append(const Call& k);
  // The destination of an APPEND (box_, or a folder opened for it); false
  // with *refusal the tagged answer ("NO [TRYCREATE] ...").
  bool open_append_dest(std::string_view name, std::string* refusal);
  // A new message of this APPEND: the last one's draft finished, a new draft.
  bool begin_message();
  // cmd_catenate.cpp: CATENATE (RFC 4469). Walks APPEND's arguments from
  // where the last call stopped, begins a draft for each CATENATE message
  // and writes its URL parts into it in order; list_open: the last
  // argument is a CATENATE list still being read (a TEXT literal of it is
  // coming). Stops at the first failure (append_refusal_, append_error_).
  void catenate_walk(const std::vector<Value>& args, bool list_open);
  // One URL part written into the current draft (false: append_refusal_ set).
  bool catenate_url(std::string_view url);
  // The bytes (CRLF) a URL names; nullopt with append_refusal_ set.
  std::optional<std::string> url_bytes(std::string_view url);
  // cmd_idle.cpp
  asio::awaitable<void> cmd_idle(const Call& k);
  // cmd_notify.cpp: NOTIFY (RFC 5465). notify_wait: between commands with
  // NOTIFY on, what changed is told, then the read waits for the client,
  // a push or the poll timer. notify_report: the notifications for what
  // was pushed (or everything, after the timer). notify_watch: the pushes
  // registered for the folders the plan covers, and what is known of them
  // (false: too many). notify_names / notify_subscriptions: LIST for what
  // changed (true: something did). notify_status: STATUS items of a
  // folder, and in *compared what decides that it changed.
  asio::awaitable<void> cmd_notify(const Call& k);
  asio::awaitable<void> notify_wait();
  void notify_report();
  void notify_pushed(int what, const std::string& folder);
  bool notify_watch();
  bool notify_names();
  bool notify_subscriptions();
  void notify_selected(const NotifyPlan::Group& g);
  std::optional<std::string> notify_status(const std::string& folder, bool flags, std::string* compared);

  SessionHost& host_;
  std::shared_ptr<const Services> services_;
  const Settings& set_;
  std::unique_ptr<io::Stream> stream_;
  std::string ip_;
  std::string client_name_;  // "[192.0.2.1]" in log lines
  bool implicit_tls_;
  std::shared_ptr<io::Watchdog> watchdog_;
  std::shared_ptr<io::Watchdog> idle_poll_;  // in IDLE: interrupts the read to look at the mailbox
  bool idle_pushed_ = false;                 // in IDLE: the store said the mailbox changed
  uint64_t idle_told_ = 0;                   // ... at this generation of the change hub (the latest)
  class IdlePush;                            // cmd_idle.cpp: what the watch queues to the session's loop
  // In IDLE, a push is answered beside the outstanding read (cmd_idle.cpp):
  bool idle_in_place_ = false;          // the read waits and pushes write beside it
  bool push_writing_ = false;           // push_writer() is sending out_
  bool write_failed_ = false;           // a write broke off: nothing more can be sent
  std::function<void(int)> push_done_;  // the command loop, waiting for push_writer() to end
  void push_in_place(uint64_t told);
  void push_broke();
  asio::awaitable<void> push_writer(std::shared_ptr<Session> self);
  asio::awaitable<void> push_settled();  // returns once no push write is under way
  CommandReader reader_;
  std::array<char, 16384> read_buf_;
  std::string out_;
  State state_ = State::not_authenticated;
  bool tls_active_ = false;
  bool compressed_ = false;  // COMPRESS DEFLATE is on (RFC 4978)
  bool condstore_ = false;   // RFC 7162 CONDSTORE enabled (ENABLE, or a command using it)
  bool qresync_ = false;     // ENABLE QRESYNC (implies CONDSTORE)
  bool hang_up_ = false;
  bool closed_ = false;
  bool interrupted_ = false;
  int bad_commands_ = 0;
  bool utf8_ = false;  // ENABLE UTF8=ACCEPT (RFC 6855) or IMAP4rev2: UTF-8 names and strings
  bool rev2_ = false;  // ENABLE IMAP4rev2 (RFC 9051 6.3.1): rev2 responses (no SEARCH, no RECENT)

  // Authenticated.
  std::string user_;
  bool counted_ = false;  // in the host's UserIpCounts (mail_max_userip_connections)
  std::unique_ptr<store::MailStore> store_;
  std::unique_ptr<Subscriptions> subscriptions_;
  // Selected.
  std::unique_ptr<store::Mailbox> box_;
  bool read_only_ = false;
  SelectedView view_;
  std::vector<std::string> told_keywords_;  // in the last FLAGS sent
  std::vector<uint32_t> saved_uids_;        // "$": SEARCH RETURN (SAVE)'s UIDs, ascending (RFC 5182)
  std::unique_ptr<NotifyState> notify_;     // NOTIFY SET is on (cmd_notify.cpp)
  std::vector<SearchContext> contexts_;     // RFC 5267 UPDATE contexts, oldest first
  uint64_t contexts_seen_ = 0;              // the folder's fingerprint when they were last evaluated
  // APPEND's literals (several with MULTIAPPEND), each written into its
  // folder's tmp/ as it arrives (cmd_append.cpp), committed by cmd_append.
  bool appending_ = false;
  bool handle_slot_ = false;  // may keep the folder's handles while waiting (SessionHost::take_handle_slot)
  store::Mailbox* append_dest_ = nullptr;         // box_, or append_box_
  StatusBoxes status_boxes_;                       // folders kept for STATUS (status_boxes.h)
  std::unique_ptr<store::Mailbox> append_box_;    // the destination when not the selected folder
  std::vector<std::unique_ptr<store::AppendDraft>> drafts_;
  uint64_t append_bytes_ = 0;  // literal sizes of this APPEND so far (quota)
  std::string account_root_;   // the account's Maildir root (maildirsize)
  store::QuotaRule quota_;     // its quota rule (none: no limit)
  std::optional<Error> append_error_;             // a write failed: the APPEND fails, nothing is kept
  std::string append_refusal_;  // a CATENATE part failed: the text after the tagged NO
  uint64_t message_bytes_ = 0;  // the message being written so far (TOOBIG over message_size_limit)
  size_t cat_arg_ = 1;          // catenate_walk: the next argument to look at
  size_t cat_item_ = 0;         // and the next part within its CATENATE list
  bool cat_begun_ = false;      // the draft of that CATENATE message exists
  LfStream lf_;
  // The message bytes of the last FETCH'd message.
  uint32_t cached_uid_ = 0;
  std::string cached_bytes_;
  std::shared_ptr<const CachedMessage> held_facts_;  // message_header's
};

}  // namespace tern::imap
