// The ipsets of one iptables output, and the `ipset restore` file that
// creates them.
//
// A set is named after its content: NETPOLC-<KIND><4|6>-<16 hex digits of a
// hash of type and elements>, at most 31 characters (ipset's limit). So a
// set, once loaded, never has to change: a newer output whose set differs
// uses a new name, the new rules refer to it, and the old set is removed once
// no rule refers to it any more. Equal sets are shared.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "compiler/address.h"
#include "compiler/program.h"

namespace netpolc {

// One address of a set, with an optional comment (the pod it belongs to).
struct IpsetEntry {
  IpAddr addr;
  std::string comment;
};

class IpsetRegistry {
 public:
  explicit IpsetRegistry(Family family) : family_(family) {}

  // hash:net, kind NET: exactly the addresses of `ranges` (sorted, merged),
  // as the fewest CIDRs and `nomatch` CIDRs for holes (see net_cover.h).
  std::string net(const std::vector<IpRange>& ranges);
  // hash:ip, kind POD: single addresses, each with its pod as a comment.
  std::string pods(const std::vector<IpsetEntry>& entries);
  // hash:ip,port, kind PORT: (address, protocol, port) triples.
  std::string addr_ports(const std::vector<AddrPort>& targets);

  bool empty() const { return sets_.empty(); }
  // The `ipset restore` file: one `create` and its `add`s per set, sorted by
  // name, every line with -exist so that loading it twice is harmless.
  std::string render(const std::string& header) const;

 private:
  struct Set {
    std::string type;  // "hash:net family inet", "hash:ip family inet comment"
    std::vector<std::string> elements;  // as `add` takes them
  };
  std::string add(const std::string& kind, Set set);

  Family family_;
  std::map<std::string, Set> sets_;  // by name
};

// Whether `name` is a set netpolc made for this family (what a newer output
// of the same family may remove).
bool is_netpolc_ipset(const std::string& name, Family family);

}  // namespace netpolc
