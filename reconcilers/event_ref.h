#pragma once

#include <string>
#include <string_view>

namespace bulwark::reconcilers {

// The object an Event is about, as it was when the change the Event tells of was judged.
struct ObjectRef {
  std::string api_version;
  std::string kind;
  std::string namespace_name;
  std::string name;
  std::string uid;
  std::string resource_version;  // the version judged; names the Event (see make_event)
};

enum class EventType { kNormal, kWarning };
std::string_view to_string(EventType type);

}  // namespace bulwark::reconcilers
