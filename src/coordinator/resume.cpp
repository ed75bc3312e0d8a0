#include "coordinator/resume.h"

#include "common/error.h"
#include "common/log.h"

namespace gan::coordinator {
namespace {

// Rank 0 only: finds and loads the checkpoint to resume from.
ResumePoint loadOnCoordinator(const Config& config, train::GanTrainer& trainer) {
  ResumePoint point;
  const std::string& mode = config.output.resume;
  if (mode == "never") return point;
  std::vector<std::string> candidates;
  if (mode == "auto") {
    candidates = listCheckpoints(RunDirectory(config.output.dir));
    if (candidates.empty()) return point;
  } else {
    candidates = {mode};
  }
  std::string failures;
  for (const auto& candidate : candidates) {
    try {
      const auto contents = loadCheckpoint(candidate, trainer);
      point.resumed = true;
      point.position = contents.position;
      point.checkpoint = candidate;
      point.ema_restored = contents.ema_restored;
      return point;
    } catch (const Error& e) {
      if (mode != "auto") throw;
      logWarning(std::string("cannot resume from ") + candidate + ": " + e.what() +
                 "; falling back to the previous checkpoint");
      failures += failures.empty() ? candidate : ", " + candidate;
    }
  }
  GAN_FAIL("--output.resume=auto: no usable checkpoint in ", config.output.dir, "/checkpoints (damaged: ", failures,
           "); move them away or pass --output.resume=never to start over");
}

}  // namespace

ResumePoint resumeIfRequested(const Config& config, train::GanTrainer& trainer, comm::Communicator& communicator) {
  ResumePoint point;
  if (communicator.rank() == 0) point = loadOnCoordinator(config, trainer);
  int64_t header[4] = {point.resumed, point.position.step, point.position.global_batch, point.position.world_size};
  communicator.broadcast({header, 4, comm::ScalarType::Int64, comm::MemorySpace::Host}, 0);
  point.resumed = header[0] != 0;
  if (!point.resumed) return point;
  point.position.step = header[1];
  point.position.global_batch = header[2];
  point.position.world_size = static_cast<int>(header[3]);
  trainer.broadcastState();
  return point;
}

}  // namespace gan::coordinator
