#include "checkpoint/resume.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <limits>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/file_contents.h"
#include "common/log.h"

namespace gan::checkpoint {
namespace fs = std::filesystem;
namespace {

// What a checkpoint written before an option existed implies for it: the behaviour of the
// versions that wrote it, which is the option's default (every trajectory option was added
// with the old behaviour as its default: no compression, no ADA, the whole data set, D's update
// as one fused pass, PowerSGD from the first step).
std::string impliedWhenAbsent(const std::string& option) {
  static const auto defaults = [] {
    std::map<std::string, std::string> values;
    for (const auto& [key, value] : Config().entries()) values[key] = value;
    return values;
  }();
  const auto it = defaults.find(option);
  GAN_CHECK(it != defaults.end(), "no option ", option);
  return it->second;
}

// Refusing a resume is a decision, not damage: it must not fall back to an older checkpoint.
class ResumeRefused : public Error {
 public:
  using Error::Error;
};

// Compares the trajectory options the checkpoint recorded with this run's; refuses a change
// (one line naming each option and both values) unless --output.resume_changes=allow.
void checkUnchangedTrajectory(const Config& config, const VerifiedCheckpoint& checkpoint, train::GanTrainer& trainer) {
  const auto recorded = checkpoint.state.find("config");
  if (recorded == checkpoint.state.end() || !recorded->is_object()) return;
  std::map<std::string, std::string> now;
  for (const auto& [key, value] : config.entries()) now[key] = value;
  std::string changes;
  for (const std::string& option : Config::trajectoryOptions()) {
    const auto before = recorded->find(option);
    std::string value;
    if (before != recorded->end() && before->is_string()) {
      value = before->get<std::string>();
    } else {
      value = impliedWhenAbsent(option);
    }
    if (value == now[option]) continue;
    const std::string change = std::string("--") + option + " " + value + " -> " + now[option];
    if (config.output.resume_changes == ResumeChanges::Allow) log0f("resuming with a changed option: ", change);
    changes += (changes.empty() ? "" : ", ") + change;
  }
  // A gradient reduction with state of its own says whether it can go on from the checkpoint's
  // (PowerSGD's factors cannot change their rank), allowed change or not; a refusal must not
  // pass for a damaged checkpoint.
  parallel::RecordedOptions options;
  for (const auto& [key, value] : recorded->items()) {
    if (value.is_string()) options[key] = value.get<std::string>();
  }
  for (parallel::NetworkState* network : trainer.networkStates()) {
    const std::string refusal = network->reduction().refusesToResume(options, checkpoint.dir);
    if (!refusal.empty()) throw ResumeRefused(refusal);
  }
  if (changes.empty() || config.output.resume_changes == ResumeChanges::Allow) return;
  throw ResumeRefused(detail::concat(
      "--output.resume: ", checkpoint.dir, " was trained with other settings (", changes,
      "); resume with the same options, pass --output.resume_changes=allow to continue with the new ones, or "
      "--output.resume=never to start over"));
}

// What the rank that tried a checkpoint tells every rank: resumed (and where, at which position,
// whether it held the EMA), or why not.
nlohmann::json broadcastJson(const nlohmann::json& message, int root, comm::Communicator& communicator) {
  return nlohmann::json::parse(comm::broadcastText(message.dump(), root, communicator));
}

// Verifies, checks and loads one candidate into this rank's trainer. A refusal propagates (the
// job ends with its message); damage comes back as the reason, so another copy can be tried.
nlohmann::json tryCheckpoint(const Config& config, const std::string& candidate, train::GanTrainer& trainer) {
  try {
    const auto verified = verifyCheckpoint(candidate);
    checkUnchangedTrajectory(config, verified, trainer);
    const auto contents = loadCheckpoint(verified, trainer);
    nlohmann::json outcome = {{"resumed", true}, {"checkpoint", candidate}, {"ema_restored", contents.ema_restored}};
    writePosition(contents.position, outcome["position"]);
    return outcome;
  } catch (const ResumeRefused&) {
    throw;
  } catch (const std::exception& e) {
    // Any failure to read the checkpoint (ours, LibTorch's, the file system's) is damage.
    if (config.output.resumeMode() != ResumeMode::Auto) {
      if (dynamic_cast<const Error*>(&e) != nullptr) throw;
      GAN_FAIL("--output.resume=", config.output.resume, ": cannot load (", e.what(), ")");
    }
    logWarning(std::string("cannot resume from ") + candidate + ": " + e.what() +
               "; falling back to the previous checkpoint");
    return {{"resumed", false}, {"damaged", candidate}};
  }
}

// One checkpoint this rank can offer: where, its step and its run.
struct Offer {
  std::string path;
  int64_t step = 0;
  int64_t run_id = 0;
};

// The run a checkpoint belongs to, from its state.json; 0 (the oldest) when it cannot be read
// here: the checkpoint is then still offered by its step, and its damage found when it is tried.
int64_t runIdOf(const std::string& checkpoint) {
  try {
    std::error_code error;
    const fs::path path = CheckpointFiles::stateOf(checkpoint);
    if (fs::file_size(path, error) > (4u << 20) || error) return 0;  // not ours: found out when tried
    const auto state = nlohmann::json::parse(readFileContents(path.string()));
    return std::max<int64_t>(0, state.value("run_id", int64_t{0}));
  } catch (const std::exception&) {
    return 0;
  }
}

// The checkpoints this rank offers, newest run first and within it newest step first: with
// `auto`, its copies when it keeps them (one rank per storage lists it); with a path, rank 0
// offers that path (a path need not be named step_*: it offers step 0, the only offer).
std::vector<Offer> offeredCheckpoints(const Config& config, const CheckpointStorage& storage, int rank) {
  std::vector<Offer> offers;
  if (config.output.resumeMode() == ResumeMode::Auto) {
    if (!storage.writes_here) return offers;
    for (const auto& path : listCheckpoints(RunDirectory(config.output.dir))) {
      offers.push_back({path, std::max<int64_t>(0, RunDirectory::stepOfName(fs::path(path).filename().string())),
                        runIdOf(path)});
    }
  } else if (rank == 0) {
    offers.push_back({config.output.resume, 0, 0});
  }
  std::stable_sort(offers.begin(), offers.end(), [](const Offer& a, const Offer& b) { return a.run_id > b.run_id; });
  return offers;
}

int64_t allreduceInt(int64_t value, comm::ReduceOp op, comm::Communicator& communicator) {
  communicator.allreduce({&value, 1, comm::ScalarType::Int64, comm::MemorySpace::Host}, {op});
  return value;
}

// A new run's id: rank 0's clock in microseconds, the same on every rank.
int64_t drawRunId(comm::Communicator& communicator) {
  const int64_t id = communicator.rank() == 0 ? std::chrono::duration_cast<std::chrono::microseconds>(
                                                    std::chrono::system_clock::now().time_since_epoch())
                                                    .count()
                                              : 0;
  return comm::broadcastInt64(id, 0, communicator);
}

// This rank's checkpoints of runs other than `run_id` go to OUT/previous_runs/ (they would
// otherwise be offered by their later steps, and pruned against this run's).
void setAsideOtherRuns(const Config& config, const std::vector<Offer>& offers, int64_t run_id) {
  std::vector<fs::path> others;
  for (const auto& offer : offers) {
    if (offer.run_id != run_id) others.push_back(offer.path);
  }
  if (others.empty()) return;
  const RunDirectory run(config.output.dir);
  const std::time_t now = std::time(nullptr);
  char stamp[48];
  std::strftime(stamp, sizeof stamp, "other_run_%Y%m%d-%H%M%S", std::gmtime(&now));
  const fs::path destination = run.previousRuns() / stamp / "checkpoints";
  try {
    fs::create_directories(destination);
    for (const auto& path : others) fs::rename(path, destination / path.filename());
  } catch (const fs::filesystem_error& e) {
    GAN_FAIL("cannot set another run's checkpoints aside in ", destination.string(), " (", e.code().message(), ")");
  }
  logRankLine(std::to_string(others.size()) + " checkpoint(s) in " + config.output.dir +
              " belong to another run than the one resumed (an older one, e.g. from before this node was away): "
              "moved to " + destination.string());
}

}  // namespace

ResumePoint resumeIfRequested(const Config& config, train::GanTrainer& trainer, comm::Communicator& communicator,
                              const CheckpointStorage& storage) {
  ResumePoint point;
  const int rank = communicator.rank();
  if (config.output.resumeMode() == ResumeMode::Never) {
    point.run_id = drawRunId(communicator);
    // Every storage's copy of the earlier run goes aside, or a later `auto` would find it.
    if (storage.writes_here) {
      const auto moved = setAsidePreviousRun(RunDirectory(config.output.dir));
      if (!moved.empty()) {
        log0f("--output.resume=never: the previous run in ", config.output.dir, " was moved to ", moved,
              " (nothing of it will be resumed or pruned)");
      }
    }
    return point;
  }
  // Rounds: every rank offers its newest untried checkpoint; the newest step on offer is tried by
  // the lowest rank holding it, which tells everyone the outcome. Damage moves that rank on to its
  // next copy, and another rank's copy of the same step comes next, so a node that lost or broke
  // its copy costs nothing while another holds one.
  // Each round first agrees on the newest run still on offer, then on its newest step.
  const auto offered = offeredCheckpoints(config, storage, rank);
  size_t next = 0;
  std::string damaged;
  for (;;) {
    const int64_t my_run = next < offered.size() ? offered[next].run_id : -1;
    const int64_t newest_run = allreduceInt(my_run, comm::ReduceOp::Max, communicator);
    if (newest_run < 0) break;
    const int64_t mine = my_run == newest_run ? offered[next].step : -1;
    const int64_t newest = allreduceInt(mine, comm::ReduceOp::Max, communicator);
    const int64_t holder =
        allreduceInt(mine == newest ? rank : std::numeric_limits<int64_t>::max(), comm::ReduceOp::Min, communicator);
    nlohmann::json outcome;
    if (rank == holder) {
      outcome = tryCheckpoint(config, offered[next].path, trainer);
      if (!outcome.at("resumed").get<bool>()) ++next;
    }
    outcome = broadcastJson(outcome, static_cast<int>(holder), communicator);
    if (!outcome.at("resumed").get<bool>()) {
      const std::string where = outcome.at("damaged").get<std::string>() +
                                (communicator.worldSize() > 1 ? " (rank " + std::to_string(holder) + ")" : "");
      damaged += (damaged.empty() ? "" : ", ") + where;
      continue;
    }
    point.resumed = true;
    point.source_rank = static_cast<int>(holder);
    point.checkpoint = outcome.at("checkpoint").get<std::string>();
    point.ema_restored = outcome.at("ema_restored").get<bool>();
    point.position = readPosition(outcome.at("position"), "the resume point from rank " + std::to_string(holder));
    break;
  }
  if (!point.resumed) {
    GAN_CHECK(damaged.empty(), "--output.resume=auto: no usable checkpoint in ", config.output.dir,
              "/checkpoints (damaged: ", damaged, "); move them away or pass --output.resume=never to start over");
    point.run_id = drawRunId(communicator);
    return point;
  }
  // A checkpoint from before runs had ids continues as a run with one from now on.
  point.run_id = point.position.run_id > 0 ? point.position.run_id : drawRunId(communicator);
  if (config.output.resumeMode() == ResumeMode::Auto) setAsideOtherRuns(config, offered, point.position.run_id);
  trainer.broadcastState(point.source_rank);
  if (trainer.hasPerRankState() && point.position.world_size != communicator.worldSize()) {
    log0f("the gradient reduction's per-rank state restarts at zero: the checkpoint was written by ", point.position.world_size,
          " ranks, this job has ", communicator.worldSize());
  }
  trainer.scatterPerRankState(point.position.world_size, point.source_rank);
  return point;
}

std::string setAsidePreviousRun(const RunDirectory& run) {
  const std::vector<fs::path> records = {run.checkpoints(), run.metrics(), run.samples(), run.tensorboard(),
                                         run.report()};
  if (std::none_of(records.begin(), records.end(), [](const fs::path& p) { return fs::exists(p); })) return {};
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "run_%Y%m%d-%H%M%S", std::gmtime(&now));
  fs::path destination = run.previousRuns() / stamp;
  for (int n = 2; fs::exists(destination); ++n) destination = run.previousRuns() / (std::string(stamp) + "_" + std::to_string(n));
  try {
    fs::create_directories(destination);
    for (const auto& record : records) {
      if (fs::exists(record)) fs::rename(record, destination / record.filename());
    }
  } catch (const fs::filesystem_error& e) {
    GAN_FAIL("--output.resume=never: cannot set the previous run aside in ", destination.string(), " (",
             e.code().message(), ")");
  }
  return destination.string();
}

}  // namespace gan::checkpoint
