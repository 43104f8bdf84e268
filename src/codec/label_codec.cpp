// codec/label_codec.cpp: one chunk's stream: header, crop box, and the coded or stored voxels.
#include "codec/label_codec.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>

#include "codec/voxel_coder.hpp"

namespace medmask::codec {
namespace {

constexpr std::uint8_t kVersion = 2;
// kPredicted: coded against a prediction (a reference layer's labels, FORMAT.md A.5.5), which the
// decoder must be given. kTwoLabels: every voxel is 0 or one label, named in the header (A.5.6).
// kPredictedEdges: as kPredicted, and the prediction's edges cut stretches and inform decisions
// (A.5.7); what encoders write since 2026-12-06, kPredicted is still read.
// kTwoLabelsPrimed: as kTwoLabels, with models that start primed (A.5.8); what encoders write
// since 2026-12-06, kTwoLabels is still read.
enum Mode : std::uint8_t {
  kEmpty = 0,
  kStored = 1,
  kCoded = 2,
  kPredicted = 3,
  kTwoLabels = 4,
  kPredictedEdges = 5,
  kTwoLabelsPrimed = 6
};

bool against_prediction(std::uint8_t mode) { return mode == kPredicted || mode == kPredictedEdges; }
bool two_labels(std::uint8_t mode) { return mode == kTwoLabels || mode == kTwoLabelsPrimed; }

void put_varint(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80u));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  Status byte(std::uint8_t* v) {
    if (pos_ >= size_) return Status::kTruncated;
    *v = data_[pos_++];
    return Status::kOk;
  }
  // LEB128, at most 10 bytes, value must fit 64 bits.
  Status varint(std::uint64_t* v) {
    std::uint64_t result = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      std::uint8_t b = 0;
      if (const Status s = byte(&b); s != Status::kOk) return s;
      if (shift == 63 && b > 1) return Status::kCorrupt;
      result |= static_cast<std::uint64_t>(b & 0x7Fu) << shift;
      if ((b & 0x80u) == 0) {
        *v = result;
        return Status::kOk;
      }
    }
    return Status::kCorrupt;
  }
  std::size_t pos() const { return pos_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// The first index in [0, n) of row holding a nonzero value, or n. Chunks are mostly background:
// zero bytes are skipped 32 at a time.
template <class T>
std::size_t first_nonzero(const T* row, std::size_t n) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(row);
  const std::size_t byte_end = n * sizeof(T);
  std::size_t byte = 0;
  for (; byte + 32 <= byte_end; byte += 32) {
    std::uint64_t w[4];
    std::memcpy(w, bytes + byte, 32);
    if ((w[0] | w[1] | w[2] | w[3]) != 0) break;
  }
  std::size_t i = byte / sizeof(T);
  while (i < n && row[i] == T{0}) ++i;
  return i;
}

// Bounding box of the nonzero voxels; false when there are none.
template <class T>
bool find_box(const T* v, Dims d, Box* box) {
  std::size_t x0 = d.nx, x1 = 0, y0 = d.ny, y1 = 0, z0 = d.nz, z1 = 0;
  for (std::size_t z = 0; z < d.nz; ++z) {
    for (std::size_t y = 0; y < d.ny; ++y) {
      const T* row = v + (z * d.ny + y) * d.nx;
      const std::size_t first = first_nonzero(row, d.nx);
      if (first == d.nx) continue;
      std::size_t last = d.nx - 1;
      while (row[last] == T{0}) --last;
      x0 = std::min(x0, first);
      x1 = std::max(x1, last);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
      z0 = std::min(z0, z);
      z1 = std::max(z1, z);
    }
  }
  if (z0 == d.nz) return false;
  *box = Box{x0, y0, z0, x1 - x0 + 1, y1 - y0 + 1, z1 - z0 + 1};
  return true;
}

