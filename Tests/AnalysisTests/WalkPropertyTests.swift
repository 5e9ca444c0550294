import KubeModel
import Reachability
import Synthesis
import TestSupport
import Testing

@testable import Analysis

/// One walk: on random clusters, under both ipBlock readings, `explain` (the CLI's
/// `FlowExplainer`) gives the engine's verdict for every pod pair and port atom, and exposure's
/// evaluation between real pods gives the engine's connections.
@Suite struct WalkPropertyTests {
  static func name(_ cluster: Cluster, _ pod: Int) -> String {
    "\(cluster.pods[pod].namespace)/\(cluster.pods[pod].name)"
  }

  @Test("explain verdict == engine verdict for every pair and port atom, both ipBlock readings")
  func explainAgreesWithTheEngine() throws {
    var failing: [String] = []
    var checkedAtoms = 0
    for seed in UInt64(0)..<160 {
      let cluster = RandomCluster.generate(seed: seed)
      for cni in [false, true] {
        let options = EngineOptions(ipBlockMatchesPodIPs: cni)
        let engine = ReachabilityEngine(cluster: cluster, options: options)
        let reference = ReferenceEvaluator(cluster: cluster, options: options)
        let explainer = FlowExplainer(cluster: cluster, options: options)
        for s in cluster.pods.indices {
          for d in cluster.pods.indices {
            let want = engine.connections(from: .pod(s), to: .pod(d))
            let flows = try explainer.explain(
              source: Self.name(cluster, s), destination: Self.name(cluster, d), port: nil,
              transport: nil)
            let got = FlowExplanation.commonConnections(flows)
            if got != want {
              failing.append("seed \(seed) cni \(cni) \(s)->\(d): explain \(got) engine \(want)")
              continue
            }
            for atom in engine.portAtoms {
              let port = atom.range.lower
              let one = try explainer.explain(
                source: Self.name(cluster, s), destination: Self.name(cluster, d), port: port,
                transport: atom.proto)
              let allowed = FlowExplanation.allAllowed(one)
              let engineSays = want.contains(atom.proto, port)
              let referenceSays =
                s == d || reference.allows(from: .pod(s), to: .pod(d), atom.proto, port)
              checkedAtoms += 1
              if allowed != engineSays || allowed != referenceSays {
                failing.append(
                  "seed \(seed) cni \(cni) \(s)->\(d) \(atom.proto) \(port): explain \(allowed) engine \(engineSays) reference \(referenceSays)"
                )
                break
              }
            }
          }
        }
      }
    }
    #expect(checkedAtoms > 10_000)
    #expect(failing.isEmpty, "\(failing.prefix(5).joined(separator: "\n"))")
  }

  @Test("explain between a pod and external addresses agrees with the engine")
  func explainAgreesOnExternalPeers() throws {
    var failing: [String] = []
    for seed in UInt64(0)..<120 {
      let cluster = RandomCluster.generate(seed: seed)
      for cni in [false, true] {
        let options = EngineOptions(ipBlockMatchesPodIPs: cni)
        let engine = ReachabilityEngine(cluster: cluster, options: options)
        let explainer = FlowExplainer(cluster: cluster, options: options)
        for range in engine.externalRanges {
          let address = range.lowerAddress
          let single = IPRange(family: address.family, lower: address.value, upper: address.value)
          for p in cluster.pods.indices {
            let out = try explainer.explain(
              source: Self.name(cluster, p), destination: address.description, port: nil,
              transport: nil)
            let into = try explainer.explain(
              source: address.description, destination: Self.name(cluster, p), port: nil,
              transport: nil)
            let wantOut = engine.connections(from: .pod(p), to: .external(single))
            let wantIn = engine.connections(from: .external(single), to: .pod(p))
            if FlowExplanation.commonConnections(out) != wantOut
              || FlowExplanation.commonConnections(into) != wantIn
            {
              failing.append("seed \(seed) cni \(cni) pod \(p) <-> \(address)")
            }
          }
        }
      }
    }
    #expect(failing.isEmpty, "\(failing.prefix(5).joined(separator: "\n"))")
  }

  /// Whether a pod has an address inside some ipBlock or admin `networks` peer (exposure reads
  /// them as netpol-analyzer does: they never select pods).
  static func insideSomeBlock(_ cluster: Cluster, _ pod: Int) -> Bool {
    var blocks: [IPRange] = []
    for np in cluster.networkPolicies {
      for rule in np.ingress + np.egress {
        for case .ipBlock(let block) in rule.peers { blocks.append(block.cidr.range) }
      }
    }
    for anp in cluster.adminNetworkPolicies + cluster.baselineAdminNetworkPolicies {
      for rule in anp.ingress + anp.egress {
        for case .networks(let list) in rule.peers { blocks += list.map(\.range) }
      }
    }
    return cluster.pods[pod].ips.contains { ip in blocks.contains { $0.contains(ip) } }
  }

  /// Whether a pod declares one port name twice (invalid in Kubernetes; the engine resolves the
  /// name to every such port, exposure to the first, as netpol-analyzer does).
  static func repeatsAPortName(_ pod: Pod) -> Bool {
    let names = pod.ports.compactMap(\.name)
    return Set(names).count != names.count
  }

  @Test("exposure's evaluation between real pods equals the engine, both ipBlock readings")
  func exposureAgreesWithTheEngine() {
    var failing: [String] = []
    var compared = 0
    for seed in UInt64(0)..<400 {
      let cluster = RandomCluster.generate(seed: seed)
      if cluster.pods.contains(where: Self.repeatsAPortName) { continue }
      for cni in [false, true] {
        let engine = ReachabilityEngine(
          cluster: cluster, options: EngineOptions(ipBlockMatchesPodIPs: cni))
        let evaluator = ExposureEvaluator(cluster: cluster, engine: engine, representatives: [])
        for s in cluster.pods.indices {
          for d in cluster.pods.indices where s != d {
            if cni && (Self.insideSomeBlock(cluster, s) || Self.insideSomeBlock(cluster, d)) {
              continue
            }
            let got = evaluator.connections(from: .pod(s), to: .pod(d))
            let want = engine.connections(from: .pod(s), to: .pod(d))
            compared += 1
            if got.ports != want || !got.names.isEmpty {
              failing.append("seed \(seed) cni \(cni) \(s)->\(d): exposure \(got) engine \(want)")
            }
          }
        }
      }
    }
    #expect(compared > 5_000)
    #expect(failing.isEmpty, "\(failing.prefix(5).joined(separator: "\n"))")
  }
}
