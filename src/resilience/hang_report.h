// What a hung job leaves behind, and the verdict drawn from it. When a rank's watchdog fires
// (a phase or a collective took longer than --comm.timeout_s), the rank writes its record of
// recent collectives to OUT/hang/rank_<r>.json; the lowest rank that wrote one waits briefly for
// the others, compares them and prints one line naming the rank(s) that never arrived at which
// collective, e.g.
//   hang at allreduce #812 (2.2 MB, G step of step 406): rank 3 (node2) did not join (no record:
//   stopped or gone); ranks 0-2 waited 600 s
// `gan_report --hang OUT` prints the per-rank table from the same files afterwards.
#pragma once

#include <string>
#include <vector>

#include "comm/collective_flight_recorder.h"
#include "comm/communicator.h"
#include "common/run_directory.h"

namespace gan::resilience {

struct HangCollective {
  uint64_t seq = 0;
  std::string kind;
  uint64_t bytes = 0;
  std::string phase;
  int64_t step = 0;
  int64_t issued_us = 0, waited_us = 0, finished_us = 0;
};

struct RankHangRecord {
  int rank = 0;
  int world_size = 1;
  std::string host;
  std::vector<std::string> rank_hosts;  // every rank's host, from start-up ("" when unknown)
  std::string reason;                   // the watchdog's line
  int64_t written_us = 0;
  std::vector<HangCollective> collectives;  // oldest first
  // Whether every node writes into one output directory (the checkpoint storage probe found one
  // storage): only then does a node with no record here mean that its ranks stopped.
  bool shared_output = true;
};

RankHangRecord makeHangRecord(int rank, int world_size, const std::vector<std::string>& rank_hosts,
                              const std::string& reason, const comm::CollectiveFlightRecorder& record);
// At a run's start: hang records are evidence of one run only. Each node's first rank clears its
// node's OUT/hang/, so a node-local output directory holds no stale record from an earlier run
// that would join the next verdict (a shared directory is cleared by every node, harmlessly).
void clearHangRecordsAtStart(const RunDirectory& run, const comm::Communicator& communicator);
// Written atomically (temporary file, rename). Throws gan::Error when it cannot be written.
void writeHangRecord(const RunDirectory& run, const RankHangRecord& record);
// Every readable record in OUT/hang/, by rank; unreadable files are skipped.
std::vector<RankHangRecord> readHangRecords(const RunDirectory& run);

// What gan_report --hang shows: the verdict printed when the job hung (OUT/hang/verdict.json) and
// the records written before it. Records written after it come from ranks that were stopped and
// ran on for a moment when the launcher tore the job down (it sends SIGCONT before killing); they
// are listed as late and left out of the table, which shows the state the verdict was drawn from.
struct HangEvidence {
  std::string verdict;                 // as printed then; computed from the records when absent
  std::vector<RankHangRecord> records; // written before the verdict
  std::vector<int> late_ranks;         // wrote their record after it
};
HangEvidence readHangEvidence(const RunDirectory& run);

// One line: who did not arrive at which collective, or that all did and it never completed.
std::string hangVerdict(const std::vector<RankHangRecord>& records);
// One row per rank (missing ones included): host, last collective issued, what it waits on, since when.
std::string hangTable(const std::vector<RankHangRecord>& records);

// What the watchdog calls on a timeout: prints `reason`, writes this rank's record, waits up to
// `gather_s` for the others' records, prints the verdict on the lowest rank that has a record,
// then ends the job. Without a record (a run wired without one) it prints `reason` and ends the
// job at once. Never returns.
[[noreturn]] void endJobOnHang(const RunDirectory& run, comm::Communicator& communicator,
                               const comm::CollectiveFlightRecorder* record, const std::vector<std::string>& rank_hosts,
                               const std::string& reason, double gather_s, bool shared_output = true);

}  // namespace gan::resilience
