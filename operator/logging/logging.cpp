#include "operator/logging/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "operator/document/json_writer.h"

namespace bulwark::logging {
namespace {

std::atomic<bool> g_json{false};

// The log goes to standard error from the first line, set up or not: spdlog's own default logger
// writes to standard output, which is a program's data (the lease candidate's lines, say).
std::shared_ptr<spdlog::logger> stderr_logger() {
  static std::once_flag once;
  std::call_once(once, [] { spdlog::set_default_logger(spdlog::stderr_logger_mt("bulwark")); });
  return spdlog::get("bulwark");
}

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  document::append_json_escaped(s, out);
  return out;
}

void log(spdlog::level::level_enum level, std::string_view message) {
  stderr_logger();
  if (!spdlog::should_log(level)) return;
  if (g_json) {
    spdlog::log(level, "{}", escape(message));
  } else {
    spdlog::log(level, "{}", message);
  }
}

}  // namespace

bool setup(const std::string& level, const std::string& format) {
  const auto lvl = spdlog::level::from_str(level);
  if ((lvl == spdlog::level::off && level != "off") || (format != "text" && format != "json")) {
    return false;
  }
  stderr_logger();
  spdlog::set_level(lvl);
  g_json = format == "json";
  if (g_json) {
    spdlog::set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %L %v", spdlog::pattern_time_type::utc);
  }
  spdlog::flush_on(spdlog::level::info);
  return true;
}

void debug(std::string_view m) { log(spdlog::level::debug, m); }
void info(std::string_view m) { log(spdlog::level::info, m); }
void warn(std::string_view m) { log(spdlog::level::warn, m); }
void error(std::string_view m) { log(spdlog::level::err, m); }

}  // namespace bulwark::logging
