#include "operator/document/json_stream.h"

#include <cstdlib>

#include "operator/document/json_writer.h"

namespace bulwark::document {

void JsonStream::before_item() {
  if (open_.empty()) return;  // the document itself
  Open& o = open_.back();
  if (!o.array) std::abort();  // an item needs an array
  if (!o.empty) out_ << ',';
  if (o.layout == kLines) out_ << '\n';
  o.empty = false;
}

void JsonStream::before_member(std::string_view key) {
  if (open_.empty() || open_.back().array) std::abort();  // a member needs an object
  Open& o = open_.back();
  buffer_.clear();
  if (!o.empty) buffer_ += ',';
  buffer_ += json_quote(key);
  buffer_ += ':';
  out_ << buffer_;
  o.empty = false;
}

void JsonStream::open(bool array, Layout layout) {
  out_ << (array ? '[' : '{');
  open_.push_back({array, layout});
}

void JsonStream::begin_object() {
  before_item();
  open(false, kCompact);
}

void JsonStream::begin_array(Layout layout) {
  before_item();
  open(true, layout);
}

void JsonStream::begin_object(std::string_view key) {
  before_member(key);
  open(false, kCompact);
}

void JsonStream::begin_array(std::string_view key, Layout layout) {
  before_member(key);
  open(true, layout);
}

void JsonStream::member(std::string_view key, const Value& v) {
  before_member(key);
  buffer_.clear();
  write_json(v, buffer_);
  out_ << buffer_;
}

void JsonStream::item(const Value& v) {
  before_item();
  buffer_.clear();
  write_json(v, buffer_);
  out_ << buffer_;
}

void JsonStream::end() {
  if (open_.empty()) std::abort();  // nothing is open
  const Open o = open_.back();
  open_.pop_back();
  if (o.array && o.layout == kLines && !o.empty) out_ << '\n';
  out_ << (o.array ? ']' : '}');
  if (open_.empty()) out_ << '\n';
}

}  // namespace bulwark::document
