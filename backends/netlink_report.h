// Sending a batch and reporting the kernel's answer: every refused message
// is named through the batch's index (the table, a chain, a set, a rule and
// the policy rule behind it, with its source location), with the expression
// the kernel's extended ack points at, and the reminder that nothing changed.
#pragma once

#include "backends/netlink_batch.h"
#include "backends/netlink_socket.h"
#include "compiler/diagnostics.h"

namespace netpolc::nl {

// Sends `batch` on `sock`; true when the kernel accepted it (for a batch
// without END: validated it). Every error goes to `diags`.
bool send_and_report(NftSocket& sock, const Batch& batch, Diagnostics& diags, double* kernel_ms);

}  // namespace netpolc::nl
