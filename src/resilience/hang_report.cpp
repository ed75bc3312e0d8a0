#include "resilience/hang_report.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "comm/rank_placement.h"
#include "common/error.h"

namespace gan::resilience {
namespace fs = std::filesystem;
using json = nlohmann::json;

RankHangRecord makeHangRecord(int rank, int world_size, const std::vector<std::string>& rank_hosts,
                              const std::string& reason, const comm::CollectiveFlightRecorder& record) {
  RankHangRecord out;
  out.rank = rank;
  out.world_size = world_size;
  out.host = comm::thisHostName();
  out.rank_hosts = rank_hosts;
  out.reason = reason;
  out.written_us = comm::wallClockMicros();
  for (const auto& entry : record.recent()) {
    out.collectives.push_back({entry.seq, entry.kind, entry.bytes, entry.phase, entry.step, entry.issued_us,
                               entry.waited_us, entry.finished_us});
  }
  return out;
}

void clearHangRecordsAtStart(const RunDirectory& run, const comm::Communicator& communicator) {
  if (communicator.localRank() != 0) return;
  std::error_code ignored;
  fs::remove_all(run.hangRecords(), ignored);
}

void writeHangRecord(const RunDirectory& run, const RankHangRecord& record) {
  json collectives = json::array();
  for (const auto& c : record.collectives) {
    collectives.push_back({{"seq", c.seq}, {"kind", c.kind}, {"bytes", c.bytes}, {"phase", c.phase},
                           {"step", c.step}, {"issued_us", c.issued_us}, {"waited_us", c.waited_us},
                           {"finished_us", c.finished_us}});
  }
  const json document = {{"rank", record.rank},         {"world_size", record.world_size},
                         {"host", record.host},         {"rank_hosts", record.rank_hosts},
                         {"reason", record.reason},     {"written_us", record.written_us},
                         {"shared_output", record.shared_output}, {"collectives", collectives}};
  std::error_code error;
  fs::create_directories(run.hangRecords(), error);
  const fs::path path = run.hangRecord(record.rank);
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << document.dump(1) << "\n";
    out.close();
    GAN_CHECK(out, temporary.string(), ": cannot write the hang record");
  }
  fs::rename(temporary, path, error);
  GAN_CHECK(!error, path.string(), ": cannot write the hang record (", error.message(), ")");
}

std::vector<RankHangRecord> readHangRecords(const RunDirectory& run) {
  std::vector<RankHangRecord> records;
  std::error_code error;
  for (const auto& file : fs::directory_iterator(run.hangRecords(), error)) {
    if (file.path().extension() != ".json") continue;
    try {
      std::ifstream in(file.path());
      const json document = json::parse(in);
      RankHangRecord record;
      record.rank = document.at("rank").get<int>();
      record.world_size = document.at("world_size").get<int>();
      record.host = document.at("host").get<std::string>();
      record.rank_hosts = document.at("rank_hosts").get<std::vector<std::string>>();
      record.reason = document.at("reason").get<std::string>();
      record.written_us = document.at("written_us").get<int64_t>();
      record.shared_output = document.value("shared_output", true);
      for (const auto& c : document.at("collectives")) {
        record.collectives.push_back({c.at("seq").get<uint64_t>(), c.at("kind").get<std::string>(),
                                      c.at("bytes").get<uint64_t>(), c.at("phase").get<std::string>(),
                                      c.at("step").get<int64_t>(), c.at("issued_us").get<int64_t>(),
                                      c.at("waited_us").get<int64_t>(), c.at("finished_us").get<int64_t>()});
      }
      records.push_back(std::move(record));
    } catch (const std::exception&) {
      // A half-written or foreign file is no evidence; the rank counts as without a record.
    }
  }
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.rank < b.rank; });
  return records;
}

