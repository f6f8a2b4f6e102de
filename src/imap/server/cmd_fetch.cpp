// FETCH and UID FETCH (RFC 9051 6.4.5): FLAGS, UID, INTERNALDATE,
// RFC822.SIZE, RFC822, RFC822.HEADER, RFC822.TEXT, BODY[] / BODY.PEEK[]
// with HEADER, TEXT, HEADER.FIELDS (NOT) and <partial>, all from the raw
// message in its CRLF form (message_text.h). Fetching a body without .PEEK
// sets \Seen (not in a read-only mailbox) and answers FLAGS with it.
//
// ENVELOPE, BODY, BODYSTRUCTURE, MIME and numbered parts and BINARY go to
// the MessageParser seam (message_structure.h); with none wired, such a
// FETCH gets NO [CANNOT] before anything is sent.
//
// CONDSTORE (RFC 7162 3.1.4): MODSEQ and the CHANGEDSINCE modifier (only
// messages changed after it, MODSEQ added) turn CONDSTORE on; with it on,
// every FETCH that shows changed flags carries MODSEQ. UID FETCH's VANISHED
// modifier (QRESYNC, 3.2.6) first names the UIDs of the set expunged after
// CHANGEDSINCE.
//
// A message another session expunged meanwhile is left out, and the FETCH
// ends with NO (RFC 2180 4.1.2) once the others are sent.
#include <algorithm>

#include "imap/proto/fetch.h"
#include "imap/proto/sequence_set.h"
#include "imap/server/flags.h"
#include "imap/server/message_size.h"
#include "imap/server/message_text.h"
#include "imap/server/session.h"

