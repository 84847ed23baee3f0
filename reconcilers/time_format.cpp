#include "reconcilers/time_format.h"

#include <ctime>

namespace bulwark::reconcilers {

std::string rfc3339_seconds(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace bulwark::reconcilers
