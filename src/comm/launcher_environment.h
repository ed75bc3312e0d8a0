// What the process manager (mpirun, srun, prterun) tells a process through its environment,
// read in this one place. Useful before MPI is up (to print a bad command line once per job)
// and to check that the launcher and MPI agree about the job.
#pragma once

namespace gan::comm {

// True when this process was started by mpirun/srun (a process manager set its variables).
bool startedByLauncher();
// This process's rank as the launcher numbers it (0 without a launcher).
int launcherRank();
// The number of processes the launcher started (1 without a launcher).
int launcherWorldSize();
// Slurm's count of the tasks of this job step (0 outside a Slurm step).
int slurmStepTasks();

}  // namespace gan::comm
