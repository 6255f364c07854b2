// Data-parallel runs under mpirun: N processes give the bits of one process that accumulates N
// times as many micro-batches (the same global batch), for pretrain, SFT and GRPO, full and LoRA,
// and eval and distill write what one process writes; a resumed run may change the number of
// processes; a killed rank ends the job; bad launches fail at once naming the rank.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "aha/base/sha256.hpp"
#include "aha/tokenizer/tokenizer.hpp"
#include "support/tiny_model.hpp"
#include "tests/train/fixtures.hpp"

namespace aha::train {
namespace {

namespace fs = std::filesystem;

// Open MPI as root in a container, ranks that may outnumber the cores, no binding to one core.
const char* kMpirun =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none "
    "mpirun --oversubscribe --bind-to none";

// `aha args` on `ranks` processes under mpirun: the exit status and everything printed.
std::pair<int, std::string> mpirun(int ranks, const std::string& args) {
  return test::run_shell(fmt::format("{} -np {} {} {}", kMpirun, ranks, AHA_BINARY, args));
}

class DataParallel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!AHA_HAVE_MPI) GTEST_SKIP() << "built without MPI";
  }

  // A pretraining run's config (the arithmetic task, a tiny model, eval and checkpoints).
  std::string pretrain_config(const std::string& extra = "") {
    return testing::write_arithmetic_config(
        root,
        "max_steps: 4\nsave_steps: 2\nlogging_steps: 1\nper_device_train_batch_size: 4\n"
        "eval_dataset_path: " +
            write_eval() + "\n" + extra,
        32);
  }

  std::string write_eval() {
    const std::string path = dir.file("eval.jsonl");
    std::string lines;
    for (const char* t : {"12+30=42", "7+8=15", "99+1=100", "5+5=10", "40+2=42"})
      lines += Json{{"text", t}}.dump() + "\n";
    test::write_text(path, lines);
    return path;
  }

  // A tiny random model with the byte tokenizer, in `dir`/model.
  std::string write_byte_model() {
    const std::string model = dir.file("model");
    fs::create_directories(model);
    Json config = test::tiny_llama_config();
    config["vocab_size"] = 257;
    config["eos_token_id"] = 256;
    config["max_position_embeddings"] = 512;
    test::write_tiny_model(model, config, 4);
    testing::write_byte_tokenizer(model);
    return model;
  }

  // `aha args` in one process accumulating `accumulation` micro-batches a step into `one`, and on
  // `ranks` processes accumulating accumulation / ranks each into `other`: true when both ran.
  bool run_one_and_ranks(const std::string& args, int accumulation, int ranks, const std::string& one,
                         const std::string& other) {
    const std::string set = " --set gradient_accumulation_steps={} --set output_dir={}";
    const test::RunResult r = test::run_aha(args + fmt::format(fmt::runtime(set), accumulation, one));
    EXPECT_EQ(r.status, 0) << r.err;
    const auto [status, out] = mpirun(ranks, args + fmt::format(fmt::runtime(set), accumulation / ranks, other));
    EXPECT_EQ(status, 0) << out;
    return r.status == 0 && status == 0;
  }

  // The metrics.jsonl of runs `one` and `other`: as many lines, equal in `keys` where `one` has them.
  void expect_same_metrics(const std::string& one, const std::string& other, std::initializer_list<const char*> keys) {
    const auto want = testing::read_json_lines(one + "/metrics.jsonl"),
               got = testing::read_json_lines(other + "/metrics.jsonl");
    ASSERT_EQ(got.size(), want.size()) << other;
    for (size_t i = 0; i < want.size(); ++i)
      for (const char* key : keys)
        if (want[i].contains(key)) {
          EXPECT_EQ(got[i][key], want[i][key]) << other << " line " << i << " " << key;
        }
  }

  // The SHA-256 of `file` in the run written to `out` (a failure when it is missing or empty).
  std::string output(const std::string& out, const std::string& file) {
    const std::string bytes = testing::slurp(out + "/" + file);
    if (bytes.empty()) ADD_FAILURE() << out << "/" << file << " is missing or empty";
    return sha256_hex(bytes);
  }

  // Writes the Python reward script `name`: as root, aha runs reward programs as nobody, who must
  // be able to read the script and its directory.
  std::string write_reward_script(const std::string& name, const std::string& body) {
    std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all | std::filesystem::perms::others_read |
                                                 std::filesystem::perms::others_exec);
    test::write_text(dir.file(name), body);
    return dir.file(name);
  }

  test::TempDir dir;
  std::string root = dir.path().string();
};