// Whether the nonzero voxels of the crop box (which holds them all, at least one) all hold one
// label, and which. Only the box's rows are read: a structure's own layer is one small box in a
// large chunk.
template <class T>
bool single_label(const T* v, Dims d, const Box& box, T* label) {
  T first{0};
  for (std::size_t z = box.z0; z < box.z0 + box.wz; ++z) {
    for (std::size_t y = box.y0; y < box.y0 + box.wy; ++y) {
      const T* row = v + (z * d.ny + y) * d.nx + box.x0;
      if (first == T{0}) {
        const std::size_t x = first_nonzero(row, box.wx);
        if (x == box.wx) continue;
        first = row[x];
      }
      unsigned other = 0;  // unsigned, not bool: the loop vectorises
      for (std::size_t x = 0; x < box.wx; ++x) other |= (row[x] != T{0}) & (row[x] != first);
      if (other != 0) return false;
    }
  }
  *label = first;
  return true;
}

// Codes the crop box; gives up (false) once the payload exceeds `budget` bytes, so that noise
// costs no more time than it must before being stored raw.
template <class T, int N, bool kMix, bool kRef, bool kTwo, bool kEdge>
bool encode_box(const T* voxels, Dims d, const Box& box, std::size_t budget,
                std::vector<std::uint8_t>& out, Prediction<T> prediction, T foreground,
                bool primed) {
  EncodeIo io{RangeEncoder(out)};
  auto coder = std::make_unique<VoxelCoder<T, EncodeIo, N, kMix, kRef, kTwo, kEdge>>(
      io, box, prediction, foreground, primed);
  for (std::size_t zz = 0; zz < box.wz; ++zz) {
    coder->code_slice(zz, voxels, d.nx, d.ny);
    if (out.size() > budget) return false;
  }
  io.rc.finish();
  return out.size() <= budget;
}

// out_nx, out_ny: the row length and rows per slice of the array out points into.
template <class T, int N, bool kMix, bool kRef, bool kTwo, bool kEdge>
Status decode_box(const std::uint8_t* data, std::size_t size, const Box& box, T* out,
                  std::size_t out_nx, std::size_t out_ny, bool out_is_zero,
                  Prediction<T> prediction, T foreground, bool primed) {
  DecodeIo io{RangeDecoder(data, size)};
  auto coder = std::make_unique<VoxelCoder<T, DecodeIo, N, kMix, kRef, kTwo, kEdge>>(
      io, box, prediction, foreground, primed);
  if (out_is_zero) coder->set_output_is_zero();
  for (std::size_t zz = 0; zz < box.wz; ++zz) {
    if (!coder->code_slice(zz, out, out_nx, out_ny)) {
      return io.rc.overran() ? Status::kTruncated : Status::kCorrupt;
    }
    // A stream read far past its end is truncated; stop early rather than decode garbage.
    if (io.rc.overran()) return Status::kTruncated;
  }
  if (!io.rc.ended_exactly()) return io.rc.overran() ? Status::kTruncated : Status::kCorrupt;
  return Status::kOk;
}

bool valid_level(std::uint8_t level) { return level <= 2; }

// Zeroes the voxels of the chunk (dims) outside the crop box (the decoder writes every voxel
// inside it), in an array of rows of out_nx voxels and slices of out_ny rows.
template <class T>
void zero_outside(T* out, Dims d, const Box& b, std::size_t out_nx, std::size_t out_ny) {
  const std::size_t slice = out_nx * out_ny;
  for (std::size_t z = 0; z < d.nz; ++z) {
    const bool z_inside = z >= b.z0 && z < b.z0 + b.wz;
    for (std::size_t y = 0; y < d.ny; ++y) {
      T* row = out + z * slice + y * out_nx;
      if (!z_inside || y < b.y0 || y >= b.y0 + b.wy) {
        std::fill(row, row + d.nx, T{0});
        continue;
      }
      std::fill(row, row + b.x0, T{0});
      std::fill(row + b.x0 + b.wx, row + d.nx, T{0});
    }
  }
}

}  // namespace

