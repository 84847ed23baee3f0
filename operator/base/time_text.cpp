#include "operator/base/time_text.h"

#include <charconv>
#include <ctime>

namespace bulwark::base {

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    if (pos + len > text.size()) return false;
    auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, out);
    return ec == std::errc() && ptr == text.data() + pos + len;
  };
  int year, mon, day, hour, min, sec;
  if (text.size() < 20 || !num(0, 4, year) || text[4] != '-' || !num(5, 2, mon) || text[7] != '-' ||
      !num(8, 2, day) || (text[10] != 'T' && text[10] != 't') || !num(11, 2, hour) ||
      text[13] != ':' || !num(14, 2, min) || text[16] != ':' || !num(17, 2, sec)) {
    return std::nullopt;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
  }
  long offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh, om;
    if (!num(pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !num(pos + 4, 2, om)) {
      return std::nullopt;
    }
    offset_seconds = (text[pos] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(mon),
                                         std::chrono::day(day)};
  if (!date.ok()) return std::nullopt;
  const std::int64_t seconds = std::chrono::sys_days(date).time_since_epoch().count() * 86400LL +
                               hour * 3600LL + min * 60LL + sec - offset_seconds;
  return clamped_time(seconds);
}

// system_clock counts nanoseconds in 64 bits, which end in April 2262: a later time (a year up
// to 9999 is valid RFC 3339) is held as the clock's last instant rather than overflowing into
// the past, which would expire an exemption meant to last.
std::chrono::system_clock::time_point clamped_time(std::int64_t seconds_since_epoch) {
  using std::chrono::system_clock;
  constexpr std::int64_t kMax = std::chrono::duration_cast<std::chrono::seconds>(
                                    system_clock::time_point::max().time_since_epoch())
                                    .count();
  constexpr std::int64_t kMin = std::chrono::duration_cast<std::chrono::seconds>(
                                    system_clock::time_point::min().time_since_epoch())
                                    .count();
  if (seconds_since_epoch >= kMax) return system_clock::time_point::max();
  if (seconds_since_epoch <= kMin) return system_clock::time_point::min();
  return system_clock::time_point(std::chrono::seconds(seconds_since_epoch));
}

std::string format_rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace bulwark::base
