// The dovecot-uidlist parser and formatter (see uidlist.h). Strict where
// a mistake could reuse a UID (ordering, zero, overflow) and lenient where
// Dovecot is (unknown header fields and record extensions are kept).
#include "store/uidlist.h"

#include <fmt/format.h>

#include <charconv>

#include "store/maildir_filename.h"

namespace tern::store {
namespace {

bool parse_u32(std::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool is_hex32(std::string_view s) {
  if (s.size() != 32) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

Error broken(size_t line_no, std::string_view why) {
  return Error::perm(fmt::format("dovecot-uidlist line {}: {}", line_no, why));
}

// Fields separated by one or more spaces.
std::vector<std::string_view> split_fields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i == s.size()) break;
    size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

Status parse_header(std::string_view line, Uidlist* out, int* version) {
  if (line.size() < 2 || line[1] != ' ' || (line[0] != '1' && line[0] != '3'))
    return broken(1, "unsupported version or bad header");
  *version = line[0] - '0';
  auto fields = split_fields(line.substr(2));
  if (*version == 1) {
    if (fields.size() < 2 || !parse_u32(fields[0], &out->uidvalidity) || !parse_u32(fields[1], &out->next_uid))
      return broken(1, "bad version 1 header");
  } else {
    for (std::string_view f : fields) {
      std::string_view value = f.substr(1);
      if (f[0] == 'V') {
        if (!parse_u32(value, &out->uidvalidity)) return broken(1, "bad UIDVALIDITY");
      } else if (f[0] == 'N') {
        if (!parse_u32(value, &out->next_uid)) return broken(1, "bad next UID");
      } else if (f[0] == 'G') {
        if (!is_hex32(value)) return broken(1, "bad mailbox GUID");
        out->guid = value;
      } else {
        for (unsigned char c : f)
          if (c < 0x20 || c == 0x7f) return broken(1, "control byte in header");
        if (!out->header_extra.empty()) out->header_extra += ' ';
        out->header_extra += f;
      }
    }
  }
  if (out->uidvalidity == 0 || out->next_uid == 0) return broken(1, "UIDVALIDITY or next UID missing or zero");
  return ok_status();
}

Status parse_record(std::string_view line, size_t line_no, int version, uint32_t prev_uid, UidlistRecord* rec) {
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos || !parse_u32(line.substr(0, sp), &rec->uid) || rec->uid == 0)
    return broken(line_no, "bad UID");
  if (rec->uid <= prev_uid) return broken(line_no, "UIDs not ascending");
  if (rec->uid == UINT32_MAX) return broken(line_no, "UID too high");
  std::string_view rest = line.substr(sp + 1);
  std::string_view name;
  if (version == 3) {
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return broken(line_no, "no ':' before the file name");
    for (std::string_view f : split_fields(rest.substr(0, colon))) {
      if (f[0] < 'A' || f[0] > 'Z') return broken(line_no, "bad record extension");
      for (unsigned char c : f)
        if (c < 0x20 || c == 0x7f) return broken(line_no, "control byte in record extension");
      if (!rec->extensions.empty()) rec->extensions += ' ';
      rec->extensions += f;
    }
    name = rest.substr(colon + 1);
  } else {
    while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
    name = rest;
  }
  // Dovecot writes the base only; an older writer may have kept the info.
  name = name.substr(0, name.find(':'));
  if (!maildir_name_ok(name)) return broken(line_no, "bad file name");
  rec->base = name;
  return ok_status();
}

}  // namespace

Result<Uidlist> parse_uidlist(std::string_view bytes) {
  if (bytes.size() > kMaxUidlistBytes) return Error::perm("dovecot-uidlist: larger than any real index");
  if (bytes.empty()) return broken(1, "empty file");
  // Records are appended in place (by Dovecot and by tern): a last line
  // without its '\n' is one being written now, or one a crash cut short. It
  // is not trusted, and not an error; a header without its '\n' is.
  Uidlist out;
  if (bytes.back() != '\n') {
    size_t last = bytes.rfind('\n');
    if (last == std::string_view::npos) return broken(1, "header not terminated");
    bytes = bytes.substr(0, last + 1);
    out.torn_tail = true;
  }
  int version = 0;
  size_t line_no = 0, pos = 0;
  while (pos < bytes.size()) {
    size_t nl = bytes.find('\n', pos);
    std::string_view line = bytes.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (line_no == 1) {
      if (Status st = parse_header(line, &out, &version); !st) return st.error();
      continue;
    }
    UidlistRecord rec;
    uint32_t prev = out.records.empty() ? 0 : out.records.back().uid;
    if (Status st = parse_record(line, line_no, version, prev, &rec); !st) return st.error();
    out.records.push_back(std::move(rec));
  }
  if (!out.records.empty() && out.next_uid <= out.records.back().uid) out.next_uid = out.records.back().uid + 1;
  return out;
}

std::string format_uidlist(const Uidlist& list) {
  std::string out = fmt::format("3 V{} N{} G{}", list.uidvalidity, list.next_uid, list.guid);
  if (!list.header_extra.empty()) out += ' ' + list.header_extra;
  out += '\n';
  return out + format_uidlist_records(list.records, 0);
}

std::string format_uidlist_records(const std::vector<UidlistRecord>& records, size_t from) {
  std::string out;
  for (size_t i = from; i < records.size(); ++i) {
    const UidlistRecord& r = records[i];
    out += fmt::format("{}", r.uid);
    if (!r.extensions.empty()) out += ' ' + r.extensions;
    out += " :";
    out += r.base;
    out += '\n';
  }
  return out;
}

}  // namespace tern::store
