#include "compiler/ir.h"

namespace netpolc {

const char* protocol_name(Protocol p) {
  switch (p) {
    case Protocol::TCP: return "TCP";
    case Protocol::UDP: return "UDP";
    case Protocol::SCTP: return "SCTP";
  }
  return "TCP";
}

const char* protocol_keyword(Protocol p) {
  switch (p) {
    case Protocol::TCP: return "tcp";
    case Protocol::UDP: return "udp";
    case Protocol::SCTP: return "sctp";
  }
  return "tcp";
}

const char* direction_name(Direction d) { return d == Direction::Ingress ? "ingress" : "egress"; }

}  // namespace netpolc
