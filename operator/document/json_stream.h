#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "operator/document/value.h"

namespace bulwark::document {

// One JSON document written to a stream as it is built, so a list of any length costs the memory
// of one item: open objects and arrays, write members and items (each a Value, minified by
// write_json), close them in order. The output is minified, but for arrays opened with kLines,
// whose items each start a line (scan's results: one per line, as tools that diff them expect).
// Not thread-safe; misuse (a member in an array, an item in an object, a close too many) aborts.
class JsonStream {
 public:
  enum Layout { kCompact, kLines };

  explicit JsonStream(std::ostream& out) : out_(out) {}
  JsonStream(const JsonStream&) = delete;
  JsonStream& operator=(const JsonStream&) = delete;

  // The document itself, or an item of the enclosing array.
  void begin_object();
  void begin_array(Layout layout = kCompact);
  // A member of the enclosing object.
  void begin_object(std::string_view key);
  void begin_array(std::string_view key, Layout layout = kCompact);
  void member(std::string_view key, const Value& v);
  void item(const Value& v);
  // Closes the innermost object or array; closing the document ends its line.
  void end();

 private:
  struct Open {
    bool array;
    Layout layout;
    bool empty = true;
  };
  void before_item();                        // in an array: the separator and the layout's line
  void before_member(std::string_view key);  // in an object: the separator and the key
  void open(bool array, Layout layout);

  std::ostream& out_;
  std::vector<Open> open_;
  std::string buffer_;  // one member or item at a time
};

}  // namespace bulwark::document
