// mailq text and postqueue -j JSON (see queue_format.h).
#include "cli/queue_format.h"

#include <time.h>

#include <fmt/format.h>

#include "base/strings.h"

namespace tern::cli {

namespace {

// Postfix's columns for long queue IDs: ID and status mark in 17, size in
// 8, the arrival time as asctime() without the year (19).
constexpr const char* kHeading = "----Queue ID----- --Size-- ---Arrival Time---- --Sender/Recipient------\n";

std::string arrival_text(std::time_t t) {
  struct tm tm;
  ::localtime_r(&t, &tm);
  char date[64];
  ::strftime(date, sizeof date, "%a %b %e %H:%M:%S", &tm);
  return date;
}

char status_mark(const queue::ListedMessage& m) {
  if (m.queue_name == "active") return '*';
  if (m.queue_name == "hold") return '!';
  if (m.queue_name == "corrupt") return '#';
  return '\0';
}

}  // namespace

std::string MailqFormatter::add(const queue::ListedMessage& m) {
  std::string out = count_ == 0 ? kHeading : "\n";
  ++count_;
  bytes_ += m.size;
  std::string id = m.id;
  if (char mark = status_mark(m)) id += mark;
  std::string sender = !m.error.empty()  ? "(unreadable queue file: " + str::printable(m.error) + ")"
                       : m.sender.empty() ? std::string("MAILER-DAEMON")
                                          : str::printable(m.sender);
  out += fmt::format("{:<17} {:>8} {:<19.19} {}\n", id, m.size, arrival_text(m.arrival), sender);
  // As Postfix: a "(reason)" line, right-aligned to column 77, before the
  // first recipient with that reason; "(reason unavailable)" after a
  // recipient that had one.
  std::string last;
  for (auto& r : m.recipients) {
    std::string why = str::printable(r.reason, 1000);
    if (why != last) {
      last = why;
      std::string shown = why.empty() ? "reason unavailable" : why;
      int pad = 76 - static_cast<int>(shown.size());
      out += fmt::format("{:>{}}({})\n", "", pad < 0 ? 0 : pad, shown);
    }
    out += fmt::format("{:47}{}\n", "", str::printable(r.address));
  }
  return out;
}

std::string MailqFormatter::summary() const {
  if (count_ == 0) return "Mail queue is empty\n";
  return fmt::format("\n-- {} Kbytes in {} Request{}.\n", bytes_ / 1024, count_, count_ == 1 ? "" : "s");
}

std::string json_string(std::string_view s) {
  std::string e = str::escape_log(s);
  std::string out = "\"";
  for (char c : e) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
      continue;
    }
    out += c;
  }
  out += '"';
  return out;
}

std::string json_message(const queue::ListedMessage& m) {
  std::string out = fmt::format(
      R"({{"queue_name": {}, "queue_id": {}, "arrival_time": {}, "message_size": {}, "forced_expire": false, )"
      R"("sender": {}, "recipients": [)",
      json_string(m.queue_name), json_string(m.id), static_cast<long long>(m.arrival), m.size,
      json_string(m.sender));
  bool first = true;
  for (auto& r : m.recipients) {
    out += first ? "" : ", ";
    first = false;
    out += "{\"address\": " + json_string(r.address);
    if (!r.reason.empty()) out += ", \"delay_reason\": " + json_string(r.reason);
    out += "}";
  }
  out += "]";
  if (!m.error.empty()) out += ", \"error\": " + json_string(m.error);
  out += "}";
  return out;
}

}  // namespace tern::cli
