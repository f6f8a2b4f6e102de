// Encoding of local delivery requests and replies (see request.h).
#include "delivery/request.h"

#include <vector>

#include "delivery/dot_forward.h"
#include "queue/record.h"

namespace tern::delivery {

namespace {

// Splits a datagram into records; fails unless it is exactly magic +
// records + end marker.
Result<std::vector<std::pair<char, std::string_view>>> records(std::string_view b, size_t max_payload = 65536) {
  std::vector<std::pair<char, std::string_view>> out;
  queue::RecordCursor cur(b);
  for (;;) {
    auto step = cur.next();
    if (step == queue::RecordCursor::Step::error) return Error::perm(cur.error);
    if (step == queue::RecordCursor::Step::end) return out;
    if (out.size() >= 16 || cur.payload.size() > max_payload) return Error::perm("too many or too large records");
    out.emplace_back(cur.type, cur.payload);
  }
}

bool parse_u64(std::string_view s, uint64_t& v) {
  if (s.empty() || s.size() > 19) return false;
  v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return true;
}

}  // namespace

bool same_target(const rewrite::Target& a, const rewrite::Target& b) {
  return a.kind == b.kind && a.address == b.address && a.user == b.user && a.extension == b.extension &&
         a.path == b.path && a.command == b.command && a.source == b.source;
}

std::string target_key(const rewrite::Target& t) {
  std::string k = std::to_string(static_cast<int>(t.kind));
  for (const std::string* f : {&t.address, &t.user, &t.extension, &t.path, &t.command, &t.source}) {
    k += '\0';
    k += *f;
  }
  return k;
}

std::string final_target_key(const rewrite::Target& t, bool extension_counts) {
  using K = rewrite::Target::Kind;
  rewrite::Target f;
  f.kind = t.kind;
  switch (t.kind) {
    case K::virtual_mailbox:
    case K::remote:
    case K::failed: f.address = t.address; break;
    case K::local_user:
      f.user = t.user;
      if (extension_counts) f.extension = t.extension;
      break;
    case K::command:
      f.user = t.user;
      f.command = t.command;
      break;
    case K::file:
      f.user = t.user;
      f.path = t.path;
      break;
  }
  return target_key(f);
}

std::string encode_request(const DeliveryRequest& r) {
  std::string out(queue::kMagic);
  queue::append_record(out, 'g', std::to_string(r.tag));
  queue::append_record(out, 'i', r.queue_id);
  queue::append_record(out, 'r', r.recipient);
  queue::append_record(out, 'k', std::to_string(static_cast<int>(r.target.kind)));
  queue::append_record(out, 'a', r.target.address);
  queue::append_record(out, 'u', r.target.user);
  queue::append_record(out, 'x', r.target.extension);
  queue::append_record(out, 'p', r.target.path);
  queue::append_record(out, 'c', r.target.command);
  queue::append_record(out, 's', r.target.source);
  queue::append_record(out, queue::kEnd, "");
  return out;
}

Result<DeliveryRequest> decode_request(std::string_view b) {
  auto recs = records(b);
  if (!recs) return recs.error();
  if (recs->size() != 10) return Error::perm("wrong number of records");
  DeliveryRequest r;
  const char order[] = "girkauxpcs";
  for (size_t i = 0; i < 10; ++i) {
    auto [type, v] = (*recs)[i];
    if (type != order[i]) return Error::perm("records out of order");
    std::string s(v);
    switch (type) {
      case 'g':
        if (!parse_u64(v, r.tag)) return Error::perm("bad tag");
        break;
      case 'i': r.queue_id = s; break;
      case 'r': r.recipient = s; break;
      case 'k': {
        uint64_t k = 0;
        if (!parse_u64(v, k) || k > static_cast<uint64_t>(rewrite::Target::Kind::remote)) return Error::perm("bad kind");
        r.target.kind = static_cast<rewrite::Target::Kind>(k);
        break;
      }
      case 'a': r.target.address = s; break;
      case 'u': r.target.user = s; break;
      case 'x': r.target.extension = s; break;
      case 'p': r.target.path = s; break;
      case 'c': r.target.command = s; break;
      case 's': r.target.source = s; break;
    }
  }
  return r;
}

namespace {
std::string reply_bytes(const DeliveryReply& r, size_t max_text) {
  std::string out(queue::kMagic);
  queue::append_record(out, 'g', std::to_string(r.tag));
  queue::append_record(out, 'o', r.ok ? "ok" : r.temporary ? "temp" : "perm");
  queue::append_record(out, 'd', r.dsn);
  queue::append_record(out, 't', r.text.substr(0, max_text));
  if (!r.forward_to.empty()) {
    std::string joined;
    for (auto& a : r.forward_to) {
      if (!joined.empty()) joined += '\0';
      joined += a;
    }
    queue::append_record(out, 'w', joined);
  }
  queue::append_record(out, queue::kEnd, "");
  return out;
}
}  // namespace

std::string encode_reply(const DeliveryReply& r) { return reply_bytes(r, 1000); }

std::string encode_file_reply(uint64_t tag, const Result<std::string>& content) {
  if (!content) return reply_bytes({tag, false, content.error().is_temporary(), "", content.error().detail}, 1000);
  if (content->size() > kMaxFileReply)
    return reply_bytes({tag, false, false, "", "larger than " + std::to_string(kMaxFileReply / 1024) + " KiB"}, 1000);
  return reply_bytes({tag, true, false, "", *content}, kMaxFileReply);
}

std::string encode_file_request(const FileRequest& r) {
  std::string out(queue::kMagic);
  queue::append_record(out, 'g', std::to_string(r.tag));
  queue::append_record(out, 'f', r.path);
  queue::append_record(out, queue::kEnd, "");
  return out;
}

Result<FileRequest> decode_file_request(std::string_view b) {
  auto recs = records(b, 4096);
  if (!recs) return recs.error();
  if (recs->size() != 2 || (*recs)[0].first != 'g' || (*recs)[1].first != 'f') return Error::perm("malformed file request");
  FileRequest r;
  if (!parse_u64((*recs)[0].second, r.tag)) return Error::perm("bad tag");
  r.path = std::string((*recs)[1].second);
  if (r.path.empty() || r.path.find('\0') != std::string::npos) return Error::perm("bad path");
  return r;
}

Result<DeliveryReply> decode_reply(std::string_view b) {
  auto recs = records(b, kMaxFileReply);
  if (!recs) return recs.error();
  if (recs->size() < 4 || recs->size() > 5 || (*recs)[0].first != 'g' || (*recs)[1].first != 'o' ||
      (*recs)[2].first != 'd' || (*recs)[3].first != 't' || (recs->size() == 5 && (*recs)[4].first != 'w'))
    return Error::perm("malformed reply");
  DeliveryReply r;
  if (!parse_u64((*recs)[0].second, r.tag)) return Error::perm("bad tag");
  auto o = (*recs)[1].second;
  r.ok = o == "ok";
  r.temporary = o != "perm";
  r.dsn = std::string((*recs)[2].second);
  r.text = std::string((*recs)[3].second);
  if (recs->size() == 5) {
    auto list = (*recs)[4].second;
    for (size_t pos = 0;;) {
      size_t nul = list.find('\0', pos);
      auto a = list.substr(pos, nul == std::string_view::npos ? std::string_view::npos : nul - pos);
      if (a.empty() || r.forward_to.size() >= kMaxForwardItems) return Error::perm("malformed forward list");
      r.forward_to.emplace_back(a);
      if (nul == std::string_view::npos) break;
      pos = nul + 1;
    }
  }
  return r;
}

}  // namespace tern::delivery
