#pragma once

#include "operator/document/reader.h"

namespace bulwark::fuzz {

// Tighter than the defaults so that libFuzzer's memory limit is never what stops an input: a
// breach of these is an error the reader must report, not an abort.
inline document::ReadLimits limits() {
  document::ReadLimits l;
  l.max_nodes_per_document = 100'000;
  l.max_document_bytes = 1u << 20;
  l.max_expanded_bytes = 32u << 20;
  l.max_json_bytes = 1u << 20;
  return l;
}

}  // namespace bulwark::fuzz
