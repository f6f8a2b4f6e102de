// SELECT/EXAMINE parameters (see select_params.h).
#include "imap/proto/select_params.h"

namespace tern::imap {
namespace {

constexpr uint64_t kMaxModseq = (uint64_t{1} << 63) - 1;

bool set_value(const Value& v, std::optional<SequenceSet>& out) {
  if (v.kind != Value::Kind::atom && v.kind != Value::Kind::number) return false;
  out = parse_sequence_set(v.text);
  return out && !out->saved;
}

}  // namespace

std::variant<SelectParams, std::string> parse_select_params(const std::vector<Value>& args, size_t first) {
  SelectParams p;
  if (args.size() <= first) return p;
  if (args.size() != first + 1 || args[first].kind != Value::Kind::list) return std::string("Invalid SELECT parameters.");
  const auto& items = args[first].items;
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string name = items[i].keyword();
    if (name == "CONDSTORE") {
      p.condstore = true;
    } else if (name == "QRESYNC") {
      if (p.qresync || i + 1 >= items.size() || items[i + 1].kind != Value::Kind::list)
        return std::string("QRESYNC takes (uidvalidity modseq [known-uids [seq-match]]).");
      const auto& q = items[++i].items;
      QresyncParams r;
      if (q.size() < 2 || q.size() > 4 || q[0].kind != Value::Kind::number || q[0].number == 0 ||
          q[0].number > UINT32_MAX || q[1].kind != Value::Kind::number || q[1].number == 0 || q[1].number > kMaxModseq)
        return std::string("QRESYNC takes (uidvalidity modseq [known-uids [seq-match]]).");
      r.uidvalidity = static_cast<uint32_t>(q[0].number);
      r.modseq = q[1].number;
      if (q.size() >= 3 && !set_value(q[2], r.known_uids)) return std::string("Invalid QRESYNC known UIDs.");
      if (q.size() == 4) {
        std::optional<SequenceSet> seqs, uids;
        if (q[3].kind != Value::Kind::list || q[3].items.size() != 2 || !set_value(q[3].items[0], seqs) ||
            !set_value(q[3].items[1], uids))
          return std::string("Invalid QRESYNC sequence match data.");
      }
      p.qresync = std::move(r);
    } else {
      return std::string("Unknown SELECT parameter.");
    }
  }
  return p;
}

}  // namespace tern::imap
