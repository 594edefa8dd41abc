#include "verify/verify.h"

#include <algorithm>
#include <cstdio>

#include "backends/netlink_apply.h"

namespace netpolc::verify {

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

void break_ruleset(nft::Ruleset& rs) {
  for (auto& c : rs.chains)
    for (auto& item : c.items)
      if (auto* r = std::get_if<nft::Rule>(&item); r && r->verdict.kind == nft::VerdictKind::Return)
        r->verdict.kind = nft::VerdictKind::Drop;
}

bool apply_in(const nft::Ruleset& rs, const std::string& netns, Diagnostics& diags) {
  nl::ApplyOptions opt;
  opt.netns = netns;
  opt.full = true;
  return nl::apply_ruleset(rs, opt, diags).ok;
}

// Applies the rules: the gateway's in the node, or every pod's own.
bool apply_rules(lab::Lab& lab, const Plan& plan, const Cluster& cluster, const Program& prog, const Options& o,
                 Diagnostics& diags) {
  std::vector<std::pair<NftOptions, std::string>> targets;
  if (!o.endpoint_mode) {
    targets.push_back({o.nft, lab.node_netns()});
  } else {
    for (size_t h = 0; h < plan.pod_of_host.size(); ++h) {
      if (plan.pod_of_host[h] < 0) continue;
      NftOptions ep = o.nft;
      ep.target = Target::Endpoint;
      ep.endpoint_pod = size_t(plan.pod_of_host[h]);
      targets.push_back({ep, lab.host_netns(h)});
    }
  }
  for (const auto& [nft, netns] : targets) {
    if (o.load_rules) {
      std::string error;
      if (!o.load_rules(netns, nft, &error)) {
        diags.error({}, "", "cannot load the rules in " + netns + ": " + error);
        return false;
      }
      continue;
    }
    nft::Ruleset rs = nft::build_ruleset(prog, cluster, nft);
    if (o.break_rules) break_ruleset(rs);
    if (!apply_in(rs, netns, diags)) return false;
  }
  return true;
}

bool matches(const PlannedProbe& p, const lab::ProbeResult& r) {
  return p.expect_allow ? r.connected() : r.outcome == lab::ProbeOutcome::Timeout;
}

std::string flow_text(const Outcome& o) {
  const lab::Probe& p = o.planned.probe;
  std::string s = o.from + " -> " + o.to + " " + lab::kind_name(p.kind);
  if (o.planned.protocol == L4::SCTP) s = o.from + " -> " + o.to + " sctp";
  if (o.planned.protocol != L4::ICMP) s += "/" + std::to_string(p.port);
  return s + (p.family == Family::V4 ? " v4" : " v6");
}

std::string count(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      out += std::string("\\") + char(c);
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else
      out += char(c);
  }
  return out + "\"";
}

std::string json_outcome(const Outcome& o, bool with_result) {
  const lab::Probe& p = o.planned.probe;
  std::string s = "{\"from\": " + json_string(o.from) + ", \"to\": " + json_string(o.to) +
                  ", \"family\": " + json_string(p.family == Family::V4 ? "IPv4" : "IPv6") +
                  ", \"protocol\": " + json_string(l4_name(o.planned.protocol));
  if (o.planned.protocol != L4::ICMP) s += ", \"port\": " + std::to_string(p.port);
  s += ", \"expected\": " + json_string(o.planned.expect_allow ? "allow" : "deny") +
       ", \"why\": " + json_string(o.planned.why);
  if (with_result) s += ", \"got\": " + json_string(o.got.detail);
  return s + "}";
}

}  // namespace

