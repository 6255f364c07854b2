// Tensor: a dtype, a shape and bytes, either owned or a view into storage kept alive by an owner.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "aha/tensor/dtype.hpp"

namespace aha::tensor {

using Shape = std::vector<int64_t>;

// Number of elements of a shape (1 for a scalar shape []).
int64_t numel(const Shape& shape);

// A shape as text, "[2, 3]".
std::string shape_string(const Shape& shape);

class Tensor {
 public:
  Tensor() = default;
  // A view of `data` (little-endian elements); `owner` keeps the bytes alive.
  Tensor(DType dtype, Shape shape, const uint8_t* data, std::shared_ptr<const void> owner);
  // An owned tensor holding a copy of `bytes`, which must be numel(shape) * dtype_size(dtype) long.
  static Tensor from_bytes(DType dtype, Shape shape, std::vector<uint8_t> bytes);
  // An owned F32 tensor holding `values`, which must have numel(shape) elements.
  static Tensor from_f32(Shape shape, const std::vector<float>& values);

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  // Number of elements.
  int64_t numel() const { return tensor::numel(shape_); }
  // Number of bytes of data.
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  // The first byte of the data.
  const uint8_t* data() const { return data_; }
  // The elements converted to fp32 (F32, F16 and BF16 only).
  std::vector<float> to_f32() const;

 private:
  DType dtype_ = DType::F32;
  Shape shape_;
  const uint8_t* data_ = nullptr;
  std::shared_ptr<const void> owner_;
};

}  // namespace aha::tensor
