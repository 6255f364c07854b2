// Everything a pretraining or SFT run starts from: the model (loaded or freshly initialised), its
// tokenizer files, and the tokenized training and evaluation sequences.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "aha/data/sequences.hpp"
#include "aha/io/hf_config.hpp"
#include "aha/ledger/dataset.hpp"
#include "aha/model/lora.hpp"
#include "aha/model/weights.hpp"
#include "aha/train/config.hpp"

namespace aha::train {

struct TrainingInputs {
  std::string config_json;  // the text written as config.json
  io::ModelConfig model_config;
  model::Weights weights;                       // with use_peft: the frozen base
  std::optional<model::Lora> lora;              // with use_peft: the adapters, initialised as PEFT does
  std::string base_model;                       // with use_peft: model_name_or_path, absolute
  std::vector<std::string> tokenizer_files;     // copied into every model directory written
  data::SequenceSet train, eval;                // eval is empty without eval_dataset_path
  std::vector<ledger::DatasetRecord> datasets;  // fingerprints of what train and eval read
};

// Loads the model named by `config` (or initialises one from model_config and the seed), the
// tokenizer and the datasets. Errors name the file, line or key at fault.
TrainingInputs load_training_inputs(const TrainConfig& config);

// The model description (config.json text and parsed config) `config` names, without weights.
void load_model_config(const TrainConfig& config, std::string& config_json, io::ModelConfig& model_config);

}  // namespace aha::train
