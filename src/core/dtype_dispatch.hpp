// dtype_dispatch.hpp (internal): calls a generic function with the C++ type that stores a DType.
#pragma once

#include <cstdint>

#include "medmask/volume.hpp"

namespace medmask::detail {

// fn(T{}) with T = uint8_t (bool and uint8), uint16_t or uint32_t.
template <class Fn>
void visit_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kBool:
    case DType::kUInt8:
      fn(std::uint8_t{});
      break;
    case DType::kUInt16:
      fn(std::uint16_t{});
      break;
    case DType::kUInt32:
      fn(std::uint32_t{});
      break;
  }
}

}  // namespace medmask::detail
