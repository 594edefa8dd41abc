// One iptables rule as a value, printed exactly the way iptables-save prints
// it (option order, quoting), so that an output file and `iptables-save` of
// the loaded rules can be compared line by line.
#pragma once

#include <string>
#include <vector>

#include "compiler/program.h"

namespace netpolc {

struct IptRule {
  std::string src;                   // -s CIDR
  std::string dst;                   // -d CIDR
  std::string in_iface;              // -i NAME
  std::string out_iface;             // -o NAME
  std::string proto;                 // -p tcp|udp|sctp|ipv6-icmp
  std::vector<std::string> matches;  // "-m set --match-set NAME src", "-m tcp --dport 80", ...
  std::string comment;               // -m comment --comment TEXT (every rule has one)
  std::string target;                // -j ACCEPT|DROP|RETURN|CHAIN
};

// "-A CHAIN -s ... -m comment --comment ... -j TARGET".
std::string render_rule(const std::string& chain, const IptRule& rule);

// A word as iptables-save quotes it: bare when it is only [A-Za-z0-9_-],
// otherwise in double quotes with `"`, `'` and `\` escaped.
std::string ipt_quote(const std::string& word);

// The port condition for one protocol: -p and its match.
struct PortMatch {
  std::string proto;  // empty: every protocol
  std::string match;  // "-m tcp --dport 80", "-m multiport --dports 80,443", or empty
};

// Port ranges (sorted, merged, any protocols) -> the fewest conditions that
// match exactly them: one per protocol, split where multiport's limit of 15
// ports (a range counts twice) is reached; a protocol's whole port range
// needs no port match.
std::vector<PortMatch> port_matches(const std::vector<PortRange>& ports);

}  // namespace netpolc
