import KubeModel
import Synthesis
import Testing

@testable import Reachability

/// Explanations are shared between pairs (interned per profile, the rules that select the peer
/// and the peer's named ports; segments per pair of profiles and explanations). Sharing must never
/// hand one pair another pair's reasons: every atom's explanation in a shared answer equals the
/// tier walk run afresh for that pair and atom.
@Suite("Shared explanations")
struct SharedExplanationTests {
  @Test("each atom's shared explanation equals a fresh walk of that pair and atom, both ipBlock readings")
  func sharedEqualsFresh() {
    var failing: [String] = []
    var checked = 0
    for seed in UInt64(0)..<120 {
      let cluster = RandomCluster.generate(seed: seed)
      for cni in [false, true] {
        let engine = ReachabilityEngine(cluster: cluster, options: EngineOptions(ipBlockMatchesPodIPs: cni))
        let base = engine.classCount
        var peers: [Peer] = cluster.pods.indices.map { .pod($0) }
        peers += engine.externalRanges.prefix(4).map { .external($0) }
        for s in peers {
          for d in peers {
            let shared = engine.explain(from: s, to: d)
            for (a, atom) in engine.portAtoms.enumerated() {
              guard
                let segment = shared.segments.first(where: { $0.connections.contains(atom.proto, atom.range.lower) })
              else {
                failing.append("seed \(seed) \(s)->\(d): atom \(a) in no segment")
                continue
              }
              checked += 1
              let fresh = freshExplanations(engine, s, d, atom: a, base: base)
              if let fresh, fresh.egress != segment.egress || fresh.ingress != segment.ingress {
                failing.append("seed \(seed) cni \(cni) \(s)->\(d) atom \(a): shared \(segment) fresh \(fresh)")
              }
            }
          }
        }
      }
    }
    #expect(checked > 50_000)
    #expect(failing.count == 0, "\(failing.prefix(2).joined(separator: "\n"))")
  }

  /// The explanations of one atom computed without any memo (nil for a pod to itself and for two
  /// external ends, which are not walked).
  func freshExplanations(_ engine: ReachabilityEngine, _ s: Peer, _ d: Peer, atom a: Int, base: Int)
    -> (egress: DirectionExplanation, ingress: DirectionExplanation)?
  {
    if s == d { return nil }
    func indices(_ p: Peer) -> [Int] {
      switch p {
      case .pod(let i): return [engine.podClass(i)]
      case .external(let r): return engine.externalIndices(overlapping: r).map { base + $0 }
      }
    }
    var dstClass: Int? = nil
    if case .pod(let i) = d { dstClass = engine.podClass(i) }
    var egress = DirectionExplanation(direction: .egress, allowed: true, decidingTier: .systemDefault)
    var ingress = DirectionExplanation(direction: .ingress, allowed: true, decidingTier: .systemDefault)
    switch (s, d) {
    case (.external, .external): return nil
    default: break
    }
    if case .pod = s {
      egress = engine.worstOf(
        indices(d).map {
          engine.explainDirection(.egress, subject: indices(s)[0], peer: $0, destinationClass: dstClass, atom: a)
        }, .egress)
    }
    if case .pod = d {
      ingress = engine.worstOf(
        indices(s).map {
          engine.explainDirection(.ingress, subject: indices(d)[0], peer: $0, destinationClass: dstClass, atom: a)
        }, .ingress)
    }
    return (egress, ingress)
  }
}
