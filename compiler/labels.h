// TEMPORARY stub (replaced by the frontend branch)
#pragma once
#include "compiler/ir.h"
namespace netpolc {
bool selector_matches(const LabelSelector& sel, const Labels& labels);
}
