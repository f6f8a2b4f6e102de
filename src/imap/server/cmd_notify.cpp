// NOTIFY (RFC 5465): the client names mailboxes and events once, and the
// server tells it of them as they happen, between commands and in IDLE,
// without being asked.
//
// How changes are learnt: pushes through the process's ChangeHub (a
// delivery, an APPEND, COPY or EXPUNGE by any session of this process, a
// folder created, deleted or renamed, the subscriptions file rewritten),
// and for changes by other processes (Dovecot, mutt) a look at everything
// every idle_poll (30 s), as IDLE does. A push interrupts the session's
// read as IDLE's does (idle_poll_), so the client hears at once.
//
// What is said (RFC 5465 5): for the selected mailbox, with "selected",
// EXISTS, EXPUNGE (VANISHED under QRESYNC) and, with FlagChange, FETCH
// FLAGS, each new message followed by a FETCH of MessageNew's attributes
// (never setting \Seen); "selected-delayed" holds the expunges until a
// command that may announce them. For other mailboxes, a STATUS with
// MESSAGES, UIDNEXT, UIDVALIDITY and UNSEEN (HIGHESTMODSEQ too once
// CONDSTORE is on) when their messages changed (flags count only with
// FlagChange); MailboxName: LIST for a new folder, LIST (\NonExistent) for
// one that went, LIST with OLDNAME for a rename made in this process
// (store/rename_log.h; one by another process shows as the other two);
// SubscriptionChange: LIST with or without \Subscribed.
//
// SECURITY: the client's names go through client_folder() like any other;
// names that are no folder are ignored (RFC 5465 6); at most
// kMaxNotifyNames mailboxes are watched (NO [LIMIT] past that).
#include <algorithm>
#include <map>

#include "base/log.h"
#include "imap/proto/fetch.h"
#include "imap/proto/notify.h"
#include "imap/server/mailbox_status.h"
#include "imap/server/notify_state.h"
#include "imap/server/session.h"
#include "io/batched_post.h"

