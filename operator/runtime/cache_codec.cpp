#include "operator/runtime/cache_codec.h"

#include <zdict.h>
#include <zstd.h>

#include <atomic>
#include <stdexcept>

namespace bulwark::runtime {

namespace {

// A dictionary of 16 KiB: objects of a few hundred bytes to a few KiB gain little from more.
constexpr std::size_t kDictionaryBytes = 16 * 1024;
// What a frame's first byte is (ZSTD_MAGICNUMBER, little-endian): JSON never starts with it.
constexpr char kFrameStart = '\x28';

// One decompression context per thread that reads a cache, kept for the thread's life.
ZSTD_DCtx* thread_dctx() {
  struct Holder {
    ZSTD_DCtx* dctx = ZSTD_createDCtx();
    ~Holder() { ZSTD_freeDCtx(dctx); }
  };
  thread_local Holder holder;
  return holder.dctx;
}

}  // namespace

struct CacheCodec::State {
  ZSTD_CCtx* cctx = nullptr;
  std::atomic<ZSTD_DDict*> ddict{nullptr};
  ~State() {
    ZSTD_freeCCtx(cctx);
    ZSTD_freeDDict(ddict.load());
  }
};

CacheCodec::CacheCodec() : state_(std::make_unique<State>()) {}
CacheCodec::~CacheCodec() = default;

bool CacheCodec::trained() const { return state_->ddict.load() != nullptr; }

bool CacheCodec::train(const std::vector<std::string_view>& samples) {
  if (trained() || samples.empty()) return false;
  std::string joined;
  std::vector<std::size_t> sizes;
  for (auto s : samples) {
    joined.append(s);
    sizes.push_back(s.size());
  }
  std::string dictionary(kDictionaryBytes, '\0');
  const std::size_t made =
      ZDICT_trainFromBuffer(dictionary.data(), dictionary.size(), joined.data(), sizes.data(),
                            static_cast<unsigned>(sizes.size()));
  if (ZDICT_isError(made)) return false;  // too few samples, or too alike to learn from
  dictionary.resize(made);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  // Small tables: every input is one object, and the window need only hold it and the dictionary.
  const bool set = cctx != nullptr &&
                   !ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3)) &&
                   !ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, 16)) &&
                   !ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_hashLog, 13)) &&
                   !ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_chainLog, 13)) &&
                   !ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0)) &&
                   !ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_dictIDFlag, 0)) &&
                   !ZSTD_isError(ZSTD_CCtx_loadDictionary(cctx, dictionary.data(), made));
  ZSTD_DDict* ddict = set ? ZSTD_createDDict(dictionary.data(), made) : nullptr;
  if (ddict == nullptr) {
    ZSTD_freeCCtx(cctx);
    return false;
  }
  state_->cctx = cctx;
  state_->ddict.store(ddict);
  return true;
}

std::string CacheCodec::pack(std::string json) const {
  if (!trained() || json.empty()) return json;
  std::string out(ZSTD_compressBound(json.size()), '\0');
  const std::size_t n =
      ZSTD_compress2(state_->cctx, out.data(), out.size(), json.data(), json.size());
  if (ZSTD_isError(n) || n >= json.size()) return json;  // kept as it is: never larger
  out.resize(n);
  out.shrink_to_fit();
  return out;
}

std::string CacheCodec::unpack(std::string stored) const {
  if (stored.empty() || stored.front() != kFrameStart) return stored;
  const unsigned long long size = ZSTD_getFrameContentSize(stored.data(), stored.size());
  ZSTD_DDict* ddict = state_->ddict.load();
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || ddict == nullptr) {
    throw std::logic_error("cache codec: not a frame this codec made");
  }
  std::string json(size, '\0');
  const std::size_t n = ZSTD_decompress_usingDDict(thread_dctx(), json.data(), json.size(),
                                                   stored.data(), stored.size(), ddict);
  if (ZSTD_isError(n) || n != size) {
    throw std::logic_error(std::string("cache codec: ") + ZSTD_getErrorName(n));
  }
  return json;
}

}  // namespace bulwark::runtime
