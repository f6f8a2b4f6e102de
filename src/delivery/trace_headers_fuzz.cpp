// libFuzzer target: the two loop checks that read message headers,
// mail::count_received (hop count at DATA) and has_delivered_to (local
// delivery loops, RELIABILITY.md #51). Checks that only the header section
// counts: what follows the first empty line never changes the answer, and
// adding one field in front changes it by exactly one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "delivery/local_agent.h"
#include "mail/headers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // First line: the address to look for; the rest: the message.
  size_t nl = in.find('\n');
  std::string address(in.substr(0, nl == std::string_view::npos ? 0 : nl));
  std::string msg(nl == std::string_view::npos ? in : in.substr(nl + 1));

  int n = tern::mail::count_received(msg);
  if (n < 0 || static_cast<size_t>(n) > msg.size() / 9) __builtin_trap();  // "received:" per field
  if (tern::mail::count_received(msg + "\n\nReceived: x\n") != n) __builtin_trap();
  if (tern::mail::count_received("Received: x\n" + msg) != n + 1) __builtin_trap();

  bool d = tern::delivery::has_delivered_to(msg, address);
  if (tern::delivery::has_delivered_to(msg + "\n\nDelivered-To: " + address + "\n", address) != d) __builtin_trap();
  bool plain = address.find('\n') == std::string::npos && address == std::string(address.data(), address.size()) &&
               !address.empty() && address.front() > ' ' && address.back() > ' ';
  if (plain && !tern::delivery::has_delivered_to("Delivered-To: " + address + "\n" + msg, address)) __builtin_trap();
  return 0;
}
