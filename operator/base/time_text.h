#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bulwark::base {

// Time as text, in one place: RFC 3339 as Kubernetes writes it and reads it (metav1.Time, an
// exemption's expiry, a credential plugin's expirationTimestamp, `bulwark scan --now`).

// "2027-03-01T00:00:00Z", fractions and offsets allowed ("...00.5+01:00"); nullopt for anything
// else, an impossible date included. A time past the clock's range saturates (clamped_time).
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);
// The other way, to the second: "2027-03-01T00:00:00Z", the form metav1.Time takes on the wire.
std::string format_rfc3339(std::chrono::system_clock::time_point t);
// Seconds since the epoch as a time_point, saturating at the clock's ends instead of overflowing.
std::chrono::system_clock::time_point clamped_time(std::int64_t seconds_since_epoch);

}  // namespace bulwark::base
