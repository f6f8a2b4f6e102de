// Queue-file parser and cross-off (see reader.h).
#include "queue/reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "base/fs.h"
#include "queue/record.h"

namespace tern::queue {

namespace {

// What the envelope records seen so far allow next.
struct EnvelopeState {
  bool have_sender = false, have_envid = false;
  char previous = 0;  // the type of the record before this one
};

// Applies one envelope record (anything before the content) to env.
// Returns false with the reason in why for a malformed record, and sets
// known to false for a record type that is not an envelope record.
bool apply_envelope_record(Envelope& env, char type, std::string_view payload, size_t offset, EnvelopeState& st,
                           bool& known, const char*& why) {
  known = true;
  char type_before = st.previous;
  st.previous = type;
  switch (type) {
    case kArrival: {
      // "secs" or "secs.uuuuuu" (six digits of microseconds).
      auto dot = payload.find('.');
      std::string_view secs = payload.substr(0, dot), us = dot == std::string_view::npos ? "" : payload.substr(dot + 1);
      if (secs.empty() || (dot != std::string_view::npos && us.size() != 6)) {
        why = "bad arrival time";
        return false;
      }
      long long t = 0, u = 0;
      for (char c : secs) {
        if (c < '0' || c > '9' || t > (1LL << 50)) {
          why = "bad arrival time";
          return false;
        }
        t = t * 10 + (c - '0');
      }
      for (char c : us) {
        if (c < '0' || c > '9') {
          why = "bad arrival time";
          return false;
        }
        u = u * 10 + (c - '0');
      }
      env.arrival = static_cast<std::time_t>(t);
      env.arrival_us = static_cast<int>(u);
      return true;
    }
    case kClient: env.client = std::string(payload); return true;
    case kHelo: env.helo = std::string(payload); return true;
    case kProtocol: env.protocol = std::string(payload); return true;
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
      return true;
    case kEnvid:
      if (st.have_envid) {
        why = "two ENVID records";
        return false;
      }
      st.have_envid = true;
      env.envid = std::string(payload);
      return true;
    case kRecipientDsn: {
      std::string_view orcpt;
      if (type_before != kRecipient && type_before != kDone) {
        why = "DSN record not after a recipient";
        return false;
      }
      if (!parse_recipient_dsn(payload, env.recipients.back().notify, orcpt)) {
        why = "bad DSN record";
        return false;
      }
      env.recipients.back().orcpt = std::string(orcpt);
      return true;
    }
    case kSender:
      if (st.have_sender) {
        why = "two sender records";
        return false;
      }
      st.have_sender = true;
      env.sender = std::string(payload);
      return true;
    case kRecipient:
    case kDone:
      env.recipients.push_back({std::string(payload), type == kDone, offset, 0, {}});
      return true;
    default:
      known = false;
      return true;
  }
}

std::string unknown_type(char type) {
  return fmt::format("unknown record type 0x{:02x}", static_cast<unsigned char>(type));
}

}  // namespace

void Envelope::set_arrival_now() {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch()).count();
  arrival = static_cast<std::time_t>(us / 1000000);
  arrival_us = static_cast<int>(us % 1000000);
}

double Envelope::age() const {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  double t = std::chrono::duration<double>(now).count();
  double a = static_cast<double>(arrival) + arrival_us / 1e6;
  return t > a ? t - a : 0.0;
}

std::string Envelope::delay_text() const {
  double d = age();
  return d < 100 ? fmt::format("{:.2f}", d) : fmt::format("{:.0f}", d);
}

Result<Envelope> parse_queue_file(std::string_view b, const std::string& id) {
  Envelope env;
  env.id = id;
  bool have_content = false;
  EnvelopeState st;
  RecordCursor cur(b, /*appendable=*/true);
  for (;;) {
    auto step = cur.next();
    if (step == RecordCursor::Step::error) return Error::perm(cur.error);
    if (step == RecordCursor::Step::end) break;
    std::string_view payload = cur.payload;
    bool appended = cur.type == kTargetDone || cur.type == kWarned;
    if (cur.after_end != appended) return Error::perm("only target and warning records may follow the end marker");
    bool known = false;
    const char* why = nullptr;
    if (!apply_envelope_record(env, cur.type, payload, cur.offset, st, known, why)) return Error::perm(why);
    // tern writes the envelope first and the content last: a file with
    // envelope records after the content is not tern's, and a listing
    // (read_envelope_head, which stops at the content) would see another
    // envelope than delivery does.
    if (known && have_content) return Error::perm("envelope record after the content");
    if (known) continue;
    switch (cur.type) {
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
      case kWarned: env.delay_warned = true; break;
      default:
        return Error::perm(unknown_type(cur.type));
    }
  }
  if (!have_content || !st.have_sender || env.recipients.empty())
    return Error::perm("missing sender, recipient or content record");
  return env;
}

Result<Envelope> read_envelope_head(int dirfd, const std::string& id) {
  int fd = ::openat(dirfd, id.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return Error::perm(id + ": not found");
    return fs::errno_error("open", id, errno);
  }
  UniqueFd guard(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return fs::errno_error("stat", id, errno);
  if (!S_ISREG(st.st_mode)) return Error::perm("not a regular file");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  std::string buf;
  // Makes buf hold the first `want` bytes of the file (want <= file_size).
  auto fill = [&](uint64_t want) -> Status {
    if (want <= buf.size()) return ok_status();
    size_t have = buf.size();
    // Read ahead: most envelopes fit in the first 1 KiB (copying more
    // costs time in a listing of 100,000 files).
    uint64_t target = std::min<uint64_t>(file_size, std::max<uint64_t>(want, have + (have ? 8192 : 1024)));
    buf.resize(target);
    while (have < target) {
      ssize_t n = ::pread(fd, buf.data() + have, target - have, static_cast<off_t>(have));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fs::errno_error("read", id, errno);
      if (n == 0) break;
      have += static_cast<size_t>(n);
    }
    buf.resize(have);
    if (have < want) return Error::perm("file shrank while being read");
    return ok_status();
  };
  if (file_size < kMagic.size() + kRecordHeader) return Error::perm("truncated: no end marker");
  if (auto s = fill(kMagic.size()); !s) return s.error();
  if (std::string_view(buf).substr(0, kMagic.size()) != kMagic) return Error::perm("bad magic");
  Envelope env;
  env.id = id;
  EnvelopeState es;
  uint64_t pos = kMagic.size();
  for (;;) {
    if (file_size - pos < kRecordHeader) return Error::perm("truncated: no content record");
    if (auto s = fill(pos + kRecordHeader); !s) return s.error();
    char type = buf[pos];
    uint32_t len = 0;
    for (int i = 0; i < 4; ++i) len |= static_cast<uint32_t>(static_cast<unsigned char>(buf[pos + 1 + i])) << (8 * i);
    uint64_t start = pos + kRecordHeader;
    if (len > file_size - start) return Error::perm("record runs past the end");
    if (type == kContent) {
      env.content_offset = start;
      env.content_size = len;
      break;
    }
    if (auto s = fill(start + len); !s) return s.error();
    bool known = false;
    const char* why = nullptr;
    std::string_view payload = std::string_view(buf).substr(start, len);
    if (!apply_envelope_record(env, type, payload, pos, es, known, why)) return Error::perm(why);
    if (!known) return Error::perm(unknown_type(type));
    pos = start + len;
  }
  if (!es.have_sender || env.recipients.empty()) return Error::perm("missing sender or recipient record");
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