// One process accumulating 4 micro-batches of 4 against 2 processes x 2 and 4 processes x 1.
TEST_F(DataParallel, pretrain_on_2_and_4_processes_gives_the_bits_of_one) {
  const std::string config = pretrain_config();
  const std::string one = dir.file("one"), two = dir.file("two"), four = dir.file("four");
  const test::RunResult r = test::run_aha("pretrain --threads 1 --config " + config +
                                          " --set gradient_accumulation_steps=4 --set output_dir=" + one);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto [s2, out2] = mpirun(
      2, "pretrain --threads 1 --config " + config + " --set gradient_accumulation_steps=2 --set output_dir=" + two);
  ASSERT_EQ(s2, 0) << out2;
  const auto [s4, out4] = mpirun(
      4, "pretrain --threads 1 --config " + config + " --set gradient_accumulation_steps=1 --set output_dir=" + four);
  ASSERT_EQ(s4, 0) << out4;
  // Ranks with different thread counts (nodes with other core counts): the same run, the same bits.
  const std::string mixed = dir.file("mixed");
  const std::string args =
      "pretrain --config " + config + " --set gradient_accumulation_steps=2 --set output_dir=" + mixed;
  const auto [sm, outm] = test::run_shell(
      fmt::format("{} -np 1 {} {} --threads 1 : -np 1 {} {} --threads 2", kMpirun, AHA_BINARY, args, AHA_BINARY, args));
  ASSERT_EQ(sm, 0) << outm;
  for (const std::string& run : {two, four, mixed}) {
    EXPECT_EQ(output(run, "model.safetensors"), output(one, "model.safetensors")) << run;
    EXPECT_EQ(output(run, "checkpoint-2/model.safetensors"), output(one, "checkpoint-2/model.safetensors")) << run;
    // The same losses, gradient norms and eval losses, step by step (only the rates differ).
    expect_same_metrics(one, run, {"loss", "grad_norm", "eval_loss"});
  }
  const Json provenance = read_json_file(four + "/provenance.json");
  EXPECT_EQ(provenance["run"]["processes"], 4);
  EXPECT_EQ(provenance["run"]["hosts"].size(), 4u);
  EXPECT_EQ(read_json_file(one + "/provenance.json")["run"]["processes"], 1);
  // Rank 0 alone wrote: no leftovers of the shared-directory check, one metrics line per step.
  EXPECT_FALSE(fs::exists(four + "/.aha-ranks-share-this-directory"));
}

// LoRA with dropout: the masks follow the global micro-batch, not the rank.
TEST_F(DataParallel, lora_pretrain_on_2_processes_gives_the_bits_of_one) {
  ASSERT_EQ(test::run_aha("pretrain --threads 1 --config " + pretrain_config("max_steps: 2\n") +
                          " --set output_dir=" + dir.file("base"))
                .status,
            0);
  test::write_text(dir.file("lora.yaml"),
                   fmt::format("model_name_or_path: {}\ndataset_task: arithmetic\nmax_length: 32\n"
                               "per_device_train_batch_size: 4\nlearning_rate: 1e-2\nmax_steps: 3\nseed: 5\n"
                               "use_peft: true\nlora_r: 4\nlora_dropout: 0.1\nlora_target_modules: all-linear\n",
                               dir.file("base")));
  const std::string config = " --config " + dir.file("lora.yaml");
  const test::RunResult r = test::run_aha("pretrain --threads 1" + config +
                                          " --set gradient_accumulation_steps=2 --set output_dir=" + dir.file("one"));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto [s, out] = mpirun(
      2, "pretrain --threads 1" + config + " --set gradient_accumulation_steps=1 --set output_dir=" + dir.file("two"));
  ASSERT_EQ(s, 0) << out;
  EXPECT_EQ(output(dir.file("two"), "adapter_model.safetensors"), output(dir.file("one"), "adapter_model.safetensors"));
}