const char* status_name(Status status) {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kTruncated:
      return "truncated";
    case Status::kCorrupt:
      return "corrupt";
    case Status::kUnsupported:
      return "unsupported";
    case Status::kBadArgument:
      return "bad argument";
    case Status::kNeedsPrediction:
      return "coded against a reference layer that was not given";
  }
  return "unknown";
}

namespace {

// The coded payload of the crop box at a level, with a prediction (kRef), as two labels (kTwo,
// levels fast and default, with primed models) or as any labels; false when it exceeds budget
// bytes.
template <class T, bool kRef, bool kTwo = false, bool kEdge = kRef>
bool encode_payload(const T* voxels, Dims dims, const Box& box, Level level, std::size_t budget,
                    std::vector<std::uint8_t>& payload, Prediction<T> prediction,
                    T foreground = T{1}) {
  switch (level) {
    case Level::kFast:
      return encode_box<T, template_size(0) + kRef, false, kRef, kTwo, kEdge>(
          voxels, dims, box, budget, payload, prediction, foreground, kTwo);
    case Level::kDefault:
      return encode_box<T, template_size(1) + kRef, false, kRef, kTwo, kEdge>(
          voxels, dims, box, budget, payload, prediction, foreground, kTwo);
    case Level::kMax:
      if constexpr (!kTwo) {
        return encode_box<T, template_size(2) + kRef, true, kRef, false, kEdge>(
            voxels, dims, box, budget, payload, prediction, foreground, false);
      }
      break;
  }
  return false;
}

template <class T>
Prediction<T> prediction_at(const T* predicted, Dims dims, const Box& box) {
  if (predicted == nullptr) return {};
  return {predicted + (box.z0 * dims.ny + box.y0) * dims.nx + box.x0, dims.nx, dims.ny};
}

}  // namespace

