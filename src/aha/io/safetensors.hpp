// Reading and writing safetensors files (https://github.com/huggingface/safetensors format):
// an 8-byte little-endian header length, a JSON header, then the tensor bytes.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "aha/base/file.hpp"
#include "aha/tensor/tensor.hpp"

namespace aha::io {

// A safetensors file, memory-mapped; the constructor validates the whole header.
class SafetensorsFile {
 public:
  // Maps and validates `path`; any defect is a bad-input Error naming the file.
  explicit SafetensorsFile(const std::string& path);

  // The file's path.
  const std::string& path() const { return map_->path(); }
  // Tensor names in the order of their data in the file.
  const std::vector<std::string>& names() const { return names_; }
  // True when the file holds a tensor called `name`.
  bool contains(const std::string& name) const { return entries_.count(name) != 0; }
  // A view of tensor `name` into the mapped file; throws naming the file when absent.
  tensor::Tensor get(const std::string& name) const;
  // Drops tensor `name`'s pages from resident memory once a loader has copied it (MappedFile::release).
  void release(const std::string& name) const;
  // The `__metadata__` strings of the header.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  struct Entry {
    tensor::DType dtype;
    tensor::Shape shape;
    size_t begin;  // offset into the data section
  };
  std::shared_ptr<MappedFile> map_;
  size_t data_start_ = 0;
  std::map<std::string, Entry> entries_;
  std::vector<std::string> names_;
  std::map<std::string, std::string> metadata_;
};

// Writes `tensors` (and `metadata` as `__metadata__`) to `path` atomically.
void write_safetensors(const std::string& path, const std::map<std::string, tensor::Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace aha::io
