#pragma once

#include <chrono>
#include <string>

namespace bulwark::reconcilers {

// "2026-11-28T10:00:00Z": the form metav1.Time takes on the wire.
std::string rfc3339_seconds(std::chrono::system_clock::time_point t);

}  // namespace bulwark::reconcilers
