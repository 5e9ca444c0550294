import KubeModel
import Reachability

extension ReachabilityEngine {
  /// Every pod pair (source != destination) and pod/external-range pair with a non-empty
  /// verdict, sorted by source then destination: `classConnections()` expanded to pods, for
  /// comparisons with the reference evaluator.
  public func allConnections() -> [(src: Peer, dst: Peer, conns: ConnectionSet)] {
    var out: [(src: Peer, dst: Peer, conns: ConnectionSet)] = []
    let externals = externalRanges
    for (s, d, conns) in classConnections() {
      switch (s, d) {
      case (.podClass(let a), .podClass(let b)):
        for ps in pods(inClass: a) {
          for pd in pods(inClass: b) where ps != pd { out.append((.pod(ps), .pod(pd), conns)) }
        }
      case (.podClass(let a), .external(let e)):
        for ps in pods(inClass: a) { out.append((.pod(ps), .external(externals[e]), conns)) }
      case (.external(let e), .podClass(let b)):
        for pd in pods(inClass: b) { out.append((.external(externals[e]), .pod(pd), conns)) }
      case (.external, .external):
        continue
      }
    }
    out.sort { ($0.src, $0.dst) < ($1.src, $1.dst) }
    return out
  }
}
