// Training throughput of each architecture on MovieLens 100k, as configured by the shipped
// configs/movielens_<name>.toml: after a warm-up, each benchmark iteration trains a fixed
// number of batches (RECSYS_BENCH_BATCHES, default 16) of 4096 examples, negative sampling
// included. Reports samples/s and the process's peak RSS. RECSYS_BENCH_SET holds extra
// config overrides ("training.prefetch=false"); RECSYS_BENCH_ITERATIONS (default 3) how many
// such passes are timed.
//
//   build/bin/recsys-bench-train [--benchmark_filter=dcn]
// Data: $RECSYS_DATA_DIR/ml-100k (default ../shared/data/ml-100k beside the source tree).
#include <dlfcn.h>
#include <sys/resource.h>

#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include "recsys/core/pipeline.hpp"
#include "recsys/core/runtime_info.hpp"

namespace {

using namespace recsys;

std::int64_t env_int(const char* name, std::int64_t fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::stoll(value) : fallback;
}

/// Floating-point operations of every Linear layer for one training example: 2 * in * out
/// forward, twice that backward (gradients of the input and of the weight).
double linear_flops_per_sample(const torch::nn::Module& model) {
  double flops = 0.0;
  for (const auto& module : model.modules(/*include_self=*/false)) {
    if (const auto* linear = module->as<torch::nn::Linear>()) {
      flops += 6.0 * static_cast<double>(linear->options.in_features() * linear->options.out_features());
    }
  }
  return flops;
}

/// This machine's single-precision GEMM rate: large square torch::mm, as many threads as the
/// training uses.
void gemm_peak(benchmark::State& state) {
  const std::int64_t n = 2048;
  torch::Tensor a = torch::randn({n, n}), b = torch::randn({n, n}), c = torch::empty({n, n});
  torch::mm_out(c, a, b);  // warm-up
  for (auto _ : state) torch::mm_out(c, a, b);
  state.counters["gflops"] =
      benchmark::Counter(2.0 * n * n * n / 1e9 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

void train_throughput(benchmark::State& state, const std::string& config_name) {
  const std::string file = std::string(RECSYS_BENCH_SOURCE_DIR) + "/configs/movielens_" + config_name + ".toml";
  // RECSYS_BENCH_SET: space-separated overrides, e.g. "training.prefetch=false training.threads=1".
  std::vector<std::string> overrides;
  if (const char* set = std::getenv("RECSYS_BENCH_SET")) {
    std::stringstream words(set);
    for (std::string word; words >> word;) overrides.push_back(word);
  }
  const core::PipelineConfig config = core::PipelineConfig::load(file, overrides);
  core::PluginRegistry registry;
  core::discover_plugins(registry, config);

  const Config& dataset_section = config.section("dataset");
  auto dataset = registry.create<PluginKind::dataset>(dataset_section.get_string("plugin"), dataset_section);
  const Config& sampler_section = config.section("sampler");
  auto sampler = registry.create<PluginKind::sampler>(sampler_section.get_string("plugin"), sampler_section);
  const Config& loss_section = config.section("loss");
  auto loss = registry.create<PluginKind::loss>(loss_section.get_string("plugin"), loss_section);
  const core::TrainerOptions options = core::TrainerOptions::from_config(config.section("training"));
  core::configure_threads(static_cast<int>(options.threads));

  InteractionData interactions = dataset->load();
  core::SplitIndices split =
      core::split_interactions(interactions, core::SplitOptions::from_config(config.section("split")), options.seed);
  core::TrainingData data = core::prepare_training_data(
      std::move(interactions), std::move(split), core::EvaluationOptions::from_config(config.section("evaluation")),
      sampler.get(), options.seed);
  const FeatureSchema schema = data.interactions.schema;
  torch::manual_seed(options.seed);
  const Config& model_section = config.section("model");
  auto model = registry.create<PluginKind::model>(model_section.get_string("architecture"), model_section, &schema);
  core::EarlyStoppingOptions no_metrics;
  no_metrics.monitor = "loss";
  core::Trainer trainer(options, model, loss, sampler, {}, no_metrics);

  const std::int64_t batches = env_int("RECSYS_BENCH_BATCHES", 16);
  trainer.train_epoch(data, 1, 4);  // warm-up: allocator, OpenMP and BLAS thread pools
  // Under bench/matmul_efficiency.sh's GEMM timer (LD_PRELOAD): time the timed passes only, not
  // the warm-up's first-touch page faults and pool start-up.
  if (auto reset = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "recsys_gemm_timer_reset"))) reset();
  std::int64_t samples = 0, epoch = 2;
  {
    // RECSYS_BENCH_PROFILE=FILE: a Chrome trace of the timed passes (torch's legacy autograd
    // profiler, one event per operator call); bench/profile_ops.py sums it by operator.
    const char* trace = std::getenv("RECSYS_BENCH_PROFILE");
    std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
    if (trace && *trace) profile = std::make_unique<torch::autograd::profiler::RecordProfile>(std::string(trace));
    for (auto _ : state) samples += trainer.train_epoch(data, epoch++, batches).samples;
  }
  state.counters["samples_per_s"] = benchmark::Counter(static_cast<double>(samples), benchmark::Counter::kIsRate);
  // The Linear layers' share of the work, as a FLOP rate (compare with gemm_peak).
  state.counters["linear_gflops"] = benchmark::Counter(
      linear_flops_per_sample(*model) * static_cast<double>(samples) / 1e9, benchmark::Counter::kIsRate);
  state.counters["peak_rss_mb"] = peak_rss_mb();
  state.counters["intra_op_threads"] = torch::get_num_threads();
}

}  // namespace

int main(int argc, char** argv) {
  recsys::core::configure_allocator();
  if (!std::getenv("RECSYS_DATA_DIR")) setenv("RECSYS_DATA_DIR", RECSYS_BENCH_DATA_ROOT, 0);
  const recsys::core::BlasInfo blas = recsys::core::configure_threads(0).blas_info;
  spdlog::set_level(spdlog::level::warn);
  benchmark::RegisterBenchmark("gemm_peak", gemm_peak)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();
  for (const char* name : {"mf", "neumf", "wide_deep", "dcn", "dcn_v2", "fm", "autoint"}) {
    benchmark::RegisterBenchmark(name, train_throughput, std::string(name))
        ->Unit(benchmark::kMillisecond)
        ->Iterations(env_int("RECSYS_BENCH_ITERATIONS", 3))
        ->UseRealTime();
  }
  // The peak again after the models: this machine's speed drifts within minutes, so a fraction of
  // the peak is taken against the peak measured on both sides of the model (matmul_efficiency.sh).
  benchmark::RegisterBenchmark("gemm_peak_after", gemm_peak)
      ->Unit(benchmark::kMillisecond)
      ->MinTime(2.0)
      ->UseRealTime();
  benchmark::AddCustomContext("blas", blas.family + (blas.core.empty() ? "" : " " + blas.core + " kernels"));
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