namespace {

uint64_t lastIssued(const RankHangRecord& record) {
  return record.collectives.empty() ? 0 : record.collectives.back().seq;
}

// The unfinished collective this rank waits on (seq 0: none).
HangCollective waitingOn(const RankHangRecord& record) {
  for (const auto& c : record.collectives) {
    if (c.waited_us != 0 && c.finished_us == 0) return c;
  }
  return {};
}

std::string sizeText(uint64_t bytes) {
  char text[32];
  if (bytes >= (1u << 20)) {
    std::snprintf(text, sizeof text, "%.1f MB", double(bytes) / 1e6);
  } else if (bytes >= 1000) {
    std::snprintf(text, sizeof text, "%.1f kB", double(bytes) / 1e3);
  } else {
    std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
  }
  return text;
}

std::string describe(const HangCollective& c) {
  std::ostringstream out;
  out << c.kind << " #" << c.seq << " (" << sizeText(c.bytes) << ", ";
  if (!c.phase.empty()) out << c.phase << " of ";
  out << "step " << c.step << ")";
  return out.str();
}

struct Evidence {
  int world = 0;
  std::map<int, const RankHangRecord*> by_rank;
  std::vector<std::string> hosts;  // by rank, from any record's start-up table
  std::set<std::string> recorded_hosts;  // nodes with at least one record here
  bool shared_output = true;             // every record says the output directory is shared
  // A rank without a record whose whole node left none here, when nodes keep their own output
  // directories: its record may be on its node; only otherwise is it known to have stopped.
  bool recordMayBeElsewhere(int rank) const {
    const std::string host = hostOf(rank);
    return !shared_output && host != "?" && recorded_hosts.count(host) == 0;
  }
  std::string hostOf(int rank) const {
    if (auto it = by_rank.find(rank); it != by_rank.end()) return it->second->host;
    return rank < static_cast<int>(hosts.size()) && !hosts[rank].empty() ? hosts[rank] : "?";
  }
  // "rank 3 (node2)", "ranks 0-2 (node1, node2)"
  std::string ranksText(const std::vector<int>& ranks) const {
    std::vector<std::string> names;
    for (int r : ranks) {
      const std::string host = hostOf(r);
      if (std::find(names.begin(), names.end(), host) == names.end()) names.push_back(host);
    }
    std::ostringstream out;
    out << (ranks.size() == 1 ? "rank " : "ranks ") << comm::rankRanges(ranks) << " (";
    for (size_t i = 0; i < names.size(); ++i) out << (i ? ", " : "") << names[i];
    out << ")";
    return out.str();
  }
};

Evidence collect(const std::vector<RankHangRecord>& records) {
  Evidence evidence;
  for (const auto& record : records) {
    evidence.world = std::max({evidence.world, record.world_size, record.rank + 1});
    evidence.by_rank[record.rank] = &record;
    if (evidence.hosts.empty()) evidence.hosts = record.rank_hosts;
    evidence.recorded_hosts.insert(record.host);
    evidence.shared_output = evidence.shared_output && record.shared_output;
  }
  return evidence;
}

// "the network between node1 (ranks 0-1) and node2 (ranks 2-3) dropped or stalled", or on one
// host "the transport between the ranks stalled".
std::string networkBetween(const Evidence& evidence) {
  std::map<std::string, std::vector<int>> by_host;
  for (int r = 0; r < evidence.world; ++r) by_host[evidence.hostOf(r)].push_back(r);
  if (by_host.size() < 2) return "the transport between the ranks stalled";
  std::ostringstream out;
  out << "the network between ";
  size_t i = 0;
  for (const auto& [host, ranks] : by_host) {
    out << (i++ ? " and " : "") << host << " (rank" << (ranks.size() > 1 ? "s " : " ") << comm::rankRanges(ranks) << ")";
  }
  out << " dropped or stalled";
  return out.str();
}

}  // namespace

