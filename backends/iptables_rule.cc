#include "backends/iptables_rule.h"

namespace netpolc {

namespace {

// xt_comment holds at most 255 bytes.
constexpr size_t kMaxComment = 255;
// xt_multiport holds at most 15 ports; a range takes two.
constexpr size_t kMultiportSlots = 15;

std::string port_text(const PortRange& p) {
  if (p.lo == p.hi) return std::to_string(p.lo);
  return std::to_string(p.lo) + ":" + std::to_string(p.hi);
}

bool whole_range(const PortRange& p) { return p.lo == 0 && p.hi == 65535; }

// The ports of one protocol (sorted, merged, none the whole range).
void add_protocol(const char* proto, const std::vector<PortRange>& ports, std::vector<PortMatch>& out) {
  if (ports.size() == 1) {
    out.push_back({proto, std::string("-m ") + proto + " --dport " + port_text(ports[0])});
    return;
  }
  std::string list;
  size_t slots = 0;
  for (const auto& p : ports) {
    size_t need = p.lo == p.hi ? 1 : 2;
    if (slots + need > kMultiportSlots) {
      out.push_back({proto, "-m multiport --dports " + list});
      list.clear();
      slots = 0;
    }
    list += (list.empty() ? "" : ",") + port_text(p);
    slots += need;
  }
  out.push_back({proto, "-m multiport --dports " + list});
}

}  // namespace


std::string ipt_quote(const std::string& word) {
  static const char kBare[] = "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  if (!word.empty() && word.find_first_not_of(kBare) == std::string::npos) return word;
  std::string out = "\"";
  for (char c : word) {
    if (c == '"' || c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string render_rule(const std::string& chain, const IptRule& r) {
  std::string s = "-A " + chain;
  auto opt = [&s](const char* flag, const std::string& value) {
    if (!value.empty()) s += std::string(" ") + flag + " " + value;
  };
  opt("-s", r.src);
  opt("-d", r.dst);
  opt("-i", r.in_iface);
  opt("-o", r.out_iface);
  opt("-p", r.proto);
  for (const auto& m : r.matches) s += " " + m;
  std::string note = r.comment;
  if (note.size() > kMaxComment) note = note.substr(0, kMaxComment - 3) + "...";
  opt("-m comment --comment", ipt_quote(note));
  opt("-j", r.target);
  return s;
}

std::vector<PortMatch> port_matches(const std::vector<PortRange>& ports) {
  std::vector<PortMatch> out;
  for (Protocol proto : {Protocol::TCP, Protocol::UDP, Protocol::SCTP}) {
    std::vector<PortRange> mine;
    bool whole = false;
    for (const auto& p : ports) {
      if (p.protocol != proto) continue;
      whole = whole || whole_range(p);
      mine.push_back(p);
    }
    if (whole) out.push_back({protocol_keyword(proto), ""});
    else if (!mine.empty()) add_protocol(protocol_keyword(proto), mine, out);
  }
  return out;
}

}  // namespace netpolc
