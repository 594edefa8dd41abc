// The NetworkPolicy frontend: networking.k8s.io/v1 NetworkPolicy objects,
// singly, in NetworkPolicyList / List objects, multi-document YAML or JSON,
// read into the IR and validated as strictly as the API server does
// (k8s.io/kubernetes pkg/apis/networking/validation), plus unknown and
// duplicate fields, which the API server rejects when decoding strictly.
#pragma once

#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/ir.h"
#include "compiler/yaml_util.h"

namespace netpolc {

// Reads every policy of `files`, in order. Every problem is reported to
// `diags` with its location and field path, and reading goes on after it; a
// policy with any error is left out of the result, as is the second of two
// policies with the same namespace and name. Defaults are applied as the API
// server applies them: metadata.namespace "default", a missing
// spec.podSelector selects every pod, ports[].protocol TCP, and an absent or
// empty spec.policyTypes means Ingress, plus Egress when spec.egress has a
// rule. The result is sorted by (namespace, name).
PolicySet parse_policies(const std::vector<InputFile>& files, Diagnostics& diags);

}  // namespace netpolc
