// Queue-file parser and cross-off (see reader.h).
#include "queue/reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/fs.h"
#include "queue/record.h"

namespace tern::queue {

Result<Envelope> parse_queue_file(std::string_view b, const std::string& id) {
  Envelope env;
  env.id = id;
  bool have_content = false, have_sender = false, have_envid = false;
  char previous = 0;  // the type of the record before this one
  RecordCursor cur(b, /*appendable=*/true);
  for (;;) {
    auto step = cur.next();
    if (step == RecordCursor::Step::error) return Error::perm(cur.error);
    if (step == RecordCursor::Step::end) break;
    std::string_view payload = cur.payload;
    bool appended = cur.type == kTargetDone || cur.type == kWarned;
    if (cur.after_end != appended) return Error::perm("only target and warning records may follow the end marker");
    char type_before = previous;
    previous = cur.type;
    switch (cur.type) {
      case kArrival: {
        long long t = 0;
        for (char c : payload) {
          if (c < '0' || c > '9' || t > (1LL << 50)) return Error::perm("bad arrival time");
          t = t * 10 + (c - '0');
        }
        env.arrival = static_cast<std::time_t>(t);
        break;
      }
      case kClient: env.client = std::string(payload); break;
      case kHelo: env.helo = std::string(payload); break;
      case kProtocol: env.protocol = std::string(payload); break;
      case kFlags:
        // Whole words; an unknown word (from a newer tern) is ignored.
        for (size_t pos = 0; pos < payload.size();) {
          size_t sp = payload.find(' ', pos);
          if (sp == std::string_view::npos) sp = payload.size();
          std::string_view w = payload.substr(pos, sp - pos);
          pos = sp + 1;
          if (w == "smtputf8") env.smtputf8 = true;
          else if (w == "8bitmime") env.eightbit = true;
          else if (w == "ret=full") env.ret = DsnRet::full;
          else if (w == "ret=hdrs") env.ret = DsnRet::hdrs;
          else if (w == "bounce") env.origin = Origin::bounce;
          else if (w == "2bounce") env.origin = Origin::double_bounce;
        }
        break;
      case kEnvid:
        if (have_envid) return Error::perm("two ENVID records");
        have_envid = true;
        env.envid = std::string(payload);
        break;
      case kRecipientDsn: {
        if (type_before != kRecipient && type_before != kDone) return Error::perm("DSN record not after a recipient");
        std::string_view orcpt;
        if (!parse_recipient_dsn(payload, env.recipients.back().notify, orcpt)) return Error::perm("bad DSN record");
        env.recipients.back().orcpt = std::string(orcpt);
        break;
      }
      case kWarned: env.delay_warned = true; break;
      case kSender:
        if (have_sender) return Error::perm("two sender records");
        have_sender = true;
        env.sender = std::string(payload);
        break;
      case kRecipient:
      case kDone:
        env.recipients.push_back({std::string(payload), cur.type == kDone, cur.offset, 0, {}});
        break;
      case kContent:
        if (have_content) return Error::perm("two content records");
        have_content = true;
        env.content_offset = cur.offset + kRecordHeader;
        env.content_size = payload.size();
        break;
      case kTargetDone: {
        uint64_t at = 0;
        std::string_view key;
        if (!parse_target_done(payload, at, key)) return Error::perm("bad target record");
        bool owner = false;
        for (auto& r : env.recipients) owner |= r.type_offset == at;
        if (!owner) return Error::perm("target record for no recipient");
        env.done_targets.emplace_back(at, std::string(key));
        break;
      }
      default:
        return Error::perm(fmt::format("unknown record type 0x{:02x}", static_cast<unsigned char>(cur.type)));
    }
  }
  if (!have_content || !have_sender || env.recipients.empty())
    return Error::perm("missing sender, recipient or content record");
  return env;
}

Result<Envelope> read_envelope(const std::string& path, const std::string& id) {
  auto bytes = fs::read_file(path, 1ull << 31, false);
  if (!bytes) return bytes.error();
  return parse_queue_file(*bytes, id);
}

Result<std::string> read_content(const std::string& path, const Envelope& env) {
  auto fd = fs::open_read(path);
  if (!fd) return fd.error();
  std::string out(env.content_size, '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::pread(fd->get(), out.data() + got, out.size() - got, static_cast<off_t>(env.content_offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fs::errno_error("read", path, errno);
    }
    if (n == 0) return Error::temp(path + ": shorter than its envelope says");
    got += static_cast<size_t>(n);
  }
  return out;
}

namespace {

// Appends one record after the end marker (one write) and fdatasyncs.
Status append_synced(const std::string& path, char type, std::string_view payload) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return fs::errno_error("open", path, errno);
  UniqueFd guard(fd);
  std::string rec;
  append_record(rec, type, payload);
  auto st = fs::write_all(fd, rec, path);
  if (!st) return st;
  if (::fdatasync(fd) != 0) return fs::errno_error("fsync", path, errno);
  return ok_status();
}

}  // namespace

Status append_target_done(const std::string& path, const Recipient& r, std::string_view key) {
  return append_synced(path, kTargetDone, target_done_payload(r.type_offset, key));
}

Status append_delay_warned(const std::string& path) { return append_synced(path, kWarned, ""); }

Status mark_done(const std::string& path, const Recipient& r, bool sync) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return fs::errno_error("open", path, errno);
  UniqueFd guard(fd);
  char d = kDone;
  if (::pwrite(fd, &d, 1, static_cast<off_t>(r.type_offset)) != 1) return fs::errno_error("write", path, errno);
  if (sync && ::fdatasync(fd) != 0) return fs::errno_error("fsync", path, errno);
  return ok_status();
}

}  // namespace tern::queue