std::string hangVerdict(const std::vector<RankHangRecord>& records) {
  if (records.empty()) return "no rank left a hang record";
  const Evidence evidence = collect(records);
  HangCollective newest;
  for (const auto& record : records) {
    if (!record.collectives.empty() && record.collectives.back().seq > newest.seq) newest = record.collectives.back();
  }
  if (newest.seq == 0) return "hang before any collective: " + records.front().reason;

  std::vector<int> missing, behind, waiting, elsewhere;
  double waited_s = 0;
  for (int r = 0; r < evidence.world; ++r) {
    auto it = evidence.by_rank.find(r);
    if (it == evidence.by_rank.end()) {
      missing.push_back(r);
      continue;
    }
    const RankHangRecord& record = *it->second;
    const HangCollective current = waitingOn(record);
    if (lastIssued(record) < newest.seq) {
      behind.push_back(r);
    } else if (current.seq != 0) {
      waiting.push_back(r);
      waited_s = std::max(waited_s, double(record.written_us - current.waited_us) * 1e-6);
    } else {
      elsewhere.push_back(r);
    }
  }

  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.0f s", waited_s);
  std::ostringstream out;
  out << "hang at " << describe(newest) << ": ";
  // Every rank is inside a collective, and the ones behind wait in an earlier one that the others
  // finished: nothing hangs in compute; a message of that collective never reached them. A link
  // that goes down mid-collective can let one side finish it.
  const bool behind_wait_in_earlier =
      missing.empty() && !behind.empty() && !waiting.empty() &&
      std::all_of(behind.begin(), behind.end(), [&](int r) { return waitingOn(*evidence.by_rank.at(r)).seq != 0; });
  if (behind_wait_in_earlier) {
    out << evidence.ranksText(behind) << " still wait in " << describe(waitingOn(*evidence.by_rank.at(behind.front())))
        << ", which " << evidence.ranksText(waiting) << " finished: " << networkBetween(evidence);
    return out.str();
  }
  if (!missing.empty() || !behind.empty()) {
    std::vector<std::string> parts;
    std::vector<int> stopped, unseen;
    for (int r : missing) (evidence.recordMayBeElsewhere(r) ? unseen : stopped).push_back(r);
    if (!stopped.empty()) parts.push_back(evidence.ranksText(stopped) + " did not join (no record: stopped or gone)");
    if (!unseen.empty()) {
      parts.push_back(evidence.ranksText(unseen) + " did not join or left no record here (stopped or gone, or their " +
                      "node keeps its own --output.dir: see OUT/hang there)");
    }
    for (int r : behind) {
      const RankHangRecord& record = *evidence.by_rank.at(r);
      std::string part = evidence.ranksText({r}) + " did not join";
      if (!record.collectives.empty()) part += ": its last was " + describe(record.collectives.back());
      parts.push_back(part);
    }
    for (size_t i = 0; i < parts.size(); ++i) out << (i ? "; " : "") << parts[i];
    if (!waiting.empty()) out << "; " << evidence.ranksText(waiting) << " waited " << seconds;
    return out.str();
  }
  if (elsewhere.empty()) {
    out << "every rank joined and none finished within " << seconds << ": " << networkBetween(evidence);
    return out.str();
  }
  out << evidence.ranksText(elsewhere) << " finished it and timed out elsewhere ("
      << evidence.by_rank.at(elsewhere.front())->reason << ")";
  if (!waiting.empty()) out << "; " << evidence.ranksText(waiting) << " waited " << seconds;
  return out.str();
}

