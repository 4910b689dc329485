#include "recsys/core/distributed.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/cuda.h>
#include <torch/torch.h>

namespace recsys::core {

DistributedOptions DistributedOptions::from_config(const Config& config) {
  DistributedOptions o;
  o.backend = config.get_string("backend", o.backend);
  if (o.backend == "nccl") {
    // Debian's libtorch is built without CUDA, so without NCCL; a CUDA build would link
    // ProcessGroupNCCL behind the same ProcessGroup interface.
    config.fail("backend", std::string("\"nccl\" needs a CUDA build of libtorch with NCCL; this build has ") +
                               (torch::cuda::is_available() ? "CUDA but recsys was built without NCCL" : "no CUDA") +
                               "; use \"gloo\"");
  }
  if (o.backend != "gloo") config.fail("backend", "unknown backend '" + o.backend + "' (available: gloo)");
  // At most a week: the milliseconds below must fit (inf and nan are refused by Config).
  const double timeout = config.get_double_in("timeout_seconds", 300.0, 1e-3, 7 * 24 * 3600.0);
  o.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout * 1000.0));
  o.bucket_mb = config.get_double_in("bucket_mb", o.bucket_mb, 1e-3, 65536.0);
  return o;
}

namespace {

/// An integer environment variable in [low, high]; nullopt when unset or empty.
std::optional<int> env_int(const char* name, int low, int high) {
  const char* text = std::getenv(name);
  if (!text || !*text) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || value < low || value > high) {
    throw ConfigError(std::string("environment variable ") + name + "='" + text + "': expected an integer in [" +
                      std::to_string(low) + ", " + std::to_string(high) + "]");
  }
  return static_cast<int>(value);
}

}  // namespace

LaunchEnvironment LaunchEnvironment::from_environment() {
  LaunchEnvironment e;
  const auto world_size = env_int("WORLD_SIZE", 1, 1 << 20);
  if (!world_size || *world_size == 1) return e;
  e.world_size = *world_size;
  const auto rank = env_int("RANK", 0, e.world_size - 1);
  if (!rank)
    throw ConfigError("environment variable RANK is not set (WORLD_SIZE=" + std::to_string(e.world_size) + ")");
  e.rank = *rank;
  const char* addr = std::getenv("MASTER_ADDR");
  if (!addr || !*addr) throw ConfigError("environment variable MASTER_ADDR is not set (WORLD_SIZE > 1)");
  e.master_addr = addr;
  const auto port = env_int("MASTER_PORT", 1, 65535);
  if (!port) throw ConfigError("environment variable MASTER_PORT is not set (WORLD_SIZE > 1)");
  e.master_port = *port;
  e.local_world_size = env_int("LOCAL_WORLD_SIZE", 1, e.world_size).value_or(1);
  return e;
}

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

namespace {

/// The message of a c10d failure without its C++ backtrace.
std::string reason(const std::exception& error) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&error)) return c10_error->what_without_backtrace();
  return error.what();
}

/// Runs `operation`, turning any c10d/Gloo failure into a DistributedError that names the
/// rank and the operation.
template <typename F>
auto guarded(int rank, int world_size, std::chrono::milliseconds timeout, const char* operation, F&& f) {
  try {
    return f();
  } catch (const std::exception& error) {
    throw DistributedError("rank " + std::to_string(rank) + " of " + std::to_string(world_size) + ": " + operation +
                           " failed: " + reason(error) +
                           " (another rank exited or did not answer within [distributed] timeout_seconds = " +
                           std::to_string(timeout.count() / 1000.0) + ")");
  }
}

/// Consecutive runs of `tensors` holding at most `bucket_bytes` each (a tensor larger than
/// that gets a bucket of its own).
std::vector<std::pair<std::size_t, std::size_t>> buckets(const std::vector<torch::Tensor>& tensors,
                                                         double bucket_bytes) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t begin = 0;
  double bytes = 0.0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const double size = static_cast<double>(tensors[i].numel()) * 4.0;
    if (i > begin && bytes + size > bucket_bytes) {
      out.emplace_back(begin, i);
      begin = i;
      bytes = 0.0;
    }
    bytes += size;
  }
  if (begin < tensors.size()) out.emplace_back(begin, tensors.size());
  return out;
}

}  // namespace

std::shared_ptr<ProcessGroup> ProcessGroup::connect(const LaunchEnvironment& environment,
                                                    const DistributedOptions& options) {
  auto impl = std::make_unique<Impl>();
  guarded(environment.rank, environment.world_size, options.timeout, "rendezvous", [&] {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(environment.master_port);
    store_options.isServer = environment.rank == 0;
    store_options.numWorkers = static_cast<std::size_t>(environment.world_size);
    store_options.waitWorkers = true;
    store_options.timeout = options.timeout;
    impl->store = c10::make_intrusive<c10d::TCPStore>(environment.master_addr, store_options);
    auto gloo_options = c10d::ProcessGroupGloo::Options::create(options.timeout);
    // As torch.distributed: the interface GLOO_SOCKET_IFNAME names, else the address the
    // host name resolves to (loopback when that fails).
    const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
    gloo_options->devices.push_back(
        interface && *interface ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                                : c10d::ProcessGroupGloo::createDefaultDevice());
    gloo_options->threads = 2;
    impl->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, environment.rank, environment.world_size,
                                                              gloo_options);
    return 0;
  });
  return std::shared_ptr<ProcessGroup>(
      new ProcessGroup(std::move(impl), environment.rank, environment.world_size, options));
}

