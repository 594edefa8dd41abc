// The cluster snapshot frontend: `-s/--snapshot` inputs to the `Cluster` IR.
//
// Two formats, mixed freely across and within inputs (one document at a time):
//  - kubectl output (`kubectl get namespaces,pods -A -o yaml|json`): Namespace
//    and Pod objects, singly, in `List`/`NamespaceList`/`PodList`, or
//    multi-document. Read leniently: only the fields the compiler needs are
//    read (and type-checked); every other field and every other kind is
//    ignored, since Kubernetes adds fields every release.
//  - the lab inventory (`apiVersion: netpolc/v1`, `kind: Inventory`), written
//    by hand and read strictly: unknown fields are errors.
// See docs/snapshot-formats.md.
#pragma once

#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/ir.h"
#include "compiler/yaml_util.h"

namespace netpolc {

// Reads every input into one cluster: namespaces sorted by name (each with
// its kubernetes.io/metadata.name label), pods sorted by (namespace, name),
// each pod's addresses sorted (IPv4 first) and ports sorted by (name, port,
// protocol) without duplicates. Every problem is reported to `diags`; the
// result is then partial and only good for more diagnostics.
Cluster parse_snapshot(const std::vector<InputFile>& files, Diagnostics& diags);

}  // namespace netpolc
