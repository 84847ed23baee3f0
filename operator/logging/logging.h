#pragma once

#include <string>
#include <string_view>

namespace bulwark::logging {

// The operator's log, through spdlog: text for people, or one JSON object per line for log
// pipelines (the message is escaped, so a quote in it cannot break the line). Thread-safe.
// Returns false, changing nothing, for an unknown level or format.
bool setup(const std::string& level, const std::string& format);

void debug(std::string_view message);
void info(std::string_view message);
void warn(std::string_view message);
void error(std::string_view message);

}  // namespace bulwark::logging
