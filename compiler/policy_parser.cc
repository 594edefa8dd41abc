#include "compiler/policy_parser.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <tuple>
#include <utility>

#include "compiler/labels.h"

namespace netpolc {
namespace {

const char kPolicyApiVersion[] = "networking.k8s.io/v1";

std::string format_loc(const SourceLoc& loc) {
  return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

void report_missing(const YamlAt& at, Diagnostics& diags) {
  diags.error(at.loc(), at.path, "missing required field");
}

// Whether the map `at` has the key `name`, whatever its value (null included).
bool has_field(const YamlAt& at, std::string_view name) {
  if (!at.node.is_map()) return false;
  for (size_t i = 0; i < at.node.size(); ++i)
    if (at.node.key(i).is_scalar() && at.node.key(i).scalar() == name) return true;
  return false;
}

// " (did you mean "In"?)" for a near miss of one of `allowed`, else "". Short
// words are near everything, so for them only a difference of case counts.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& allowed) {
  auto lower = [](std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (const auto& a : allowed)
    if (lower(a) == lower(word)) return " (did you mean " + quoted(a) + "?)";
  std::string hint = word.size() > 4 ? closest_match(word, allowed) : std::string();
  return hint.empty() ? "" : " (did you mean " + quoted(hint) + "?)";
}

// A string field that must be present.
std::optional<std::string> read_required_string(const YamlAt& at, Diagnostics& diags) {
  if (!at.present()) {
    report_missing(at, diags);
    return std::nullopt;
  }
  return read_api_string(at, diags);
}

// --- labels and selectors -------------------------------------------------

// A map of label keys to values (metadata.labels, matchLabels): each key a
// qualified name, each value a label value.
Labels read_labels(const YamlAt& at, Diagnostics& diags) {
  Labels out;
  auto entries = read_api_string_map(at, diags);
  if (!entries) return out;
  for (auto& e : *entries) {
    if (auto why = check_label_key(e.key))
      diags.error(e.key_loc(), e.value_at.path, "invalid label key " + quoted(e.key) + ": " + *why);
    if (auto why = check_label_value(e.value))
      diags.error(e.value_at.loc(), e.value_at.path,
                  "invalid label value " + quoted(e.value) + ": " + *why);
    out[std::move(e.key)] = std::move(e.value);
  }
  return out;
}

// metadata.annotations: keys are qualified names, values any string.
void read_annotations(const YamlAt& at, Diagnostics& diags) {
  auto entries = read_api_string_map(at, diags);
  if (!entries) return;
  for (const auto& e : *entries) {
    if (auto why = check_label_key(e.key))
      diags.error(e.key_loc(), e.value_at.path, "invalid annotation key " + quoted(e.key) + ": " + *why);
  }
}

std::optional<LabelRequirement::Op> parse_operator(const std::string& s) {
  if (s == "In") return LabelRequirement::Op::In;
  if (s == "NotIn") return LabelRequirement::Op::NotIn;
  if (s == "Exists") return LabelRequirement::Op::Exists;
  if (s == "DoesNotExist") return LabelRequirement::Op::DoesNotExist;
  return std::nullopt;
}

// matchExpressions[]: "key is the label key that the selector applies to.
// operator represents a key's relationship to a set of values. Valid
// operators are In, NotIn, Exists and DoesNotExist. values is an array of
// string values. If the operator is In or NotIn, the values array must be
// non-empty. If the operator is Exists or DoesNotExist, the values array must
// be empty."
LabelRequirement read_requirement(const YamlAt& at, Diagnostics& diags) {
  LabelRequirement req;
  req.loc = at.loc();
  if (!check_map(at, {"key", "operator", "values"}, diags)) return req;

  YamlAt key = at.field("key");
  if (auto k = read_required_string(key, diags)) {
    if (auto why = check_label_key(*k))
      diags.error(key.loc(), key.path, "invalid label key " + quoted(*k) + ": " + *why);
    req.key = *k;
  }

  YamlAt op = at.field("operator");
  std::optional<LabelRequirement::Op> parsed;
  if (auto o = read_required_string(op, diags)) {
    parsed = parse_operator(*o);
    if (!parsed) {
      std::string hint = did_you_mean(*o, {"In", "NotIn", "Exists", "DoesNotExist"});
      diags.error(op.loc(), op.path,
                  "unsupported operator " + quoted(*o) +
                      (hint.empty() ? " (expected In, NotIn, Exists or DoesNotExist)" : hint));
    }
  }

  YamlAt values = at.field("values");
  if (check_sequence(values, diags)) {
    for (size_t i = 0; i < values.node.size(); ++i) {
      YamlAt item = values.item(i);
      auto v = read_api_string(item, diags);
      if (!v) continue;
      if (auto why = check_label_value(*v))
        diags.error(item.loc(), item.path, "invalid label value " + quoted(*v) + ": " + *why);
      req.values.push_back(*v);
    }
  }

  if (!parsed || (values.present() && !values.node.is_sequence())) return req;
  req.op = *parsed;
  bool set_op = req.op == LabelRequirement::Op::In || req.op == LabelRequirement::Op::NotIn;
  size_t count = values.node.size();
  if (set_op && count == 0) {
    diags.error(values.present() ? values.loc() : op.loc(), values.path,
                "operator " + std::string(op.node.scalar()) + " needs at least one value");
  } else if (!set_op && count > 0) {
    diags.error(values.loc(), values.path, "operator " + std::string(op.node.scalar()) + " takes no values");
  }
  return req;
}

// metav1.LabelSelector: "matchLabels is a map of {key,value} pairs ...
// matchExpressions is a list of label selector requirements. The requirements
// are ANDed." An empty selector selects everything. A null one is refused:
// the API would read it as absent, while its writer most likely meant {}.
LabelSelector read_selector(const YamlAt& at, Diagnostics& diags) {
  LabelSelector sel;
  sel.loc = at.loc();
  if (at.node.is_null()) {
    diags.error(at.loc(), at.path,
                "expected an object, found null (write {} to select everything)");
    return sel;
  }
  if (!check_map(at, {"matchLabels", "matchExpressions"}, diags)) return sel;
  sel.match_labels = read_labels(at.field("matchLabels"), diags);
  YamlAt exprs = at.field("matchExpressions");
  if (check_sequence(exprs, diags)) {
    for (size_t i = 0; i < exprs.node.size(); ++i)
      sel.match_expressions.push_back(read_requirement(exprs.item(i), diags));
  }
  return sel;
}

// --- ipBlock ----------------------------------------------------------------

bool is_v4_mapped(const IpAddr& ip) {
  return ip.family == Family::V6 && (ip.value >> 32) == 0xffff;
}

// Why `text` is not a CIDR, for the message "invalid CIDR "text": why".
std::string cidr_problem(const std::string& text) {
  size_t slash = text.find('/');
  if (slash == std::string::npos) {
    auto ip = parse_ip(text);
    if (!ip) return "expected an address and a prefix length, such as 10.0.0.0/8 or fd00::/8";
    return "the prefix length is missing (did you mean " + format_ip(*ip) +
           (ip->family == Family::V4 ? "/32" : "/128") + "?)";
  }
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return quoted(text.substr(0, slash)) + " is not an IP address";
  return "the prefix length must be a number from 0 to " + std::to_string(family_bits(ip->family));
}

// One CIDR of an ipBlock, as strict as the API server with
// StrictIPCIDRValidation: an address and a prefix length, no leading zeros,
// no IPv4-mapped IPv6 address, no bits set after the prefix. `noun` names the
// value in messages ("cidr", "except entry").
std::optional<Cidr> read_cidr(const YamlAt& at, const char* noun, Diagnostics& diags) {
  auto text = read_api_string(at, diags);
  if (!text) return std::nullopt;
  auto cidr = parse_cidr(*text);
  if (!cidr) {
    diags.error(at.loc(), at.path, "invalid CIDR " + quoted(*text) + ": " + cidr_problem(*text));
    return std::nullopt;
  }
  if (is_v4_mapped(cidr->addr)) {
    diags.error(at.loc(), at.path,
                std::string(noun) + " " + quoted(*text) +
                    " is an IPv4-mapped IPv6 address; write the IPv4 CIDR instead");
    return std::nullopt;
  }
  if (cidr_has_host_bits(*cidr)) {
    Cidr network{{cidr->addr.family, cidr_range(*cidr).lo}, cidr->prefix};
    diags.error(at.loc(), at.path,
                std::string(noun) + " " + quoted(*text) + " has host bits set; did you mean " +
                    format_cidr(network) + "?");
  }
  return cidr;
}

// "except is a slice of CIDRs that should not be included within an IPBlock.
// Except values will be rejected if they are outside the cidr range": each
// must be of the same family and strictly inside cidr (a longer prefix).
void check_except(const YamlAt& at, const Cidr& outer, const Cidr& inner, Diagnostics& diags) {
  std::string text(at.node.scalar());
  std::string block = format_cidr(outer);
  if (outer.addr.family != inner.addr.family) {
    diags.error(at.loc(), at.path,
                "except entry " + quoted(text) + " is " +
                    (inner.addr.family == Family::V4 ? "IPv4" : "IPv6") + " but cidr " + block +
                    " is " + (outer.addr.family == Family::V4 ? "IPv4" : "IPv6"));
  } else if (!contains(outer, inner)) {
    diags.error(at.loc(), at.path, "except entry " + quoted(text) + " is outside cidr " + block);
  } else if (inner.prefix == outer.prefix) {
    diags.error(at.loc(), at.path,
                "except entry " + quoted(text) + " is the whole of cidr " + block +
                    "; it must be strictly inside it");
  }
}

// IPBlock: "cidr is a string representing the IPBlock. Valid examples are
// "192.168.1.0/24" or "2001:db8::/64"", plus except.
IpBlock read_ip_block(const YamlAt& at, Diagnostics& diags) {
  IpBlock block;
  block.loc = at.loc();
  if (!check_map(at, {"cidr", "except"}, diags)) return block;
  YamlAt cidr = at.field("cidr");
  if (!cidr.present()) report_missing(cidr, diags);
  std::optional<Cidr> outer = cidr.present() ? read_cidr(cidr, "cidr", diags) : std::nullopt;
  if (outer) block.cidr = *outer;

  YamlAt except = at.field("except");
  if (!check_sequence(except, diags)) return block;
  for (size_t i = 0; i < except.node.size(); ++i) {
    YamlAt item = except.item(i);
    auto inner = read_cidr(item, "except entry", diags);
    if (!inner) continue;
    if (outer) check_except(item, *outer, *inner, diags);
    block.except.push_back(*inner);
  }
  return block;
}

// --- peers ------------------------------------------------------------------

// NetworkPolicyPeer: podSelector and/or namespaceSelector (both: ANDed), or
// ipBlock alone. "Exactly one of the fields must be specified" for ipBlock;
// an empty peer is an error.
Peer read_peer(const YamlAt& at, const std::string& list_name, Diagnostics& diags) {
  Peer peer;
  peer.loc = at.loc();
  size_t errors_before = diags.error_count();
  if (!check_map(at, {"podSelector", "namespaceSelector", "ipBlock"}, diags)) return peer;
  bool unknown_fields = diags.error_count() > errors_before;
  if (has_field(at, "podSelector"))
    peer.pod_selector = read_selector(at.field("podSelector"), diags);
  if (has_field(at, "namespaceSelector"))
    peer.namespace_selector = read_selector(at.field("namespaceSelector"), diags);
  if (has_field(at, "ipBlock")) peer.ip_block = read_ip_block(at.field("ipBlock"), diags);

  // A peer whose fields were all unknown has been reported already.
  if (!peer.pod_selector && !peer.namespace_selector && !peer.ip_block && !unknown_fields) {
    std::string hint = "to allow every address, leave out " + quoted(list_name);
    diags.error(at.loc(), at.path,
                "empty peer: set podSelector, namespaceSelector or ipBlock (" + hint + ")");
  } else if (peer.ip_block && (peer.pod_selector || peer.namespace_selector)) {
    diags.error(key_loc(at, "ipBlock"), at.path,
                "ipBlock cannot be combined with podSelector or namespaceSelector in one peer; "
                "write them as separate peers");
  }
  return peer;
}

// --- ports ------------------------------------------------------------------

std::optional<Protocol> parse_protocol(const std::string& s) {
  if (s == "TCP") return Protocol::TCP;
  if (s == "UDP") return Protocol::UDP;
  if (s == "SCTP") return Protocol::SCTP;
  return std::nullopt;
}

// protocol: "The protocol (TCP, UDP, or SCTP) which traffic must match. If
// not specified, this field defaults to TCP."
void read_protocol(const YamlAt& at, PortSpec& port, Diagnostics& diags) {
  if (!at.present()) return;
  auto s = read_api_string(at, diags);
  if (!s) return;
  if (auto protocol = parse_protocol(*s)) {
    port.protocol = *protocol;
    port.protocol_given = true;
    return;
  }
  std::string hint = did_you_mean(*s, {"TCP", "UDP", "SCTP"});
  if (hint.empty() && (*s == "ICMP" || *s == "ICMPv6"))
    hint = " (expected TCP, UDP or SCTP; NetworkPolicy cannot match ICMP)";
  if (hint.empty()) hint = " (expected TCP, UDP or SCTP)";
  diags.error(at.loc(), at.path, "unsupported protocol " + quoted(*s) + hint);
}

bool is_decimal(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  return i < s.size() &&
         std::all_of(s.begin() + long(i), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A port number, 1-65535. A leading zero is refused: the YAML of kubectl
// reads 0755 as octal.
std::optional<int32_t> read_port_number(const YamlAt& at, const char* noun, Diagnostics& diags) {
  auto n = read_int(at, diags);
  if (!n) return std::nullopt;
  std::string s(at.node.scalar());
  size_t digits = s.find_first_of("123456789");
  if (s.size() > 1 && digits != std::string::npos && s.find('0') < digits) {
    diags.error(at.loc(), at.path,
                std::string(noun) + " " + s +
                    " has a leading zero, which YAML may read as octal; remove it");
    return std::nullopt;
  }
  if (*n < 1 || *n > 65535) {
    diags.error(at.loc(), at.path,
                std::string(noun) + " " + std::to_string(*n) + " is out of range 1-65535");
    return std::nullopt;
  }
  return int32_t(*n);
}

// port: "The port on the given protocol. This can either be a numerical or
// named port on a pod. If this field is not provided, this matches all port
// names and numbers." A quoted number is a name, and no valid one: a name
// needs a letter. Returns false when the field is there but unusable.
bool read_port_value(const YamlAt& at, PortSpec& port, Diagnostics& diags) {
  if (!at.present()) return true;
  if (!at.node.is_scalar()) {
    diags.error(at.loc(), at.path,
                std::string("expected a port number or name, found ") +
                    (at.node.is_map() ? "an object" : "a list"));
    return false;
  }
  std::string s(at.node.scalar());
  bool plain = at.node.plain();
  if (plain && is_decimal(s)) {
    port.port = read_port_number(at, "port", diags);
    return port.port.has_value();
  }
  if (plain && plain_scalar_type(s)) {
    diags.error(
        at.loc(), at.path,
        std::string("expected a port number or name, found ") + plain_scalar_type(s) + " " + s);
    return false;
  }
  if (auto why = check_port_name(s)) {
    std::string msg = "invalid port name " + quoted(s) + ": " + *why;
    if (is_decimal(s)) msg += " (write a port number without quotes)";
    diags.error(at.loc(), at.path, msg);
    return false;
  }
  port.name = s;
  return true;
}

// endPort: "If set, indicates that the range of ports from port to endPort if
// set, inclusive, should be allowed by the policy. This field cannot be
// defined if the port field is not defined or if the port field is defined
// as a named (string) port. The endPort must be equal or greater than port."
void read_end_port(const YamlAt& at, PortSpec& port, bool port_ok, Diagnostics& diags) {
  if (!at.present()) return;
  auto n = read_port_number(at, "endPort", diags);
  if (!n || !port_ok) return;
  if (!port.name.empty()) {
    diags.error(at.loc(), at.path,
                "endPort cannot be used with a named port (" + quoted(port.name) + ")");
  } else if (!port.port) {
    diags.error(at.loc(), at.path, "endPort requires a numeric port");
  } else if (*n < *port.port) {
    diags.error(
        at.loc(), at.path,
        "endPort " + std::to_string(*n) + " is less than port " + std::to_string(*port.port));
  } else {
    port.end_port = int32_t(*n);
  }
}

// NetworkPolicyPort: protocol, port, endPort.
PortSpec read_port(const YamlAt& at, Diagnostics& diags) {
  PortSpec port;
  port.loc = at.loc();
  if (!check_map(at, {"protocol", "port", "endPort"}, diags)) return port;
  read_protocol(at.field("protocol"), port, diags);
  bool port_ok = read_port_value(at.field("port"), port, diags);
  read_end_port(at.field("endPort"), port, port_ok, diags);
  return port;
}

// --- rules ------------------------------------------------------------------

// spec.ingress[] / spec.egress[]: "from" / "to" peers and ports. "If this
// field is empty or missing, this rule matches all sources (destinations)";
// same for ports. A null rule is refused: the API would read it as {},
// which allows everything.
std::vector<Rule> read_rules(const YamlAt& at, const std::string& peers_name, Diagnostics& diags) {
  std::vector<Rule> rules;
  if (!check_sequence(at, diags)) return rules;
  for (size_t i = 0; i < at.node.size(); ++i) {
    YamlAt item = at.item(i);
    Rule rule;
    rule.loc = item.loc();
    if (check_map(item, {peers_name, "ports"}, diags)) {
      YamlAt peers = item.field(peers_name);
      if (check_sequence(peers, diags)) {
        for (size_t j = 0; j < peers.node.size(); ++j)
          rule.peers.push_back(read_peer(peers.item(j), peers_name, diags));
      }
      YamlAt ports = item.field("ports");
      if (check_sequence(ports, diags)) {
        for (size_t j = 0; j < ports.node.size(); ++j)
          rule.ports.push_back(read_port(ports.item(j), diags));
      }
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

// spec.policyTypes: "List of rule types that the NetworkPolicy relates to.
// Valid options are ["Ingress"], ["Egress"], or ["Ingress", "Egress"]. If this
// field is not specified, it will default based on the existence of ingress
// or egress rules": Ingress always, Egress when spec.egress has a rule. The
// API server defaults an empty list the same way.
void read_policy_types(const YamlAt& at, bool has_egress_rules, Policy& policy,
                       Diagnostics& diags) {
  policy.ingress = true;
  policy.egress = has_egress_rules;
  if (!check_sequence(at, diags) || at.node.size() == 0) return;
  policy.policy_types_listed = true;
  policy.ingress = policy.egress = false;
  for (size_t i = 0; i < at.node.size(); ++i) {
    YamlAt item = at.item(i);
    auto s = read_api_string(item, diags);
    if (!s) continue;
    bool* flag = *s == "Ingress" ? &policy.ingress : *s == "Egress" ? &policy.egress : nullptr;
    if (!flag) {
      std::string hint = did_you_mean(*s, {"Ingress", "Egress"});
      diags.error(item.loc(), item.path,
                  "unsupported policy type " + quoted(*s) +
                      (hint.empty() ? " (expected Ingress or Egress)" : hint));
    } else if (*flag) {
      diags.error(item.loc(), item.path, quoted(*s) + " is listed twice");
    }
    if (flag) *flag = true;
  }
}

// NetworkPolicySpec. A missing spec is the zero spec, as in the API: every
// pod of the namespace isolated for ingress, nothing allowed.
void read_spec(const YamlAt& at, Policy& policy, Diagnostics& diags) {
  policy.pod_selector.loc = at.loc();  // when there is no spec to point at
  if (!at.present()) return;
  if (!check_map(at, {"podSelector", "policyTypes", "ingress", "egress"}, diags)) return;

  // podSelector: "An empty podSelector selects all pods in this namespace."
  // The API requires the field, but reads a missing or null one as {}.
  YamlAt selector = at.field("podSelector");
  policy.pod_selector.loc = selector.loc();
  if (selector.present()) policy.pod_selector = read_selector(selector, diags);

  YamlAt egress = at.field("egress");
  policy.ingress_rules = read_rules(at.field("ingress"), "from", diags);
  policy.egress_rules = read_rules(egress, "to", diags);
  bool has_egress_rules = egress.node.is_sequence() && egress.node.size() > 0;
  auto written = [&](const char* key) { return has_field(at, key) ? key_loc(at, key) : SourceLoc{}; };
  policy.policy_types_loc = written("policyTypes");
  policy.ingress_loc = written("ingress");
  policy.egress_loc = written("egress");
  read_policy_types(at.field("policyTypes"), has_egress_rules, policy, diags);
}

// --- objects ----------------------------------------------------------------

// metadata: name (a DNS-1123 subdomain) and namespace (a DNS-1123 label,
// "default" when missing or empty) are read; labels and annotations are
// checked; the other ObjectMeta fields are accepted and ignored.
void read_metadata(const YamlAt& at, Policy& policy, Diagnostics& diags) {
  if (!at.present()) {
    report_missing(at, diags);
    return;
  }
  if (!check_map(at,
                 {"name", "namespace", "labels", "annotations", "uid", "resourceVersion",
                  "generation", "creationTimestamp", "managedFields", "selfLink", "finalizers",
                  "ownerReferences", "generateName", "deletionTimestamp",
                  "deletionGracePeriodSeconds"},
                 diags))
    return;

  YamlAt name = at.field("name");
  if (auto s = read_required_string(name, diags)) {
    if (auto why = check_dns1123_subdomain(*s))
      diags.error(name.loc(), name.path, "invalid name " + quoted(*s) + ": " + *why);
    policy.name = *s;
  }

  policy.ns = "default";
  YamlAt ns = at.field("namespace");
  if (ns.present()) {
    if (auto s = read_api_string(ns, diags); s && !s->empty()) {
      if (auto why = check_dns1123_label(*s))
        diags.error(ns.loc(), ns.path, "invalid namespace " + quoted(*s) + ": " + *why);
      policy.ns = *s;
    }
  }

  read_labels(at.field("labels"), diags);
  read_annotations(at.field("annotations"), diags);
}

// apiVersion of an object, one of `allowed`.
void check_api_version(const YamlAt& at, const std::string& kind,
                       const std::vector<std::string>& allowed, Diagnostics& diags) {
  auto v = read_required_string(at, diags);
  if (!v || std::find(allowed.begin(), allowed.end(), *v) != allowed.end()) return;
  std::string expected = allowed[0];
  for (size_t i = 1; i < allowed.size(); ++i) expected += " or " + allowed[i];
  diags.error(at.loc(), at.path,
              "unsupported apiVersion " + quoted(*v) + " for kind " + kind + " (expected " +
                  expected + ")");
}

// Reads every object of a run, remembering the policies kept and the names
// seen.
class PolicyReader {
 public:
  // One YAML document: a NetworkPolicy, NetworkPolicyList or List.
  void read_document(const YamlAt& at, Diagnostics& diags) {
    if (!at.node.is_map()) {
      check_map(at, {}, diags);  // reports what it found instead
      return;
    }
    auto kind = read_required_string(at.field("kind"), diags);
    if (!kind) return;
    if (*kind == "NetworkPolicy") {
      read_policy(at, /*in_typed_list=*/false, diags);
    } else if (*kind == "NetworkPolicyList" || *kind == "List") {
      read_list(at, *kind, diags);
    } else {
      YamlAt k = at.field("kind");
      std::string hint = did_you_mean(*kind, {"NetworkPolicy", "NetworkPolicyList", "List"});
      diags.error(k.loc(), k.path,
                  "unsupported kind " + quoted(*kind) +
                      (hint.empty() ? ": a policy input must contain only NetworkPolicy, "
                                      "NetworkPolicyList or List objects"
                                    : hint));
    }
  }

  // Sorts an index rather than the policies (a policy is a large object),
  // then puts each policy in its place within the same vector, one cycle of
  // the permutation at a time: each moved about once, and no second vector.
  PolicySet finish() && {
    std::vector<size_t> order(policies_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const Policy& pa = policies_[a];
      const Policy& pb = policies_[b];
      return std::tie(pa.ns, pa.name) < std::tie(pb.ns, pb.name);
    });
    for (size_t start = 0; start < order.size(); ++start) {
      if (order[start] == start) continue;
      Policy first = std::move(policies_[start]);
      size_t at = start;
      while (order[at] != start) {
        size_t from = order[at];
        policies_[at] = std::move(policies_[from]);
        order[at] = at;
        at = from;
      }
      policies_[at] = std::move(first);
      order[at] = at;
    }
    return PolicySet{std::move(policies_)};
  }

 private:
  // A NetworkPolicyList or a List: items must all be NetworkPolicies. Items
  // of a NetworkPolicyList may leave out apiVersion and kind.
  void read_list(const YamlAt& at, const std::string& kind, Diagnostics& diags) {
    check_map(at, {"apiVersion", "kind", "metadata", "items"}, diags);
    check_api_version(at.field("apiVersion"), kind, {"v1", kPolicyApiVersion}, diags);
    YamlAt meta = at.field("metadata");
    if (meta.present())
      check_map(meta, {"resourceVersion", "continue", "selfLink", "remainingItemCount"}, diags);
    YamlAt items = at.field("items");
    if (!check_sequence(items, diags)) return;
    bool typed = kind == "NetworkPolicyList";
    for (size_t i = 0; i < items.node.size(); ++i) {
      YamlAt item = items.item(i);
      if (!item.node.is_map()) {
        check_map(item, {}, diags);
        continue;
      }
      YamlAt item_kind = item.field("kind");
      if (typed && !item_kind.present()) {
        read_policy(item, /*in_typed_list=*/true, diags);
        continue;
      }
      auto k = read_required_string(item_kind, diags);
      if (!k) continue;
      if (*k == "NetworkPolicy") {
        read_policy(item, typed, diags);
      } else {
        diags.error(item_kind.loc(), item_kind.path,
                    "unsupported kind " + quoted(*k) + " in a " + kind +
                        ": a policy input must contain only NetworkPolicy objects");
      }
    }
  }

  // networking.k8s.io/v1 NetworkPolicy. Kept when it has no error and its
  // namespace/name is new.
  void read_policy(const YamlAt& at, bool in_typed_list, Diagnostics& diags) {
    size_t errors_before = diags.error_count();
    Policy policy;
    policy.loc = at.loc();
    check_map(at, {"apiVersion", "kind", "metadata", "spec", "status"}, diags);
    YamlAt version = at.field("apiVersion");
    if (!in_typed_list || version.present())
      check_api_version(version, "NetworkPolicy", {kPolicyApiVersion}, diags);
    read_metadata(at.field("metadata"), policy, diags);
    bool unique = policy.name.empty() || check_unique(at, policy, diags);
    read_spec(at.field("spec"), policy, diags);
    if (unique && diags.error_count() == errors_before) policies_.push_back(std::move(policy));
  }

  // Records the namespace/name of a policy; reports it when seen before.
  bool check_unique(const YamlAt& at, const Policy& policy, Diagnostics& diags) {
    YamlAt name = at.field("metadata").field("name");
    auto [it, inserted] = seen_.try_emplace({policy.ns, policy.name}, name.loc());
    if (inserted) return true;
    diags.error(name.loc(), name.path,
                "duplicate NetworkPolicy " + policy.ns + "/" + policy.name + ", first defined at " +
                    format_loc(it->second));
    return false;
  }

  std::vector<Policy> policies_;
  std::map<std::pair<std::string, std::string>, SourceLoc> seen_;
};

// Appends the diagnostics of one document to `out` in source order, the
// order a reader of the file expects, whatever order the checks ran in.
void append_in_source_order(const Diagnostics& doc, Diagnostics& out) {
  std::vector<Diagnostic> items = doc.items();
  std::stable_sort(items.begin(), items.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.loc.line, a.loc.col) < std::tie(b.loc.line, b.loc.col);
  });
  for (auto& d : items) {
    switch (d.severity) {
      case Severity::Error: out.error(d.loc, std::move(d.field), std::move(d.message)); break;
      case Severity::Warning: out.warning(d.loc, std::move(d.field), std::move(d.message)); break;
      case Severity::Note: out.note(d.loc, std::move(d.field), std::move(d.message)); break;
    }
  }
}

}  // namespace

PolicySet parse_policies(const std::vector<InputFile>& files, Diagnostics& diags) {
  PolicyReader reader;
  ReadBudget budget(files);
  for (const auto& file : files) {
    for (const auto& doc : load_documents(file, budget, diags)) {
      if (root_of(doc).is_null()) continue;  // an empty document ("---" alone, comments)
      DocumentSize size = check_document_size(doc, file.name, budget, diags);
      if (size == DocumentSize::TooLarge) return std::move(reader).finish();
      if (size == DocumentSize::TooDeep) continue;
      Diagnostics doc_diags;
      reader.read_document(YamlAt{root_of(doc), file.name, ""}, doc_diags);
      append_in_source_order(doc_diags, diags);
    }
  }
  return std::move(reader).finish();
}

}  // namespace netpolc
