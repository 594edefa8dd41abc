// Reading one nftables table back from the kernel over netlink, and a
// canonical text of everything the kernel holds for it: every attribute of the
// table, its sets with their elements, chains and rules (expressions and user
// data included). Two tables with the same text are the same ruleset down to
// the bytes of their keys and comments; the round-trip tests compare a table
// netpolc applied with one `nft -f` loaded this way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backends/netlink_socket.h"
#include "backends/nftnl_ptr.h"

namespace netpolc::nl {

struct KernelTable {
  bool exists = false;
  uint32_t generation = 0;  // the ruleset generation the table was read at
  TablePtr table;
  std::vector<ChainPtr> chains;  // in the kernel's order
  std::vector<SetPtr> sets;      // with their elements, in the kernel's order
  std::vector<RulePtr> rules;    // in the kernel's order (chain by chain)
  std::vector<ObjPtr> objects;   // stateful objects (named counters), in the kernel's order
};

struct ReadOptions {
  // The elements of named sets and maps.
  bool named_set_elements = true;
  // The elements of anonymous sets (part of their rule, and constant). The
  // kernel finds a set by name with a walk of the table's list of sets, so
  // reading each anonymous set costs O(sets): O(sets^2) for the table (10000
  // pods: about a minute). A structure check leaves them out: they cannot
  // change without their rule.
  bool anonymous_set_elements = true;
};

// Reads table `name` of family inet. A consistent view: when the ruleset
// changes while it is read, it reads again (a few times, then fails).
bool read_table(NftSocket& sock, const std::string& name, KernelTable* out, std::string* error,
                const ReadOptions& options = {});

struct DescribeOptions {
  bool handles = true;             // object handles (they change when the table is replaced)
  bool use_counts = true;          // reference counts (a map element referring to a chain counts)
  bool named_set_elements = true;  // the elements of named sets and maps
};

// The canonical text: one line per object or element, elements sorted within
// their set (the kernel's order for hash sets depends on a random seed).
// Counters are described without their values, which traffic changes.
std::string describe(const KernelTable& t, const DescribeOptions& options = {});

// A rule's expressions, one "[ meta load l4proto => reg 1 ]" per line, as
// nft --debug=netlink prints them.
std::string describe_expressions(nftnl_rule* r);
// "key 0af4010a flags 1 udata ..." for one set element.
std::string describe_element(nftnl_set_elem* e);

// Bytes as lower-case hex, for keys and user data.
std::string hex(const void* data, size_t len);

}  // namespace netpolc::nl