namespace tern::imap {
namespace {

using Filter = NotifyGroup::Filter;
enum Push { kFolder, kNames, kSubscriptions };

}  // namespace

asio::awaitable<void> Session::cmd_notify(const Call& k) {
  auto parsed = parse_notify(k.c.args);
  if (auto* e = std::get_if<NotifyError>(&parsed)) {
    if (e->bad_event) no(k, std::string("[BADEVENT ") + kNotifyEvents + "] " + e->text);
    else bad(k, e->text);
    co_return;
  }
  auto& req = std::get<NotifyRequest>(parsed);
  if (req.none) {
    notify_.reset();
    ok(k, "NOTIFY completed.");
    co_return;
  }
  // A NOTIFY SET that fails leaves the one before in force.
  auto st = std::make_unique<NotifyState>();
  std::vector<NotifyPlan::Group> groups;
  bool have_selected = false;
  for (auto& g : req.groups) {
    NotifyPlan::Group p;
    p.filter = g.filter;
    p.events = g.events;
    for (const auto& name : g.names)
      if (auto f = client_folder(name)) p.folders.push_back(*f);
    if (g.for_selected() && !have_selected) {
      have_selected = true;
      if (!g.events.fetch.empty()) {
        auto f = parse_fetch(g.events.fetch, 0);
        if (auto* e = std::get_if<std::string>(&f)) {
          bad(k, *e);
          co_return;
        }
        auto& fr = std::get<FetchRequest>(f);
        for (const auto& a : fr.atts) {
          if (a.needs_structure() && !services_->structure) {
            no(k, "[CANNOT] ENVELOPE, BODYSTRUCTURE, MIME parts and BINARY are not available.");
            co_return;
          }
        }
        st->new_fetch = std::move(fr.atts);
      }
    }
    groups.push_back(std::move(p));
  }
  st->plan = NotifyPlan(std::move(groups));
  auto list = store_->list();
  if (!list) {
    store_error(k, list.error(), "NOTIFY");
    co_return;
  }
  st->folders = std::move(*list);
  st->subscribed = subscriptions_->names();
  (void)store_->renames_since(&st->rename_cursor);  // renames from now on
  std::swap(notify_, st);
  if (!notify_watch()) {
    std::swap(notify_, st);
    no(k, "[LIMIT] Too many mailboxes to watch; name fewer.");
    co_return;
  }
  st.reset();
  if (req.status) {
    // RFC 5465 3: STATUS for every mailbox of the non-selected groups, now.
    for (const auto& [folder, known] : notify_->known) {
      const NotifyEvents* ev = notify_->plan.events_for(folder, notify_->subscribed);
      if (auto items = notify_status(folder, ev && ev->flag_change, nullptr))
        untagged("STATUS " + mailbox_out(folder) + " (" + *items + ")");
    }
  }
  ok(k, "NOTIFY completed.");
}

std::optional<std::string> Session::notify_status(const std::string& folder, bool flags, std::string* compared) {
  auto box = status_boxes_.open(*store_, folder);
  if (!box) return std::nullopt;
  std::vector<std::string> items{"MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN"};
  if (condstore_) items.push_back("HIGHESTMODSEQ");
  std::string all = status_items(**box, items, set_.max_append_bytes);
  // Without FlagChange, UNSEEN and HIGHESTMODSEQ do not count: the items are in order.
  if (compared) *compared = flags ? all : all.substr(0, all.find(" UNSEEN "));
  return all;
}

void Session::notify_pushed(int what, const std::string& folder) {
  if (!notify_) return;
  if (what == kFolder) notify_->dirty.insert(folder);
  else if (what == kNames) notify_->names_dirty = true;
  else notify_->subscriptions_dirty = true;
  if (idle_poll_) idle_poll_->fire_now();  // the wait ends now
}

bool Session::notify_watch() {
  NotifyState& st = *notify_;
  // The callbacks run on the changing thread with the hub's lock held: post.
  auto push = [ex = stream_->get_executor(), weak = weak_from_this()](int what, std::string folder) {
    return [ex, weak, what, folder = std::move(folder)] {
      io::post_batched(ex, [weak, what, folder] {
        if (auto s = weak.lock()) s->notify_pushed(what, folder);
      });
    };
  };
  const NotifyPlan::Group* sel = st.plan.selected();
  st.selected = box_ && state_ == State::selected ? box_->name() : "";
  const std::string watched_selected = sel && sel->events.message_new ? st.selected : "";
  std::map<std::string, std::unique_ptr<store::ChangeHub::Watch>> keep;
  std::map<std::string, std::string> known;
  for (const auto& f : st.folders) {
    const NotifyEvents* ev = f == st.selected ? nullptr : st.plan.events_for(f, st.subscribed);
    bool others = ev && ev->message_new;
    if (!others && f != watched_selected) continue;
    if (keep.size() >= kMaxNotifyNames) return false;
    auto w = st.watches.find(f);
    keep[f] = w != st.watches.end() ? std::move(w->second) : store_->watch(f, push(kFolder, f));
    if (!others) continue;
    if (auto old = st.known.find(f); old != st.known.end()) {
      known[f] = std::move(old->second);
    } else {
      std::string compared;
      if (notify_status(f, ev->flag_change, &compared)) known[f] = std::move(compared);
    }
  }
  st.watches = std::move(keep);
  st.known = std::move(known);
  if (!st.names_watch) st.names_watch = store_->watch_names(push(kNames, ""));
  if (!st.subscriptions_watch && !subscriptions_->path().empty())
    st.subscriptions_watch = store::ChangeHub::process().watch(subscriptions_->path(), push(kSubscriptions, ""));
  return true;
}

bool Session::notify_names() {
  NotifyState& st = *notify_;
  auto list = store_->list();
  if (!list) {
    log::warn("imap: {}: user={}: NOTIFY: listing folders: {}", client_name_, user_, list.error().detail);
    return false;
  }
  std::set<std::string> before(st.folders.begin(), st.folders.end()), now(list->begin(), list->end());
  const auto renames = store_->renames_since(&st.rename_cursor);
  if (before == now) return false;
  // A folder gone whose name, carried through this process's renames (its
  // parent's too), is a folder come: one rename, told with OLDNAME.
  std::map<std::string, std::string> old_name_of;  // new name -> old name
  for (const auto& gone : before) {
    if (now.count(gone)) continue;
    std::string name = gone;
    for (const auto& [from, to] : renames) {
      if (name == from) name = to;
      else if (name.size() > from.size() && name.compare(0, from.size(), from) == 0 && name[from.size()] == '.')
        name = to + name.substr(from.size());
    }
    if (name != gone && now.count(name) && !before.count(name)) old_name_of[name] = gone;
  }
  std::set<std::string> renamed_away;
  for (const auto& [to, from] : old_name_of) renamed_away.insert(from);
  auto tell = [&](const std::string& f, const char* attrs, const std::string& extra = "") {
    const NotifyEvents* ev = st.plan.events_for(f, st.subscribed);
    if (ev && ev->mailbox_name) untagged(std::string("LIST (") + attrs + ") \".\" " + mailbox_out(f) + extra);
  };
  for (const auto& f : now) {
    if (before.count(f)) continue;
    auto old = old_name_of.find(f);
    // RFC 5465 5.4, RFC 5258's OLDNAME extended data item.
    if (old != old_name_of.end()) tell(f, "", " (\"OLDNAME\" (" + mailbox_out(old->second) + "))");
    else tell(f, "");
  }
  for (const auto& f : before)
    if (!now.count(f) && !renamed_away.count(f)) tell(f, "\\NonExistent");
  st.folders = std::move(*list);
  return true;
}

bool Session::notify_subscriptions() {
  NotifyState& st = *notify_;
  if (subscriptions_->path().empty()) return false;
  auto fresh = std::make_unique<Subscriptions>(subscriptions_->path());
  const auto& now = fresh->names();
  if (now == st.subscribed) return false;
  for (const auto& f : now)
    if (!st.subscribed.count(f))
      if (const NotifyEvents* ev = st.plan.events_for(f, now); ev && ev->subscription_change)
        untagged("LIST (\\Subscribed) \".\" " + mailbox_out(f));
  for (const auto& f : st.subscribed)
    if (!now.count(f))
      if (const NotifyEvents* ev = st.plan.events_for(f, st.subscribed); ev && ev->subscription_change)
        untagged("LIST () \".\" " + mailbox_out(f));
  st.subscribed = now;
  subscriptions_ = std::move(fresh);  // LSUB of this session sees them too
  return true;
}

void Session::notify_selected(const NotifyPlan::Group& g) {
  auto changes = box_->refresh();
  if (!changes) {
    log::warn("imap: {}: user={}: refresh of {}: {}", client_name_, user_, box_->name(), changes.error().detail);
    return;
  }
  // Flag changes alone are told only with FlagChange; they wait for the
  // next command otherwise, as without NOTIFY.
  if (changes->appeared.empty() && changes->vanished.empty() && !(g.events.flag_change && !changes->flags_changed.empty()))
    return;
  announce_keywords();
  const uint32_t last_uid = view_.max_uid();
  update_contexts();  // RFC 5267 contexts, around the view's news as sync() has them
  view_.sync(*box_, g.filter == Filter::selected, out_, view_mode());
  update_contexts();
  if (notify_->new_fetch.empty()) return;
  std::vector<FetchAtt> atts = notify_->new_fetch;
  if (qresync_ && std::none_of(atts.begin(), atts.end(), [](const FetchAtt& a) { return a.kind == FetchAtt::Kind::uid; })) {
    FetchAtt uid;
    uid.kind = FetchAtt::Kind::uid;
    atts.insert(atts.begin(), uid);
  }
  for (uint32_t msn = 1; msn <= view_.size(); ++msn) {
    const auto& e = view_.at_msn(msn);
    if (e.uid <= last_uid || e.gone) continue;
    const store::MessageInfo* m = box_->find(e.uid);
    bool unknown_cte = false;
    if (!m) continue;
    // Never \Seen: the attributes are fetched as with .PEEK.
    if (auto items = fetch_items(e.uid, *m, atts, unknown_cte))
      out_ += "* " + std::to_string(msn) + " FETCH (" + *items + ")\r\n";
  }
}

void Session::notify_report() {
  if (!notify_ || closed_ || state_ == State::not_authenticated) return;
  NotifyState& st = *notify_;
  const bool all = st.all;
  st.all = false;
  // The folder list and subscriptions first: a new folder is named before its STATUS.
  bool rewatch = false;
  if (st.names_dirty || all) rewatch |= notify_names();
  if (st.subscriptions_dirty || all) rewatch |= notify_subscriptions();
  st.names_dirty = st.subscriptions_dirty = false;
  const std::string selected = box_ && state_ == State::selected ? box_->name() : "";
  if (rewatch || selected != st.selected) notify_watch();
  const NotifyPlan::Group* sel = st.plan.selected();
  if (!selected.empty() && sel && sel->events.message_new && (all || st.dirty.count(selected))) notify_selected(*sel);
  for (auto& [folder, known] : st.known) {
    if (!all && !st.dirty.count(folder)) continue;
    const NotifyEvents* ev = st.plan.events_for(folder, st.subscribed);
    std::string compared;
    auto items = notify_status(folder, ev && ev->flag_change, &compared);
    if (!items || compared == known) continue;
    known = std::move(compared);
    untagged("STATUS " + mailbox_out(folder) + " (" + *items + ")");
  }
  st.dirty.clear();
}

asio::awaitable<void> Session::notify_wait() {
  notify_report();  // what came while the last command ran
  co_await flush();
  if (closed_) co_return;
  idle_poll_ = std::make_shared<io::Watchdog>(*stream_, host_.clock());
  idle_poll_->start();
  idle_poll_->arm(notify_->pending() ? std::chrono::seconds(0) : set_.idle_poll);
  bool more = co_await fill("command");
  bool polled = idle_poll_->fired();
  idle_poll_->stop();
  idle_poll_.reset();
  // The timer rather than a push: look at everything (other processes).
  if (more && polled && notify_ && !notify_->pending()) notify_->all = true;
}

}  // namespace tern::imap
