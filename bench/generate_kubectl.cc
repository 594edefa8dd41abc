// Generates what `kubectl get namespaces,pods -A -o json` and `-o yaml` print
// for a cluster of full pod objects (metadata with labels, annotations,
// ownerReferences and managedFields; spec with env, probes, resources,
// volumes, tolerations; status with conditions and containerStatuses), for
// the input benchmarks of bench/run:
//   generate-kubectl --pods N --out DIR
// writes DIR/pods.json (about 6.5 KB a pod) and DIR/pods.yaml (about 2.8 KB
// a pod), one List each with the namespaces first, as kubectl prints them.
// The pods are those of generate.cc (same names, labels, addresses and named
// ports), so that the policies it writes select them.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "bench/pod_addresses.h"
#include <utility>
#include <vector>

namespace {

// A JSON value, printed as JSON (kubectl's 4-space indentation) or as YAML
// (kubectl's block style).
struct V {
  enum Kind { Str, Raw, List, Obj } kind = Obj;
  std::string text;                            // Str, Raw (a number, true, false, null)
  std::vector<V> items;                        // List; an Obj's values
  std::vector<std::string> keys;               // Obj: the key of each of items

  static V str(std::string s) { return {Str, std::move(s), {}, {}}; }
  static V raw(std::string s) { return {Raw, std::move(s), {}, {}}; }
  static V num(long n) { return raw(std::to_string(n)); }
  static V boolean(bool b) { return raw(b ? "true" : "false"); }
  static V list(std::vector<V> items) { return {List, {}, std::move(items), {}}; }
  // Defined below: clang (with libstdc++) cannot build a std::pair<std::string,
  // V> while V is incomplete, so V keeps keys and values apart.
  static V obj(std::vector<std::pair<std::string, V>> fields);
};

V V::obj(std::vector<std::pair<std::string, V>> fields) {
  V v{Obj, {}, {}, {}};
  for (auto& [key, value] : fields) {
    v.keys.push_back(std::move(key));
    v.items.push_back(std::move(value));
  }
  return v;
}

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void write_json(const V& v, int indent, std::string& out) {
  std::string pad(size_t(indent + 4), ' '), end_pad(size_t(indent), ' ');
  switch (v.kind) {
    case V::Str: out += json_quote(v.text); return;
    case V::Raw: out += v.text; return;
    case V::List:
      if (v.items.empty()) { out += "[]"; return; }
      out += "[\n";
      for (size_t i = 0; i < v.items.size(); ++i) {
        out += pad;
        write_json(v.items[i], indent + 4, out);
        out += i + 1 < v.items.size() ? ",\n" : "\n";
      }
      out += end_pad + "]";
      return;
    case V::Obj:
      if (v.keys.empty()) { out += "{}"; return; }
      out += "{\n";
      for (size_t i = 0; i < v.keys.size(); ++i) {
        out += pad + json_quote(v.keys[i]) + ": ";
        write_json(v.items[i], indent + 4, out);
        out += i + 1 < v.keys.size() ? ",\n" : "\n";
      }
      out += end_pad + "}";
      return;
  }
}

// Whether YAML needs quotes around `s` to read it back as this string.
bool needs_quotes(const std::string& s) {
  std::string lower;
  for (char c : s) lower += char(c >= 'A' && c <= 'Z' ? c + 32 : c);
  for (const char* word : {"", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n"})
    if (lower == word) return true;
  bool numeric = true;
  for (char c : s) numeric = numeric && ((c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':');
  if (numeric) return true;  // numbers, and timestamps as go-yaml quotes them
  if (std::string("-?:,[]{}#&*!|>'\"%@` ").find(s[0]) != std::string::npos) return true;
  return s.find(": ") != std::string::npos || s.find(" #") != std::string::npos ||
         s.back() == ' ' || s.back() == ':';
}

std::string yaml_scalar(const V& v) {
  if (v.kind == V::Raw) return v.text;
  return needs_quotes(v.text) ? json_quote(v.text) : v.text;
}

bool is_empty_collection(const V& v) {
  return (v.kind == V::List && v.items.empty()) || (v.kind == V::Obj && v.keys.empty());
}

void write_yaml_value(const V& v, int indent, std::string& out);

// The fields of an object, the first one already placed by the caller.
void write_yaml_fields(const V& v, int indent, bool first_placed, std::string& out) {
  for (size_t i = 0; i < v.keys.size(); ++i) {
    if (i > 0 || !first_placed) out += std::string(size_t(indent), ' ');
    const std::string& key = v.keys[i];
    const V& value = v.items[i];
    out += (needs_quotes(key) ? json_quote(key) : key) + ":";
    write_yaml_value(value, indent, out);
  }
}

// A value after "key:" (a list stays at the key's indentation, as kubectl
// prints it) or after "- ".
void write_yaml_value(const V& v, int indent, std::string& out) {
  if (v.kind == V::Str || v.kind == V::Raw) {
    out += " " + yaml_scalar(v) + "\n";
  } else if (is_empty_collection(v)) {
    out += v.kind == V::List ? " []\n" : " {}\n";
  } else if (v.kind == V::Obj) {
    out += "\n";
    write_yaml_fields(v, indent + 2, false, out);
  } else {
    out += "\n";
    for (const V& item : v.items) {
      out += std::string(size_t(indent), ' ') + "-";
      if (item.kind == V::Obj && !item.keys.empty()) {
        out += " ";
        write_yaml_fields(item, indent + 2, true, out);
      } else {
        write_yaml_value(item, indent + 2, out);
      }
    }
  }
}

using netpolc::bench::ip4;
using netpolc::bench::ip6;

std::string uid(long i, int salt) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%08lx-%04x-4%03lx-8%03lx-%012lx", i * 2654435761 % 0xffffffff,
                salt, i % 4096, (i / 7) % 4096, i * 40503 + salt);
  return buf;
}

V fields_v1(std::vector<std::string> keys) {  // managedFields' fieldsV1: sets of "f:" keys
  std::vector<std::pair<std::string, V>> f;
  for (auto& k : keys) f.emplace_back(std::move(k), V::obj({}));
  return V::obj(std::move(f));
}

V managed_fields(const std::string& time) {
  V controller = V::obj({
      {"f:metadata", V::obj({{"f:labels", fields_v1({".", "f:app", "f:tier"})},
                             {"f:ownerReferences", V::obj({{".", V::obj({})}, {"k:{\"uid\":\"x\"}", V::obj({})}})}})},
      {"f:spec", V::obj({{"f:containers", V::obj({{"k:{\"name\":\"app\"}", fields_v1({".", "f:env", "f:image", "f:name", "f:ports", "f:resources"})}})},
                         {"f:restartPolicy", V::obj({})}})}});
  V kubelet = V::obj({{"f:status", V::obj({{"f:conditions", fields_v1({"k:{\"type\":\"ContainersReady\"}", "k:{\"type\":\"Initialized\"}", "k:{\"type\":\"Ready\"}"})},
                                           {"f:phase", V::obj({})},
                                           {"f:podIPs", fields_v1({".", "k:{\"ip\":\"x\"}"})},
                                           {"f:startTime", V::obj({})}})}});
  auto entry = [&](const char* manager, const char* subresource, V fields) {
    std::vector<std::pair<std::string, V>> e = {
        {"apiVersion", V::str("v1")}, {"fieldsType", V::str("FieldsV1")}, {"fieldsV1", std::move(fields)},
        {"manager", V::str(manager)}, {"operation", V::str("Update")}};
    if (*subresource) e.emplace_back("subresource", V::str(subresource));
    e.emplace_back("time", V::str(time));
    return V::obj(std::move(e));
  };
  return V::list({entry("kube-controller-manager", "", std::move(controller)),
                  entry("kubelet", "status", std::move(kubelet))});
}

V env_var(const std::string& name, const std::string& value) {
  return V::obj({{"name", V::str(name)}, {"value", V::str(value)}});
}

V env_field(const std::string& name, const std::string& path) {
  return V::obj({{"name", V::str(name)},
                 {"valueFrom", V::obj({{"fieldRef", V::obj({{"apiVersion", V::str("v1")}, {"fieldPath", V::str(path)}})}})}});
}

V pod(long i) {
  long ns = i / 100, app = (i % 100) / 4;
  std::string name = "app" + std::to_string(app) + "-" + std::to_string(i % 4);
  std::string nsname = "ns" + std::to_string(ns);
  std::string tier = app % 3 == 0 ? "frontend" : app % 3 == 1 ? "backend" : "db";
  std::string time = "2024-05-0" + std::to_string(1 + i % 9) + "T10:" + std::to_string(10 + i % 50) + ":00Z";
  std::string hash = "7d9f" + std::to_string(1000 + app * 37 % 9000);
  std::string rs = "app" + std::to_string(app) + "-" + hash;
  V ips = V::list({V::obj({{"ip", V::str(ip4(i))}})});
  if (i % 4 == 0) ips.items.push_back(V::obj({{"ip", V::str(ip6(i))}}));
  V metadata = V::obj({
      {"annotations", V::obj({{"kubectl.kubernetes.io/restartedAt", V::str(time)},
                              {"prometheus.io/scrape", V::str("true")},
                              {"prometheus.io/port", V::str("9090")}})},
      {"creationTimestamp", V::str(time)},
      {"generateName", V::str(rs + "-")},
      {"labels", V::obj({{"app", V::str("app" + std::to_string(app))},
                         {"pod-template-hash", V::str(hash)},
                         {"tier", V::str(tier)},
                         {"version", V::str("v" + std::to_string(i % 2))}})},
      {"managedFields", managed_fields(time)},
      {"name", V::str(name)},
      {"namespace", V::str(nsname)},
      {"ownerReferences", V::list({V::obj({{"apiVersion", V::str("apps/v1")},
                                           {"blockOwnerDeletion", V::boolean(true)},
                                           {"controller", V::boolean(true)},
                                           {"kind", V::str("ReplicaSet")},
                                           {"name", V::str(rs)},
                                           {"uid", V::str(uid(app, 1))}})})},
      {"resourceVersion", V::str(std::to_string(100000 + i))},
      {"uid", V::str(uid(i, 2))}});
  V container = V::obj({
      {"env", V::list({env_var("APP_NAME", "app" + std::to_string(app)), env_field("POD_IP", "status.podIP")})},
      {"image", V::str("registry.example.com/team/app" + std::to_string(app) + ":1.4." + std::to_string(app % 7))},
      {"imagePullPolicy", V::str("IfNotPresent")},
      {"name", V::str("app")},
      {"ports", V::list({V::obj({{"containerPort", V::num(8000 + app % 10)}, {"name", V::str("http")}, {"protocol", V::str("TCP")}}),
                         V::obj({{"containerPort", V::num(9090)}, {"name", V::str("metrics")}, {"protocol", V::str("TCP")}})})},
      {"resources", V::obj({{"limits", V::obj({{"cpu", V::str("500m")}, {"memory", V::str("256Mi")}})}})},
      {"terminationMessagePath", V::str("/dev/termination-log")},
      {"terminationMessagePolicy", V::str("File")}});
  V spec = V::obj({
      {"containers", V::list({std::move(container)})},
      {"dnsPolicy", V::str("ClusterFirst")},
      {"enableServiceLinks", V::boolean(true)},
      {"nodeName", V::str("node-" + std::to_string(i % 50))},
      {"restartPolicy", V::str("Always")},
      {"schedulerName", V::str("default-scheduler")},
      {"securityContext", V::obj({})},
      {"serviceAccountName", V::str("default")},
      {"terminationGracePeriodSeconds", V::num(30)},
      {"tolerations", V::list({V::obj({{"effect", V::str("NoExecute")}, {"operator", V::str("Exists")}})})}});
  auto condition = [&](const char* type) {
    return V::obj({{"lastProbeTime", V::raw("null")}, {"lastTransitionTime", V::str(time)},
                   {"status", V::str("True")}, {"type", V::str(type)}});
  };
  V status = V::obj({
      {"conditions", V::list({condition("Ready"), condition("PodScheduled")})},
      {"containerStatuses", V::list({V::obj({
           {"containerID", V::str("containerd://" + uid(i, 3))},
           {"image", V::str("registry.example.com/team/app" + std::to_string(app) + ":1.4." + std::to_string(app % 7))},
           {"imageID", V::str("registry.example.com/team/app" + std::to_string(app) + "@sha256:" + uid(app, 5))},
           {"lastState", V::obj({})},
           {"name", V::str("app")},
           {"ready", V::boolean(true)},
           {"restartCount", V::num(i % 3)},
           {"started", V::boolean(true)},
           {"state", V::obj({{"running", V::obj({{"startedAt", V::str(time)}})}})}})})},
      {"hostIP", V::str("192.168.0." + std::to_string(10 + i % 50))},
      {"phase", V::str("Running")},
      {"podIP", V::str(ip4(i))},
      {"podIPs", std::move(ips)},
      {"qosClass", V::str("Burstable")},
      {"startTime", V::str(time)}});
  return V::obj({{"apiVersion", V::str("v1")}, {"kind", V::str("Pod")}, {"metadata", std::move(metadata)},
                 {"spec", std::move(spec)}, {"status", std::move(status)}});
}

V namespace_object(const std::string& name, std::vector<std::pair<std::string, V>> labels) {
  labels.emplace(labels.begin(), "kubernetes.io/metadata.name", V::str(name));
  return V::obj({{"apiVersion", V::str("v1")}, {"kind", V::str("Namespace")},
                 {"metadata", V::obj({{"creationTimestamp", V::str("2024-05-01T09:00:00Z")},
                                      {"labels", V::obj(std::move(labels))},
                                      {"name", V::str(name)},
                                      {"resourceVersion", V::str("42")},
                                      {"uid", V::str(uid(long(name.size()), 7))}})},
                 {"spec", V::obj({{"finalizers", V::list({V::str("kubernetes")})}})},
                 {"status", V::obj({{"phase", V::str("Active")}})}});
}

// The List's items one at a time, so that memory stays that of one pod.
template <typename Emit>
void for_each_item(long pods, Emit emit) {
  long namespaces = (pods + 99) / 100;
  emit(namespace_object("kube-system", {}));
  for (long n = 0; n < namespaces; ++n)
    emit(namespace_object("ns" + std::to_string(n), {{"team", V::str("team" + std::to_string(n % 20))},
                                                     {"env", V::str(n % 3 ? "prod" : "dev")}}));
  for (long i = 0; i < pods; ++i) emit(pod(i));
}

void write_json_list(long pods, std::ostream& out) {
  out << "{\n    \"apiVersion\": \"v1\",\n    \"items\": [";
  bool first = true;
  std::string text;
  for_each_item(pods, [&](const V& item) {
    text.assign(first ? "\n        " : ",\n        ");
    write_json(item, 8, text);
    out << text;
    first = false;
  });
  out << "\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n";
}

void write_yaml_list(long pods, std::ostream& out) {
  out << "apiVersion: v1\nitems:\n";
  std::string text;
  for_each_item(pods, [&](const V& item) {
    text.assign("- ");
    write_yaml_fields(item, 2, true, text);
    out << text;
  });
  out << "kind: List\nmetadata:\n  resourceVersion: \"\"\n";
}

}  // namespace

int main(int argc, char** argv) {
  long pods = 10000;
  std::string dir = ".";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--pods") pods = std::atol(argv[i + 1]);
    else if (a == "--out") dir = argv[i + 1];
    else {
      std::cerr << "usage: generate-kubectl --pods N --out DIR\n";
      return 2;
    }
  }
  std::ofstream json(dir + "/pods.json"), yaml(dir + "/pods.yaml");
  write_json_list(pods, json);
  write_yaml_list(pods, yaml);
  return json && yaml ? 0 : 1;
}
