// The checkpoint schedule: every N steps, the last step, and Daly's time rule.
#include <gtest/gtest.h>

#include <string>

#include "checkpoint/checkpoint_schedule.h"

namespace {
using namespace gan;

TEST(CheckpointSchedule, DalysIntervalMatchesHandComputedValues) {
  // C = 60 s, M = 24 h: sqrt(2CM) = 3219.94 (Young), times 1.0062 for the higher-order terms, minus C.
  EXPECT_NEAR(checkpoint::dalyCheckpointInterval(60, 86400), 3180.062, 1e-3);
  EXPECT_NEAR(checkpoint::dalyCheckpointInterval(2, 3600), 118.670, 1e-3);
  // A checkpoint slower than twice the MTBF: checkpoint once per MTBF.
  EXPECT_DOUBLE_EQ(checkpoint::dalyCheckpointInterval(100, 40), 40);
}

TEST(CheckpointSchedule, StepCountAloneIsEveryNStepsAndTheLastStep) {
  checkpoint::CheckpointSchedule schedule(100, 0);
  EXPECT_FALSE(schedule.dueByTime(1e9));  // no time rule, however long it has been
  EXPECT_FALSE(schedule.dueByStep(1, 250));
  EXPECT_TRUE(schedule.dueByStep(100, 250));
  EXPECT_FALSE(schedule.dueByStep(101, 250));
  EXPECT_TRUE(schedule.dueByStep(250, 250));
  EXPECT_FALSE(checkpoint::CheckpointSchedule(0, 0).dueByStep(250, 250));  // never
}

TEST(CheckpointSchedule, TimeRuleMeasuresFirstThenFollowsTheMeanCheckpointTime) {
  checkpoint::CheckpointSchedule schedule(0, 3600);
  EXPECT_TRUE(schedule.dueByTime(0)) << "the first ask measures what a checkpoint costs";
  EXPECT_FALSE(schedule.dueByStep(1, 1000));
  schedule.recordCheckpoint(1);
  schedule.recordCheckpoint(3);  // mean 2 s
  EXPECT_NEAR(schedule.intervalSeconds(), 118.670, 1e-3);
  EXPECT_FALSE(schedule.dueByTime(118));
  EXPECT_TRUE(schedule.dueByTime(118.7));
  EXPECT_TRUE(schedule.dueByStep(1000, 1000));  // the last step, under the time rule alone
  // The two rules side by side.
  checkpoint::CheckpointSchedule both(50, 3600);
  both.recordCheckpoint(2);
  EXPECT_TRUE(both.dueByStep(50, 1000));
  EXPECT_FALSE(both.dueByStep(51, 1000));
  EXPECT_TRUE(both.dueByTime(119));
  EXPECT_FALSE(both.dueByTime(1));
  EXPECT_NE(both.describe().find("118.7 s"), std::string::npos) << both.describe();
}

}  // namespace
