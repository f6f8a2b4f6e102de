// The tern-modseq format (see modseq_log.h): a strict line parser and the
// formatters.
#include "store/modseq_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <vector>

namespace tern::store {
namespace {

bool sig_ok(std::string_view sig) {
  if (sig.size() > 40) return false;
  return std::all_of(sig.begin(), sig.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); });
}

template <class N>
bool number(std::string_view s, N& out) {
  if (s.empty() || s.size() > 20 || (s[0] == '0' && s.size() > 1)) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// Splits at single spaces; false when a field is empty.
bool fields(std::string_view line, std::vector<std::string_view>& out) {
  out.clear();
  for (;;) {
    size_t sp = line.find(' ');
    std::string_view f = line.substr(0, sp);
    if (f.empty()) return false;
    out.push_back(f);
    if (sp == std::string_view::npos) return true;
    line.remove_prefix(sp + 1);
  }
}

// Mod-sequences are 63-bit (RFC 7162 7: mod-sequence-value).
constexpr uint64_t kMaxModseq = (uint64_t{1} << 63) - 1;

}  // namespace

Result<ModseqParse> apply_modseq_lines(ModseqTable& t, std::string_view bytes, bool header_read) {
  ModseqParse r;
  r.header_read = header_read;
  std::vector<std::string_view> f;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t nl = bytes.find('\n', pos);
    if (nl == std::string_view::npos) {
      if (bytes.size() - pos > kMaxModseqLine) return Error::perm(fmt::format("line {}: too long", t.lines + 1));
      break;  // torn: its writer is mid-append (or died)
    }
    std::string_view line = bytes.substr(pos, nl - pos);
    auto bad = [&](std::string_view why) {
      return Error::perm(fmt::format("line {}: {}", t.lines + (r.header_read ? 2 : 1), why));
    };
    if (line.size() > kMaxModseqLine || !fields(line, f)) return bad("malformed");
    if (!r.header_read) {
      if (f.size() != 4 || f[0] != "tern-modseq" || f[1] != "1" || f[2][0] != 'V' || f[3][0] != 'E' ||
          !number(f[2].substr(1), t.uidvalidity) || !number(f[3].substr(1), t.floor) || t.floor > kMaxModseq)
        return bad("not a tern-modseq version 1 header");
      t.highest = std::max(t.highest, t.floor);
      r.header_read = true;
    } else {
      uint32_t uid = 0;
      uint64_t modseq = 0;
      const char kind = f[0][0];
      if ((kind != '+' && kind != '-') || !number(f[0].substr(1), uid) || uid == 0 || f.size() < 2 ||
          !number(f[1], modseq) || modseq == 0 || modseq > kMaxModseq)
        return bad("malformed record");
      if (kind == '+') {
        uint64_t added = 0;
        if (f.size() != 4 || (!sig_ok(f[2]) && f[2] != "-") || !number(f[3], added) || added == 0 || added > modseq)
          return bad("malformed record");
        t.live[uid] = {modseq, added, f[2] == "-" ? std::string() : std::string(f[2])};
        t.expunged.erase(uid);
      } else {
        if (f.size() != 2) return bad("malformed record");
        t.live.erase(uid);
        if (modseq > t.floor) t.expunged[uid] = modseq;
      }
      t.highest = std::max(t.highest, modseq);
      ++t.lines;
    }
    pos = nl + 1;
  }
  r.used = pos;
  return r;
}

std::string format_modseq_header(uint32_t uidvalidity, uint64_t floor) {
  return fmt::format("tern-modseq 1 V{} E{}\n", uidvalidity, floor);
}

std::string format_modseq_live(uint32_t uid, uint64_t modseq, std::string_view sig, uint64_t added) {
  return fmt::format("+{} {} {} {}\n", uid, modseq, sig.empty() ? std::string_view("-") : sig, added);
}

std::string format_modseq_expunged(uint32_t uid, uint64_t modseq) { return fmt::format("-{} {}\n", uid, modseq); }

std::string format_modseq_table(ModseqTable& t, size_t keep_expunged) {
  if (t.expunged.size() > keep_expunged) {
    std::vector<uint64_t> seqs;
    seqs.reserve(t.expunged.size());
    for (const auto& [uid, m] : t.expunged) seqs.push_back(m);
    std::nth_element(seqs.begin(), seqs.end() - static_cast<std::ptrdiff_t>(keep_expunged) - 1, seqs.end());
    const uint64_t floor = seqs[seqs.size() - keep_expunged - 1];
    t.floor = std::max(t.floor, floor);
    std::erase_if(t.expunged, [&](const auto& e) { return e.second <= t.floor; });
  }
  std::vector<uint32_t> uids;
  uids.reserve(t.live.size());
  for (const auto& [uid, e] : t.live) uids.push_back(uid);
  std::sort(uids.begin(), uids.end());
  std::string out = format_modseq_header(t.uidvalidity, t.floor);
  out.reserve(out.size() + uids.size() * 24 + t.expunged.size() * 16);
  for (uint32_t uid : uids) {
    const ModseqEntry& e = t.live[uid];
    out += format_modseq_live(uid, e.modseq, e.sig, e.added);
  }
  for (const auto& [uid, m] : t.expunged) out += format_modseq_expunged(uid, m);
  t.lines = uids.size() + t.expunged.size();
  return out;
}

}  // namespace tern::store