template <class T>
std::vector<std::uint8_t> encode_chunk(const T* voxels, Dims dims, Level level,
                                       const T* predicted) {
  std::vector<std::uint8_t> out;
  out.push_back(kVersion);
  const std::size_t mode_at = out.size();
  out.push_back(kEmpty);
  out.push_back(static_cast<std::uint8_t>(level));
  out.push_back(static_cast<std::uint8_t>(sizeof(T)));
  put_varint(out, dims.nx);
  put_varint(out, dims.ny);
  put_varint(out, dims.nz);
  const std::size_t header_size = out.size();
  const std::size_t count = dims.nx * dims.ny * dims.nz;
  Box box{};
  if (count == 0 || !find_box(voxels, dims, &box)) return out;
  // A chunk of one label (a structure's own layer, a tile that meets one structure) is coded as
  // two labels below level max, whose mixer codes any labels better.
  std::vector<std::uint8_t> payload;
  const std::size_t budget = count * sizeof(T);
  T foreground{};
  const bool two = level != Level::kMax && single_label(voxels, dims, box, &foreground);
  bool coded = two ? encode_payload<T, false, true>(voxels, dims, box, level, budget, payload, {},
                                                    foreground)
                   : encode_payload<T, false>(voxels, dims, box, level, budget, payload, {});
  std::uint8_t mode = two ? kTwoLabelsPrimed : kCoded;
  if (predicted != nullptr) {
    // Coded both ways; the prediction is kept only where it makes the stream smaller.
    std::vector<std::uint8_t> against;
    const std::size_t limit = coded ? payload.size() : budget;
    if (encode_payload<T, true>(voxels, dims, box, level, limit, against,
                                prediction_at(predicted, dims, box)) &&
        against.size() < limit) {
      payload = std::move(against);
      coded = true;
      mode = kPredictedEdges;
    }
  }
  out[mode_at] = mode;
  put_varint(out, box.x0);
  put_varint(out, box.y0);
  put_varint(out, box.z0);
  put_varint(out, box.wx);
  put_varint(out, box.wy);
  put_varint(out, box.wz);
  if (two_labels(mode)) put_varint(out, foreground);
  // The payload length makes a truncated stream detectable before decoding.
  put_varint(out, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
  // Incompressible data (noise) is stored: the worst case is the raw size plus the header.
  if (!coded || out.size() - header_size > count * sizeof(T)) {
    out.resize(header_size);
    out[mode_at] = kStored;
    for (std::size_t i = 0; i < count; ++i) {
      for (std::size_t b = 0; b < sizeof(T); ++b) {
        out.push_back(static_cast<std::uint8_t>(voxels[i] >> (8 * b)));
      }
    }
  }
  return out;
}

Status peek_chunk_level(const std::uint8_t* data, std::size_t size, Level* level) {
  Reader r(data, size);
  std::uint8_t version = 0, mode = 0, lv = 0;
  if (const Status s = r.byte(&version); s != Status::kOk) return s;
  if (version != kVersion) return Status::kUnsupported;
  if (const Status s = r.byte(&mode); s != Status::kOk) return s;
  if (const Status s = r.byte(&lv); s != Status::kOk) return s;
  if (!valid_level(lv)) return Status::kUnsupported;
  *level = static_cast<Level>(lv);
  return Status::kOk;
}

bool uses_prediction(const std::uint8_t* data, std::size_t size) {
  return size >= 2 && data[0] == kVersion && against_prediction(data[1]);
}

template <class T>
Status decode_chunk(const std::uint8_t* data, std::size_t size, Dims dims, T* out, bool out_is_zero,
                    const T* predicted) {
  return decode_chunk_into(data, size, dims, out, dims.nx, dims.ny, out_is_zero, predicted);
}

namespace {

// A stream's header, checked against the chunk's dims and the voxel width: what every decoder
// needs before the voxels.
struct Parsed {
  std::uint8_t mode = kEmpty;
  Level level = Level::kFast;
  Box box{};                           // every mode but kEmpty and kStored: the crop box
  std::uint64_t foreground = 0;        // modes 4 and 6: the nonzero label
  const std::uint8_t* body = nullptr;  // kStored: the voxels; the coded modes: the payload
  std::size_t body_size = 0;
};

Status parse_chunk(const std::uint8_t* data, std::size_t size, Dims dims, std::size_t width,
                   Parsed* parsed) {
  if (data == nullptr && size != 0) return Status::kBadArgument;
  Reader r(data, size);
  std::uint8_t version = 0, mode = 0, lv = 0, w = 0;
  if (const Status s = r.byte(&version); s != Status::kOk) return s;
  if (version != kVersion) return Status::kUnsupported;
  if (const Status s = r.byte(&mode); s != Status::kOk) return s;
  if (const Status s = r.byte(&lv); s != Status::kOk) return s;
  if (const Status s = r.byte(&w); s != Status::kOk) return s;
  if (!valid_level(lv) || w != width) return Status::kUnsupported;
  std::uint64_t nx = 0, ny = 0, nz = 0;
  if (const Status s = r.varint(&nx); s != Status::kOk) return s;
  if (const Status s = r.varint(&ny); s != Status::kOk) return s;
  if (const Status s = r.varint(&nz); s != Status::kOk) return s;
  if (nx != dims.nx || ny != dims.ny || nz != dims.nz) return Status::kCorrupt;
  parsed->mode = mode;
  parsed->level = static_cast<Level>(lv);
  if (mode == kEmpty) return r.pos() == size ? Status::kOk : Status::kCorrupt;
  if (mode == kStored) {
    const std::size_t count = dims.nx * dims.ny * dims.nz;
    const std::size_t left = size - r.pos();
    if (left / width < count) return Status::kTruncated;
    if (left != count * width) return Status::kCorrupt;
    parsed->body = data + r.pos();
    parsed->body_size = left;
    return Status::kOk;
  }
  if (mode != kCoded && !against_prediction(mode) && !two_labels(mode)) return Status::kCorrupt;
  std::uint64_t b[6] = {};
  for (auto& v : b) {
    if (const Status s = r.varint(&v); s != Status::kOk) return s;
  }
  // Crop box inside the chunk, non-empty (each test written so that it cannot overflow).
  if (b[3] == 0 || b[4] == 0 || b[5] == 0 || b[0] >= nx || b[3] > nx - b[0] || b[1] >= ny ||
      b[4] > ny - b[1] || b[2] >= nz || b[5] > nz - b[2]) {
    return Status::kCorrupt;
  }
  parsed->box = Box{b[0], b[1], b[2], b[3], b[4], b[5]};
  if (two_labels(mode)) {
    // One nonzero label that fits the width; level max has no two-label scan.
    if (const Status s = r.varint(&parsed->foreground); s != Status::kOk) return s;
    const std::uint64_t largest = (std::uint64_t{1} << (8 * width)) - 1;
    if (parsed->foreground == 0 || parsed->foreground > largest || lv == 2) {
      return Status::kCorrupt;
    }
  }
  std::uint64_t payload_size = 0;
  if (const Status s = r.varint(&payload_size); s != Status::kOk) return s;
  if (payload_size > size - r.pos()) return Status::kTruncated;
  if (payload_size < size - r.pos()) return Status::kCorrupt;
  parsed->body = data + r.pos();
  parsed->body_size = payload_size;
  return Status::kOk;
}

template <class T, bool kRef, bool kTwo = false, bool kEdge = false>
Status decode_level(const Parsed& p, const Box& box, T* out, std::size_t out_nx, std::size_t out_ny,
                    bool out_is_zero, Prediction<T> prediction) {
  const T foreground = static_cast<T>(p.foreground);
  const bool primed = p.mode == kTwoLabelsPrimed;
  switch (p.level) {
    case Level::kFast:
      return decode_box<T, template_size(0) + kRef, false, kRef, kTwo, kEdge>(
          p.body, p.body_size, box, out, out_nx, out_ny, out_is_zero, prediction, foreground,
          primed);
    case Level::kDefault:
      return decode_box<T, template_size(1) + kRef, false, kRef, kTwo, kEdge>(
          p.body, p.body_size, box, out, out_nx, out_ny, out_is_zero, prediction, foreground,
          primed);
    case Level::kMax:
      if constexpr (!kTwo) {
        return decode_box<T, template_size(2) + kRef, true, kRef, false, kEdge>(
            p.body, p.body_size, box, out, out_nx, out_ny, out_is_zero, prediction, foreground,
            false);
      }
      break;
  }
  return Status::kCorrupt;  // parse_chunk lets no other level through
}

// Decodes a coded payload's crop box `box` into out (rows of out_nx voxels,
// slices of out_ny rows), where out is the position of chunk voxel (0, 0, 0) for the box's
// coordinates. predicted: the chunk's prediction (modes 3 and 5 only; null otherwise).
template <class T>
Status decode_payload(const Parsed& p, Dims dims, const Box& box, T* out, std::size_t out_nx,
                      std::size_t out_ny, bool out_is_zero, const T* predicted) {
  if (against_prediction(p.mode)) {
    if (predicted == nullptr) return Status::kNeedsPrediction;
    const Prediction<T> at = prediction_at(predicted, dims, p.box);
    if (p.mode == kPredictedEdges) {
      return decode_level<T, true, false, true>(p, box, out, out_nx, out_ny, out_is_zero, at);
    }
    return decode_level<T, true>(p, box, out, out_nx, out_ny, out_is_zero, at);
  }
  if (two_labels(p.mode))
    return decode_level<T, false, true>(p, box, out, out_nx, out_ny, out_is_zero, {});
  return decode_level<T, false>(p, box, out, out_nx, out_ny, out_is_zero, {});
}

// The stored voxels (little-endian, chunk order) into out with its strides.
template <class T>
void copy_stored(const Parsed& p, Dims dims, T* out, std::size_t out_nx, std::size_t out_ny) {
  const std::uint8_t* from = p.body;
  for (std::size_t z = 0; z < dims.nz; ++z) {
    for (std::size_t y = 0; y < dims.ny; ++y) {
      T* row = out + (z * out_ny + y) * out_nx;
      for (std::size_t x = 0; x < dims.nx; ++x, from += sizeof(T)) {
        std::uint64_t v = 0;
        for (std::size_t b = 0; b < sizeof(T); ++b) v |= std::uint64_t{from[b]} << (8 * b);
        row[x] = static_cast<T>(v);
      }
    }
  }
}

}  // namespace

template <class T>
Status decode_chunk_into(const std::uint8_t* data, std::size_t size, Dims dims, T* out,
                         std::size_t out_nx, std::size_t out_ny, bool out_is_zero,
                         const T* predicted) {
  if (out_nx < dims.nx || out_ny < dims.ny) return Status::kBadArgument;
  Parsed p;
  if (const Status s = parse_chunk(data, size, dims, sizeof(T), &p); s != Status::kOk) return s;
  if (p.mode == kStored) {
    copy_stored(p, dims, out, out_nx, out_ny);
    return Status::kOk;
  }
  const Box none{0, 0, 0, 0, 0, 0};
  if (!out_is_zero) zero_outside(out, dims, p.mode == kEmpty ? none : p.box, out_nx, out_ny);
  if (p.mode == kEmpty) return Status::kOk;
  return decode_payload(p, dims, p.box, out, out_nx, out_ny, out_is_zero, predicted);
}

Status peek_crop(const std::uint8_t* data, std::size_t size, Dims dims, std::size_t width,
                 CropBox* crop) {
  Parsed p;
  if (const Status s = parse_chunk(data, size, dims, width, &p); s != Status::kOk) return s;
  *crop = CropBox{};
  if (p.mode == kStored) {
    crop->dims = dims;
    crop->empty = dims.nx * dims.ny * dims.nz == 0;
  } else if (p.mode != kEmpty) {
    crop->x0 = p.box.x0;
    crop->y0 = p.box.y0;
    crop->z0 = p.box.z0;
    crop->dims = Dims{p.box.wx, p.box.wy, p.box.wz};
    crop->empty = false;
    if (two_labels(p.mode)) crop->only_label = p.foreground;
  }
  return Status::kOk;
}

template <class T>
Status decode_crop(const std::uint8_t* data, std::size_t size, Dims dims, T* out,
                   const T* predicted) {
  Parsed p;
  if (const Status s = parse_chunk(data, size, dims, sizeof(T), &p); s != Status::kOk) return s;
  if (p.mode == kStored) {
    copy_stored(p, dims, out, dims.nx, dims.ny);
    return Status::kOk;
  }
  if (p.mode == kEmpty) return Status::kOk;
  // The crop box alone, at the origin of a buffer of its own size: the scan's contexts do not
  // depend on where the box lies in the chunk.
  const Box at_origin{0, 0, 0, p.box.wx, p.box.wy, p.box.wz};
  return decode_payload(p, dims, at_origin, out, p.box.wx, p.box.wy, true, predicted);
}

#define MEDMASK_CODEC_INSTANTIATE(T)                                                            \
  template std::vector<std::uint8_t> encode_chunk<T>(const T*, Dims, Level, const T*);          \
  template Status decode_chunk<T>(const std::uint8_t*, std::size_t, Dims, T*, bool, const T*);  \
  template Status decode_crop<T>(const std::uint8_t*, std::size_t, Dims, T*, const T*);         \
  template Status decode_chunk_into<T>(const std::uint8_t*, std::size_t, Dims, T*, std::size_t, \
                                       std::size_t, bool, const T*);
MEDMASK_CODEC_INSTANTIATE(std::uint8_t)
MEDMASK_CODEC_INSTANTIATE(std::uint16_t)
MEDMASK_CODEC_INSTANTIATE(std::uint32_t)
#undef MEDMASK_CODEC_INSTANTIATE

}  // namespace medmask::codec