// A run of 2 processes killed after its checkpoint resumes on 4 (the same global batch) and ends
// with the bits of an uninterrupted run of one process.
TEST_F(DataParallel, a_run_resumes_with_another_number_of_processes) {
  const std::string config = pretrain_config();
  const std::string one = dir.file("one"), resumed = dir.file("resumed");
  ASSERT_EQ(test::run_aha("pretrain --threads 1 --config " + config +
                          " --set gradient_accumulation_steps=4 --set output_dir=" + one)
                .status,
            0);
  const auto [s2, out2] = mpirun(2, "pretrain --threads 1 --config " + config +
                                        " --set gradient_accumulation_steps=2 --set output_dir=" + resumed);
  ASSERT_EQ(s2, 0) << out2;
  // As if killed after checkpoint-2: the later checkpoint and the final files gone.
  fs::remove_all(resumed + "/checkpoint-4");
  for (const char* f : {"model.safetensors", "provenance.json"}) fs::remove(resumed + "/" + f);
  const auto [s4, out4] = mpirun(4, "pretrain --threads 1 --resume --config " + config +
                                        " --set gradient_accumulation_steps=1 --set output_dir=" + resumed);
  ASSERT_EQ(s4, 0) << out4;
  EXPECT_NE(out4.find("resuming from"), std::string::npos) << out4;
  EXPECT_EQ(output(resumed, "model.safetensors"), output(one, "model.safetensors"));
}