std::string hangTable(const std::vector<RankHangRecord>& records) {
  const Evidence evidence = collect(records);
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof line, "%-5s %-16s %-10s %-44s %s\n", "rank", "host", "last", "waiting on", "waited");
  out << line;
  for (int r = 0; r < evidence.world; ++r) {
    auto it = evidence.by_rank.find(r);
    if (it == evidence.by_rank.end()) {
      std::snprintf(line, sizeof line, "%-5d %-16s %s\n", r, evidence.hostOf(r).c_str(),
                    evidence.recordMayBeElsewhere(r) ? "(no record here: see its node's OUT/hang)"
                                                     : "(no record: stopped or gone)");
      out << line;
      continue;
    }
    const RankHangRecord& record = *it->second;
    const HangCollective current = waitingOn(record);
    const std::string last = "#" + std::to_string(lastIssued(record));
    const std::string on = current.seq != 0 ? describe(current) : "(not in a collective)";
    char waited[32] = "";
    if (current.seq != 0) std::snprintf(waited, sizeof waited, "%.0f s", double(record.written_us - current.waited_us) * 1e-6);
    std::snprintf(line, sizeof line, "%-5d %-16s %-10s %-44s %s\n", r, record.host.c_str(), last.c_str(), on.c_str(),
                  waited);
    out << line;
  }
  return out.str();
}

namespace {
fs::path verdictPath(const RunDirectory& run) { return run.hangRecords() / "verdict.json"; }

void writeVerdict(const RunDirectory& run, const std::string& verdict) {
  const json document = {{"written_us", comm::wallClockMicros()}, {"verdict", verdict}};
  const fs::path temporary = verdictPath(run).string() + ".tmp";
  std::ofstream(temporary) << document.dump() << "\n";
  std::error_code ignored;
  fs::rename(temporary, verdictPath(run), ignored);
}
}  // namespace

HangEvidence readHangEvidence(const RunDirectory& run) {
  HangEvidence evidence;
  auto records = readHangRecords(run);
  int64_t verdict_us = 0;
  try {
    std::ifstream in(verdictPath(run));
    if (in) {
      const json document = json::parse(in);
      verdict_us = document.at("written_us").get<int64_t>();
      evidence.verdict = document.at("verdict").get<std::string>();
    }
  } catch (const std::exception&) {
    verdict_us = 0;  // no usable verdict: draw it from every record
    evidence.verdict.clear();
  }
  for (auto& record : records) {
    if (verdict_us != 0 && record.written_us > verdict_us) {
      evidence.late_ranks.push_back(record.rank);
    } else {
      evidence.records.push_back(std::move(record));
    }
  }
  if (evidence.verdict.empty()) evidence.verdict = hangVerdict(evidence.records);
  return evidence;
}

void endJobOnHang(const RunDirectory& run, comm::Communicator& communicator, const comm::CollectiveFlightRecorder* record,
                  const std::vector<std::string>& rank_hosts, const std::string& reason, double gather_s,
                  bool shared_output) {
  const int rank = communicator.rank();
  std::fprintf(stderr, "gan_dist: error on rank %d: %s\n", rank, reason.c_str());
  std::fflush(stderr);
  if (record == nullptr) {
    communicator.abortJob(1);
    std::_Exit(1);  // not reached
  }
  try {
    auto mine = makeHangRecord(rank, communicator.worldSize(), rank_hosts, reason, *record);
    mine.shared_output = shared_output;
    writeHangRecord(run, mine);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gan_dist: rank %d could not leave its hang record: %s\n", rank, e.what());
  }
  // The other ranks' watchdogs fire within about a check interval of ours; give them time.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(gather_s);
  std::vector<RankHangRecord> records = readHangRecords(run);
  while (static_cast<int>(records.size()) < communicator.worldSize() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    records = readHangRecords(run);
  }
  if (records.empty() || records.front().rank == rank) {
    const std::string verdict = hangVerdict(records);
    writeVerdict(run, verdict);
    std::fprintf(stderr, "gan_dist: %s\ngan_dist: each rank's recent collectives: %s (gan_report --hang %s)\n",
                 verdict.c_str(), run.hangRecords().string().c_str(), run.root().string().c_str());
    std::fflush(stderr);
  } else {
    // The verdict is the lowest recorded rank's to print; ending the job now could cut it off.
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(5.0, gather_s)));
  }
  communicator.abortJob(1);
  std::_Exit(1);  // not reached: GCC does not carry [[noreturn]] through a virtual call
}

}  // namespace gan::resilience
