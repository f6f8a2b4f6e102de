// Implementation of rfc5322_date (see time.h).
#include "base/time.h"

#include <fmt/format.h>
#include <time.h>

#include <cstdlib>

namespace tern {

std::string rfc5322_date(std::time_t t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  struct tm tm;
  ::localtime_r(&t, &tm);
  long off_min = tm.tm_gmtoff / 60;
  char sign = off_min < 0 ? '-' : '+';
  off_min = std::labs(off_min);
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} {}{:02}{:02}", kDays[tm.tm_wday % 7], tm.tm_mday,
                     kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off_min / 60,
                     off_min % 60);
}

}  // namespace tern