namespace tern::imap {
namespace {

constexpr size_t kFetchFlushBytes = 64 * 1024;

using K = FetchAtt::Kind;

// What needs the MIME parser at all.
// What message_facts answers (message_cache.h): ENVELOPE, BODY,
// BODYSTRUCTURE and the header, in whole or by fields.
bool from_facts(const FetchAtt& a) {
  using T = Section::Text;
  switch (a.kind) {
    case K::envelope: case K::body: case K::bodystructure: case K::rfc822_header: return true;
    case K::body_section:
      return a.section.part.empty() &&
             (a.section.text == T::header || a.section.text == T::header_fields || a.section.text == T::header_fields_not);
    default: return false;
  }
}

// What the parsed message answers beyond the facts: numbered parts, MIME, BINARY.
bool needs_parts(const FetchAtt& a) { return a.needs_structure() && !from_facts(a); }

// A literal; decoded BINARY content with a NUL goes as a literal8 (RFC 3516 4.3).
std::string literal(std::string_view bytes, bool binary = false) {
  bool nul = binary && bytes.find('\0') != std::string_view::npos;
  return (nul ? "~{" : "{") + std::to_string(bytes.size()) + "}\r\n" + std::string(bytes);
}

std::string_view cut(std::string_view s, const FetchAtt& a) {
  if (!a.partial) return s;
  if (a.origin >= s.size()) return {};
  return s.substr(a.origin, a.octets);
}

}  // namespace

std::optional<std::string> Session::fetch_items(uint32_t uid, const store::MessageInfo& m,
                                                const std::vector<FetchAtt>& atts, bool& unknown_cte) {
  std::unique_ptr<MessageStructure> parsed_structure;
  std::shared_ptr<const CachedMessage> facts;
  std::string items;
  bool failed = false;
  auto add = [&](std::string item) {
    if (!items.empty()) items += ' ';
    items += item;
  };
  for (const auto& a : atts) {
    const std::string* bytes = nullptr;
    if (from_facts(a) && !facts && !(facts = message_facts(uid))) {
      failed = true;
      break;
    }
    bool needs_bytes = a.kind == K::rfc822 || a.kind == K::rfc822_text || (a.kind == K::body_section && !from_facts(a)) ||
                       needs_parts(a);
    if (needs_bytes && !(bytes = message_bytes(uid))) {
      failed = true;
      break;
    }
    if (needs_parts(a) && !parsed_structure) parsed_structure = services_->structure->parse(*bytes);
    switch (a.kind) {
      case K::uid: add("UID " + std::to_string(uid)); break;
      case K::flags: add("FLAGS " + flag_list(m.flags, m.keywords)); break;  // as they are after \Seen
      case K::internaldate: add("INTERNALDATE \"" + format_date_time(m.internal_date_s) + "\""); break;
      case K::rfc822_size: add("RFC822.SIZE " + std::to_string(rfc822_size(m))); break;
      case K::rfc822: add("RFC822 " + literal(*bytes)); break;
      case K::rfc822_header: add("RFC822.HEADER " + literal(facts->header)); break;
      case K::rfc822_text: add("RFC822.TEXT " + literal(text_of(*bytes))); break;
      case K::envelope: add("ENVELOPE " + facts->envelope); break;
      case K::body: add("BODY " + facts->body); break;
      case K::bodystructure: add("BODYSTRUCTURE " + facts->bodystructure); break;
      case K::body_section: {
        std::string_view all = bytes ? std::string_view(*bytes) : std::string_view();
        std::string part;
        const Section& s = a.section;
        if (from_facts(a)) {
          part = s.text == Section::Text::header
                     ? facts->header
                     : header_fields(facts->header, s.fields, s.text == Section::Text::header_fields_not);
        } else if (!s.part.empty() || s.text == Section::Text::mime) {
          auto got = parsed_structure->section(s);
          if (!got) {
            add(a.response_name() + " NIL");
            break;
          }
          part = std::move(*got);
        } else if (s.text == Section::Text::none) {
          part = all;
        } else {
          part = text_of(all);
        }
        add(a.response_name() + " " + literal(cut(part, a)));
        break;
      }
      case K::binary: case K::binary_size: {
        using S = MessageStructure::Decoded::Status;
        auto got = parsed_structure->binary(a.section.part);
        if (got.status == S::unknown_cte) {
          unknown_cte = true;
          failed = true;
          break;
        }
        bool ok = got.status == S::ok;
        if (a.kind == K::binary_size) add(a.response_name() + " " + std::to_string(ok ? got.bytes.size() : 0));
        else add(a.response_name() + " " + (ok ? literal(cut(got.bytes, a), true) : std::string("NIL")));
        break;
      }
      case K::modseq: add("MODSEQ (" + std::to_string(m.modseq) + ")"); break;
    }
    if (failed) break;
  }
  if (failed) return std::nullopt;
  return items;
}

asio::awaitable<void> Session::cmd_fetch(const Call& k) {
  if (k.c.args.size() < k.first + 2) {
    bad(k, "FETCH takes a sequence set and attributes.");
    co_return;
  }
  auto uids = resolve_set(k, k.first);
  if (!uids) co_return;
  auto parsed = parse_fetch(k.c.args, k.first + 1);
  if (auto* e = std::get_if<std::string>(&parsed)) {
    bad(k, *e);
    co_return;
  }
  FetchRequest req = std::get<FetchRequest>(std::move(parsed));
  if (req.vanished && (!k.uid || !req.changedsince || !qresync_)) {
    bad(k, "VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC enabled.");
    co_return;
  }
  bool structure = false, sets_seen = false, has_uid = false, has_flags = false, has_modseq = false;
  for (const auto& a : req.atts) {
    has_modseq |= a.kind == K::modseq;
    structure |= a.needs_structure();
    sets_seen |= a.sets_seen();
    has_uid |= a.kind == K::uid;
    has_flags |= a.kind == K::flags;
  }
  if (structure && !services_->structure) {
    no(k, "[CANNOT] ENVELOPE, BODYSTRUCTURE, MIME parts and BINARY are not available yet.");
    co_return;
  }
  // RFC 7162 3.2.4: with QRESYNC on, every FETCH response names the UID.
  if ((k.uid || qresync_) && !has_uid) {
    FetchAtt uid_att;
    uid_att.kind = K::uid;
    req.atts.insert(req.atts.begin(), uid_att);
  }
  if (has_modseq || req.changedsince) {
    enable_condstore();
    if (!box_->modseqs_enabled()) {  // RFC 7162 3.1.2: a NOMODSEQ mailbox
      bad(k, "This mailbox has no mod-sequences (NOMODSEQ).");
      co_return;
    }
  }
  if (req.changedsince && !has_modseq) {
    FetchAtt modseq_att;
    modseq_att.kind = K::modseq;
    req.atts.push_back(modseq_att);
    has_modseq = true;
  }
  if (req.changedsince) {
    std::erase_if(*uids, [&](uint32_t uid) {
      const store::MessageInfo* m = box_->find(uid);
      return m && m->modseq <= req.changedsince_modseq;
    });
  }
  if (req.vanished) {
    // The UIDs of the set (as sent, "*" the largest in use) expunged since.
    auto set = parse_sequence_set(k.c.args[k.first].text);
    if (std::string gone = vanished_since(req.changedsince_modseq, set ? &*set : nullptr); !gone.empty())
      untagged("VANISHED (EARLIER) " + gone);
  }
  sets_seen = sets_seen && !read_only_;
  bool missing = false, unknown_cte = false;
  for (uint32_t uid : *uids) {
    const store::MessageInfo* m = box_->find(uid);
    auto msn = view_.msn_of(uid);
    if (!m || !msn) {
      missing = true;
      continue;
    }
    bool flags_now = has_flags;
    if (sets_seen && !(m->flags & store::kFlagSeen)) {
      if (box_->set_flags(uid, store::kFlagSeen, 0)) {
        m = box_->find(uid);
        view_.set_flags(uid, m->flags, m->keywords, m->modseq);
        flags_now = true;
      }
    }
    auto got = fetch_items(uid, *m, req.atts, unknown_cte);
    if (!got) {
      missing = true;
      continue;
    }
    std::string& items = *got;
    if (flags_now && !has_flags) items += " FLAGS " + flag_list(m->flags, m->keywords);
    if (flags_now && condstore_ && !has_modseq) items += " MODSEQ (" + std::to_string(m->modseq) + ")";
    out_ += "* " + std::to_string(*msn) + " FETCH (" + items + ")\r\n";
    if (out_.size() >= kFetchFlushBytes) co_await flush();
    if (closed_) co_return;
  }
  if (unknown_cte) {
    no(k, "[UNKNOWN-CTE] A part's Content-Transfer-Encoding cannot be decoded; fetch it with BODY[].");
    co_return;
  }
  if (missing) {
    sync(k.uid);
    // RFC 5530 names the case; the wording is what clients (and imaptest) know from Dovecot.
    no(k, "[EXPUNGEISSUED] Some of the requested messages no longer exist.");
    co_return;
  }
  ok(k, "Fetch completed.", k.uid);
}

}  // namespace tern::imap
