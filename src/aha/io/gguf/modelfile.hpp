// An Ollama Modelfile for an exported GGUF: FROM the file, PARAMETER stop for the model's
// end-of-sequence tokens, and the sampling defaults of generation_config.json. No TEMPLATE line:
// Ollama takes the chat template from the GGUF's tokenizer.chat_template.
#pragma once

#include <string>

namespace aha::io::gguf {

// The Modelfile text for `gguf_name` (a file name beside the Modelfile) exported from model
// directory `dir`.
std::string ollama_modelfile(const std::string& dir, const std::string& gguf_name);

}  // namespace aha::io::gguf