// A rank killed with SIGKILL mid-run ends the job within 30 s, non-zero, with a line naming the
// rank; --resume then ends with the bits of an uninterrupted run.
TEST_F(DataParallel, a_killed_rank_ends_the_job_and_the_run_resumes) {
  const std::string config = testing::write_arithmetic_config(root, "max_steps: 120\nsave_steps: 20\n");
  const std::string one = dir.file("one"), killed = dir.file("killed");
  ASSERT_EQ(test::run_aha("pretrain --threads 1 --config " + config +
                          " --set gradient_accumulation_steps=2 --set output_dir=" + one)
                .status,
            0);
  // mpirun in the background; once the first checkpoint is written, SIGKILL to its last rank.
  const std::string script = fmt::format(
      "{} -np 2 {} pretrain --threads 1 --config {} --set gradient_accumulation_steps=1 --set output_dir={} "
      "> {}/mpirun.log 2>&1 & job=$!; "
      "for i in $(seq 600); do [ -d {}/checkpoint-20 ] && break; sleep 0.05; done; "
      "kill -9 $(pgrep -P $job | tail -1); start=$(date +%s); wait $job; status=$?; "
      "echo \"status $status seconds $(( $(date +%s) - start ))\"; cat {}/mpirun.log",
      kMpirun, AHA_BINARY, config, killed, root, killed, root);
  const auto [shell, out] = test::run_shell("bash -c '" + script + "'");
  ASSERT_EQ(shell, 0) << out;
  int status = -1, seconds = -1;
  ASSERT_EQ(std::sscanf(out.c_str(), "status %d seconds %d", &status, &seconds), 2) << out;
  EXPECT_NE(status, 0) << out;
  EXPECT_LE(seconds, 30) << out;
  // Open MPI names the rank and the signal: "process rank 1 with PID 0 on node vm exited on signal 9".
  EXPECT_NE(out.find("rank 1 with PID"), std::string::npos) << out;
  EXPECT_NE(out.find("signal 9"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(killed + "/model.safetensors")) << "the killed run ended early: " << out;
  const auto [resumed, resumed_out] = mpirun(2, "pretrain --threads 1 --resume --config " + config +
                                                    " --set gradient_accumulation_steps=1 --set output_dir=" + killed);
  ASSERT_EQ(resumed, 0) << resumed_out;
  EXPECT_EQ(output(killed, "model.safetensors"), output(one, "model.safetensors"));
}

TEST_F(DataParallel, sft_on_2_processes_gives_the_bits_of_one) {
  ASSERT_EQ(test::run_aha("pretrain --threads 1 --config " + pretrain_config("max_steps: 2\n") +
                          " --set output_dir=" + dir.file("base"))
                .status,
            0);
  std::string data;
  for (int a = 0; a < 24; ++a)
    data += Json{{"prompt", std::to_string(a) + "+1="}, {"completion", std::to_string(a + 1)}}.dump() + "\n";
  test::write_text(dir.file("sft.jsonl"), data);
  test::write_text(dir.file("sft.yaml"), fmt::format("model_name_or_path: {}\ndataset_path: {}\nmax_length: 32\n"
                                                     "per_device_train_batch_size: 3\nlearning_rate: 3e-3\n"
                                                     "num_train_epochs: 2\nlogging_steps: 1\nsave_steps: 100\n",
                                                     dir.file("base"), dir.file("sft.jsonl")));
  // Full fine-tuning, then LoRA (with dropout) on the same data.
  for (const std::string lora : {"", " --set use_peft=true --set lora_r=4 --set lora_dropout=0.1"}) {
    const std::string one = dir.file("one" + std::to_string(lora.size())),
                      two = dir.file("two" + std::to_string(lora.size()));
    ASSERT_TRUE(run_one_and_ranks("sft --threads 1 --config " + dir.file("sft.yaml") + lora, 2, 2, one, two));
    const std::string weights = lora.empty() ? "model.safetensors" : "adapter_model.safetensors";
    EXPECT_EQ(output(two, weights), output(one, weights)) << lora;
    expect_same_metrics(one, two, {"loss", "grad_norm"});
  }
}

// GRPO: each rank samples its share of the prompt groups and computes its micro-batches; with
// two updates per rollout, the KL term and a checkpoint between the updates, 2 processes give one
// process's weights, metrics and completions; with LoRA (dropout) too, and on 4 processes.
TEST_F(DataParallel, grpo_on_2_and_4_processes_gives_the_bits_of_one) {
  const std::string model = write_byte_model();
  // A reward that varies within every group, so that the advantages and the updates are not zero.
  const std::string score = write_reward_script("score.py",
                                                "import json, sys\nfor line in sys.stdin:\n"
                                                "    print(sum(map(ord, json.loads(line)['completion'])) % 7 / 7)\n");
  test::write_text(
      dir.file("grpo.yaml"),
      fmt::format("model_name_or_path: {}\nreward_funcs: [{{name: external, command: '/usr/bin/python3 {}'}}]\n"
                  "prompt_template: raw\n"
                  "dataset_task: arithmetic\ndataset_num_examples: 20\nnum_generations: 4\n"
                  "per_device_train_batch_size: 4\nmax_completion_length: 6\nlearning_rate: 1e-2\n"
                  "temperature: 1.5\nmax_steps: 4\nnum_iterations: 2\nbeta: 0.04\nsave_steps: 3\n"
                  "log_completions_steps: 1\nseed: 7\neval_dataset_task: arithmetic\neval_dataset_num_examples: 3\n"
                  "eval_steps: 2\nnum_generations_eval: 3\n",
                  model, score));
  // grpo's loss divides by the micro-batches of every rank; dapo's by every completion token.
  // Dynamic sampling refills the global batch from the gathered rollout.
  for (const std::string lora : {" --set loss_type=grpo",
                                 " --set use_peft=true --set lora_r=4 --set lora_dropout=0.1 "
                                 "--set dynamic_sampling=true"}) {
    const std::string config = " --config " + dir.file("grpo.yaml") + lora;
    const std::string one = dir.file("one" + std::to_string(lora.size())),
                      two = dir.file("two" + std::to_string(lora.size()));
    ASSERT_TRUE(run_one_and_ranks("grpo --threads 1" + config, 4, 2, one, two));
    const std::string weights =
        lora.find("use_peft") == std::string::npos ? "model.safetensors" : "adapter_model.safetensors";
    EXPECT_EQ(output(two, weights), output(one, weights)) << lora;
    EXPECT_EQ(output(two, "checkpoint-3/" + weights), output(one, "checkpoint-3/" + weights)) << lora;
    EXPECT_EQ(output(two, "completions.jsonl"), output(one, "completions.jsonl")) << lora;
    EXPECT_NE(testing::read_json_lines(one + "/metrics.jsonl").back()["grad_norm"], 0.0)
        << lora << ": the run learns nothing, so compares nothing";
    // The evaluation (3 held-out prompts, shared among the ranks) draws the same samples too.
    expect_same_metrics(one, two,
                        {"loss", "grad_norm", "reward", "kl", "entropy", "clip_ratio/region_mean", "eval/pass@1",
                         "eval/maj@3", "eval/greedy_pass@1", "eval/reward"});
    int64_t evaluations = 0;
    for (const Json& line : testing::read_json_lines(two + "/metrics.jsonl"))
      evaluations += line.contains("eval/pass@1");
    EXPECT_EQ(evaluations, 2) << lora << ": steps 2 and 4 evaluate";
    if (!lora.starts_with(" --set loss_type")) continue;
    // 4 processes: one group of 4 completions each.
    const std::string four = dir.file("four");
    const auto [s4, out4] =
        mpirun(4, "grpo --threads 1" + config + " --set gradient_accumulation_steps=1 --set output_dir=" + four);
    ASSERT_EQ(s4, 0) << out4;
    EXPECT_EQ(output(four, weights), output(one, weights));
    EXPECT_EQ(output(four, "completions.jsonl"), output(one, "completions.jsonl"));
  }
}

// eval: each rank samples and scores its share of the items; rank 0 writes what one process does.
TEST_F(DataParallel, eval_on_2_processes_writes_what_one_process_does) {
  const std::string args =
      "eval --threads 1 --model " + write_byte_model() +
      " --task arithmetic --count 5 --samples 3 --k 1,3 --temperature 1.5 --max-tokens 6 --prompt-template raw --out ";
  const test::RunResult r = test::run_aha(args + dir.file("one"));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto [s, out] = mpirun(2, args + dir.file("two"));
  ASSERT_EQ(s, 0) << out;
  EXPECT_EQ(output(dir.file("two"), "items.jsonl"), output(dir.file("one"), "items.jsonl"));
  const Json want = read_json_file(dir.file("one/summary.json")), got = read_json_file(dir.file("two/summary.json"));
  EXPECT_EQ(got["metrics"], want["metrics"]);
  EXPECT_EQ(got["dataset"]["tokens"], want["dataset"]["tokens"]);
}

// distill: each rank samples and scores its share of the prompts; rank 0 writes the dataset one
// process writes (a teacher that writes runs of 7s and 8s ending at EOS or cut off, and a reward
// that keeps about half of the samples).
TEST_F(DataParallel, distill_on_2_processes_writes_what_one_process_does) {
  const std::string model = write_byte_model();
  std::vector<float> bias(257, 0.0f);
  for (int32_t id : tokenizer::Tokenizer::load(model + "/tokenizer.json").encode("78")) bias[id] = 40.0f;
  bias[256] = 40.0f;
  test::add_logit_bias(model, bias);
  const std::string even =
      write_reward_script("even.py",
                          "import json, sys\nfor line in sys.stdin:\n"
                          "    print(1 if len(json.loads(line)['completion'].encode()) % 2 == 0 else 0)\n");
  test::write_text(
      dir.file("distill.yaml"),
      fmt::format("model_name_or_path: {}\ndataset_task: arithmetic\ndataset_num_examples: 5\n"
                  "prompt_template: raw\nreward_funcs: [{{name: external, command: '/usr/bin/python3 {}'}}]\n"
                  "num_samples: 4\nmax_completion_length: 3\nseed: 3\n",
                  model, even));
  const std::string args = "distill --threads 1 --config " + dir.file("distill.yaml") + " --set output_dir=";
  const test::RunResult r = test::run_aha(args + dir.file("one"));
  ASSERT_EQ(r.status, 0) << r.err;
  const auto [s, out] = mpirun(2, args + dir.file("two"));
  ASSERT_EQ(s, 0) << out;
  EXPECT_EQ(output(dir.file("two"), "train.jsonl"), output(dir.file("one"), "train.jsonl"));
  // DATASET.yaml is JSON after its first (comment) line.
  auto counts = [&](const std::string& run) {
    const std::string text = testing::slurp(dir.file(run + "/DATASET.yaml"));
    return Json::parse(text.substr(text.find('\n') + 1))["generation"]["counts"];
  };
  EXPECT_EQ(counts("two"), counts("one"));
  EXPECT_GT(counts("one")["kept"].get<int>(), 0);
  EXPECT_GT(counts("one")["no_eos"].get<int>(), 0);
}

// Ranks given different configs, ranks that do not share output_dir, and a command that does not
// run data-parallel: one line naming the rank, a non-zero status, no hang.
TEST_F(DataParallel, bad_launches_fail_at_once_naming_the_rank) {
  const std::string config = pretrain_config();
  const auto [differ, differ_out] =
      test::run_shell(fmt::format("{} -np 1 {} pretrain --threads 1 --config {} : -np 1 {} pretrain --threads 1 "
                                  "--config {} --set seed=4",
                                  kMpirun, AHA_BINARY, config, AHA_BINARY, config));
  EXPECT_NE(differ, 0);
  EXPECT_NE(differ_out.find("rank 1 was given another config than rank 0"), std::string::npos) << differ_out;

  // Rank 1 runs a copy of aha with one byte more (still the same program to the loader).
  const std::string other = dir.file("aha-other");
  fs::copy_file(AHA_BINARY, other);
  test::write_text(dir.file("byte"), "x");
  ASSERT_EQ(test::run_shell("cat " + dir.file("byte") + " >> " + other).first, 0);
  const auto [binary, binary_out] = test::run_shell(
      fmt::format("{} -np 1 {} pretrain --threads 1 --config {} : -np 1 {} pretrain --threads 1 --config {}", kMpirun,
                  AHA_BINARY, config, other, config));
  EXPECT_NE(binary, 0);
  EXPECT_NE(binary_out.find("rank 1 runs another aha executable than rank 0"), std::string::npos) << binary_out;

  // The same config text with a relative output_dir, run from two working directories.
  fs::create_directories(dir.file("a"));
  fs::create_directories(dir.file("b"));
  const auto [apart, apart_out] = test::run_shell(
      fmt::format("{} -np 1 --wdir {} {} pretrain --threads 1 --config {} --set output_dir=out : -np 1 --wdir {} {} "
                  "pretrain --threads 1 --config {} --set output_dir=out",
                  kMpirun, dir.file("a"), AHA_BINARY, config, dir.file("b"), AHA_BINARY, config));
  EXPECT_NE(apart, 0);
  EXPECT_NE(apart_out.find("rank 1 does not see the files rank 0 writes there"), std::string::npos) << apart_out;

  const auto [merge, merge_out] = mpirun(2, "merge --adapter " + dir.file("nowhere") + " --out " + dir.file("merged"));
  EXPECT_EQ(merge, 2) << merge_out;
  EXPECT_NE(merge_out.find("aha merge runs in one process"), std::string::npos) << merge_out;
}

// A build without MPI (the sanitizer builds) started by mpirun would train alone in every process
// and write the same files: it says so and exits 2. (mpirun's variable is enough to see it.)
TEST(DataParallelWithoutMpi, a_build_without_mpi_under_mpirun_exits_2) {
  if (AHA_HAVE_MPI) GTEST_SKIP() << "built with MPI";
  const auto [status, out] =
      test::run_shell(fmt::format("OMPI_COMM_WORLD_SIZE=2 {} pretrain --config x.yaml", AHA_BINARY));
  EXPECT_EQ(status, 2) << out;
  EXPECT_NE(out.find("this aha was built without MPI, but mpirun started it (2 processes)"), std::string::npos) << out;
}

}  // namespace
}  // namespace aha::train