ProcessGroup::ProcessGroup(std::unique_ptr<Impl> impl, int rank, int world_size, const DistributedOptions& options)
    : impl_(std::move(impl)), rank_(rank), world_size_(world_size), options_(options) {}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::broadcast_module(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors;
  for (const auto& p : module.parameters()) tensors.push_back(p);
  for (const auto& b : module.buffers()) tensors.push_back(b);
  // One flat buffer per dtype keeps the number of collectives at one or two.
  for (const auto dtype : {torch::kFloat32, torch::kFloat64, torch::kInt64}) {
    std::vector<torch::Tensor> same;
    for (const auto& t : tensors) {
      if (t.scalar_type() == dtype) same.push_back(t);
    }
    if (same.empty()) continue;
    std::vector<torch::Tensor> flat{torch::cat([&] {
      std::vector<torch::Tensor> views;
      for (const auto& t : same) views.push_back(t.reshape(-1));
      return views;
    }())};
    guarded(rank_, world_size_, options_.timeout, "broadcast of the initial parameters", [&] {
      c10d::BroadcastOptions broadcast;
      broadcast.rootRank = 0;
      impl_->group->broadcast(flat, broadcast)->wait();
      return 0;
    });
    std::int64_t offset = 0;
    for (auto& t : same) {
      t.copy_(flat[0].slice(0, offset, offset + t.numel()).view_as(t));
      offset += t.numel();
    }
  }
}

double ProcessGroup::all_reduce_gradients(const std::vector<torch::Tensor>& parameters, double weight, double value,
                                          bool* stop) {
  torch::NoGradGuard no_grad;
  // The weighted value and the stop flag ride in the first bucket's last two elements: no
  // extra collective.
  const auto groups = buckets(parameters, options_.bucket_mb * 1024.0 * 1024.0);
  std::vector<std::vector<torch::Tensor>> flats(std::max<std::size_t>(1, groups.size()));
  std::vector<c10::intrusive_ptr<c10d::Work>> works;
  for (std::size_t b = 0; b < flats.size(); ++b) {
    std::int64_t numel = b == 0 ? 2 : 0;
    if (b < groups.size()) {
      for (std::size_t i = groups[b].first; i < groups[b].second; ++i) numel += parameters[i].numel();
    }
    torch::Tensor flat = torch::empty({numel}, torch::kFloat32);
    std::int64_t offset = 0;
    if (b < groups.size()) {
      for (std::size_t i = groups[b].first; i < groups[b].second; ++i) {
        const torch::Tensor& p = parameters[i];
        torch::Tensor slot = flat.slice(0, offset, offset + p.numel());
        const torch::Tensor& grad = p.grad();
        if (grad.defined())
          slot.copy_(grad.is_sparse() ? grad.to_dense().reshape(-1) : grad.reshape(-1));
        else
          slot.zero_();
        offset += p.numel();
      }
    }
    if (b == 0) flat[numel - 2] = value;
    flat.mul_(weight);
    if (b == 0) flat[numel - 1] = stop != nullptr && *stop ? 1.0f : 0.0f;
    flats[b] = {flat};
  }
  guarded(rank_, world_size_, options_.timeout, "gradient all-reduce", [&] {
    // Every bucket is in flight before the first wait.
    for (auto& flat : flats) works.push_back(impl_->group->allreduce(flat));
    for (auto& work : works) work->wait();
    return 0;
  });
  for (std::size_t b = 0; b < groups.size(); ++b) {
    std::int64_t offset = 0;
    for (std::size_t i = groups[b].first; i < groups[b].second; ++i) {
      const torch::Tensor& p = parameters[i];
      torch::Tensor reduced = flats[b][0].slice(0, offset, offset + p.numel()).view_as(p);
      torch::Tensor& grad = p.mutable_grad();
      if (grad.defined() && !grad.is_sparse())
        grad.copy_(reduced);
      else
        grad = reduced.clone();
      offset += p.numel();
    }
  }
  const torch::Tensor& first = flats[0][0];
  if (stop != nullptr) *stop = first[first.numel() - 1].item<float>() > 0.0f;
  return first[first.numel() - 2].item<double>();
}

torch::Tensor ProcessGroup::all_gather(const torch::Tensor& local, const std::vector<std::int64_t>& counts) {
  // Gloo gathers equal sizes: pad every rank's rows to the largest count.
  std::int64_t longest = 0;
  for (const auto c : counts) longest = std::max(longest, c);
  std::vector<torch::Tensor> input{torch::zeros({longest}, torch::kFloat32)};
  if (local.numel() > 0) input[0].slice(0, 0, local.numel()).copy_(local.reshape(-1));
  std::vector<std::vector<torch::Tensor>> output(1);
  for (int r = 0; r < world_size_; ++r) output[0].push_back(torch::empty({longest}, torch::kFloat32));
  guarded(rank_, world_size_, options_.timeout, "all-gather of evaluation scores", [&] {
    impl_->group->allgather(output, input)->wait();
    return 0;
  });
  std::vector<torch::Tensor> parts;
  for (int r = 0; r < world_size_; ++r) parts.push_back(output[0][r].slice(0, 0, counts[r]));
  return torch::cat(parts);
}

int free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error(std::string("socket(): ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string message = std::strerror(errno);
    ::close(fd);
    throw Error("finding a free port on 127.0.0.1: " + message);
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace recsys::core
