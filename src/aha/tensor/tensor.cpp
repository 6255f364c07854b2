#include "aha/tensor/tensor.hpp"

#include <cstring>

#include "aha/base/error.hpp"

namespace aha::tensor {

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string shape_string(const Shape& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

Tensor::Tensor(DType dtype, Shape shape, const uint8_t* data, std::shared_ptr<const void> owner)
    : dtype_(dtype), shape_(std::move(shape)), data_(data), owner_(std::move(owner)) {}

Tensor Tensor::from_bytes(DType dtype, Shape shape, std::vector<uint8_t> bytes) {
  if (bytes.size() != static_cast<size_t>(tensor::numel(shape)) * dtype_size(dtype))
    fail_internal("Tensor::from_bytes: byte count does not match shape");
  auto storage = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  const uint8_t* data = storage->data();
  return Tensor(dtype, std::move(shape), data, std::move(storage));
}

Tensor Tensor::from_f32(Shape shape, const std::vector<float>& values) {
  std::vector<uint8_t> bytes(values.size() * 4);
  if (!values.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return from_bytes(DType::F32, std::move(shape), std::move(bytes));
}

std::vector<float> Tensor::to_f32() const {
  std::vector<float> out(static_cast<size_t>(numel()));
  convert_to_f32(dtype_, data_, out.data(), out.size());
  return out;
}

}  // namespace aha::tensor
