// Ctrl-C and TERM: the first asks the loop to stop (stop launching, kill agents, checkpoint, exit 130); a second
// Ctrl-C exits at once. The handler only sets flags (async-signal-safe); the loop polls them.
#pragma once

namespace harness {

void install_interrupt_handlers();
// Process groups of running agents, so that the second Ctrl-C can KILL them before exiting (they live in groups
// of their own and would otherwise outlive us). A fixed table: safe to read from the signal handler.
void track_process_group(int pgid);
void untrack_process_group(int pgid);
bool interrupt_requested();
// For tests: request a stop as the first Ctrl-C would.
void request_interrupt();
void reset_interrupt();

}  // namespace harness