bool run(const Cluster& cluster, const PolicySet& policies, const Program& prog, const Options& o, Result* result,
         Diagnostics& diags) {
  Result& r = *result;
  r = Result{};
  r.target = o.endpoint_mode ? "endpoint" : "gateway";
  r.backend = o.backend;
  Plan plan;
  std::string error;
  PlanOptions po = o.plan;
  po.dns_carve_out = o.nft.dns_carve_out;
  if (!make_plan(cluster, policies, prog, po, &plan, &error)) {
    diags.error({}, "", error);
    return false;
  }
  for (long p : plan.pod_of_host) (p >= 0 ? r.pods : r.externals)++;
  r.pods_skipped = plan.pods_skipped;
  auto report = [&](const char* stage, size_t done, size_t total) {
    if (o.progress) o.progress(stage, done, total);
  };

  report("building the lab", 0, 0);
  auto t0 = Clock::now();
  auto lab = lab::Lab::create(plan.spec, &error);
  if (!lab) {
    diags.error({}, "", "cannot build the lab: " + error);
    return false;
  }
  r.build_ms = ms_since(t0);

  report("applying the rules", 0, 0);
  t0 = Clock::now();
  if (!apply_rules(*lab, plan, cluster, prog, o, diags)) return false;
  r.apply_ms = ms_since(t0);

  t0 = Clock::now();
  const size_t total = plan.probes.size();
  for (size_t start = 0; start < total; start += o.probes_per_round) {
    report("probing", start, total);
    size_t end = std::min(total, start + o.probes_per_round);
    std::vector<lab::Probe> round;
    for (size_t i = start; i < end; ++i) round.push_back(plan.probes[i].probe);
    std::vector<lab::ProbeResult> got = lab->probe(round, o.timeout);
    for (size_t i = start; i < end; ++i) {
      const PlannedProbe& p = plan.probes[i];
      ++r.probed;
      if (matches(p, got[i - start])) {
        ++r.matched;
        continue;
      }
      r.differences.push_back({p, plan.spec.hosts[p.probe.from].id, plan.spec.hosts[p.probe.to].id, got[i - start]});
    }
  }
  report("probing", total, total);
  r.probe_ms = ms_since(t0);
  for (const auto& p : plan.not_probed)
    r.not_probed.push_back({p, plan.spec.hosts[p.probe.from].id, plan.spec.hosts[p.probe.to].id, {}});
  r.ok = r.differences.empty();
  return true;
}

std::string text_report(const Result& r) {
  char timing[128];
  std::snprintf(timing, sizeof timing, " (lab %.0f ms, rules %.0f ms, probes %.0f ms)\n", r.build_ms, r.apply_ms,
                r.probe_ms);
  std::string s = "verify: " + r.target + " " + r.backend + " rules, " + count(r.pods, "pod", "pods") + ", " +
                  count(r.externals, "external host", "external hosts") + ": " + count(r.probed, "probe", "probes") +
                  ", " + std::to_string(r.matched) + " match, " + std::to_string(r.differences.size()) + " differ" +
                  timing;
  if (r.pods_skipped)
    s += "  " + count(r.pods_skipped, "pod", "pods") + " not in the lab: hostNetwork, no address, or finished\n";
  if (!r.not_probed.empty())
    s += "  " + count(r.not_probed.size(), "SCTP flow", "SCTP flows") + " not probed: this kernel cannot carry SCTP\n";
  if (!r.differences.empty()) {
    s += "differences:\n";
    for (const auto& d : r.differences)
      s += "  " + flow_text(d) + ": expected " + (d.planned.expect_allow ? "allow" : "deny") + " (" + d.planned.why +
           "), got " + d.got.detail + "\n";
  }
  return s;
}

std::string json_report(const Result& r) {
  char timing[160];
  std::snprintf(timing, sizeof timing, "{\"lab\": %.1f, \"rules\": %.1f, \"probes\": %.1f}", r.build_ms, r.apply_ms,
                r.probe_ms);
  std::string s = "{\n  \"ok\": " + std::string(r.ok ? "true" : "false") + ",\n  \"target\": " + json_string(r.target) +
                  ",\n  \"backend\": " + json_string(r.backend) + ",\n  \"pods\": " + std::to_string(r.pods) +
                  ",\n  \"external_hosts\": " + std::to_string(r.externals) +
                  ",\n  \"pods_not_in_lab\": " + std::to_string(r.pods_skipped) +
                  ",\n  \"probes\": " + std::to_string(r.probed) + ",\n  \"matched\": " + std::to_string(r.matched) +
                  ",\n  \"milliseconds\": " + timing + ",\n  \"differences\": [";
  for (size_t i = 0; i < r.differences.size(); ++i)
    s += std::string(i ? "," : "") + "\n    " + json_outcome(r.differences[i], true);
  s += r.differences.empty() ? "],\n" : "\n  ],\n";
  s += "  \"not_probed\": [";
  for (size_t i = 0; i < r.not_probed.size(); ++i)
    s += std::string(i ? "," : "") + "\n    " + json_outcome(r.not_probed[i], false);
  s += r.not_probed.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return s;
}

}  // namespace netpolc::verify
