import Foundation
import KubeModel
import Manifests
import Reachability
import Testing

/// The mTLS migration scenarios (`Scenarios/mtls-migration-*`): every cell of the 3x3 matrix
/// (sleep in foo, bar, legacy -> httpbin in foo, bar, legacy, on httpbin's port 80) against the
/// outcome Istio's documentation gives for that step.
@Suite("Mesh scenarios")
struct MeshScenarioTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static let namespaces = ["foo", "bar", "legacy"]

  /// Expected `transport/authorization` per row (client) and column (server), foo, bar, legacy.
  static let steps: [(String, [[String]])] = [
    // No policy: auto mTLS between sidecars, plaintext to and from legacy (all 200 in the task).
    (
      "mtls-migration-1-no-policy",
      [
        ["mtls/allowed", "mtls/allowed", "plaintext/not-applicable"],
        ["mtls/allowed", "mtls/allowed", "plaintext/not-applicable"],
        ["plaintext/allowed", "plaintext/allowed", "none/not-applicable"],
      ]
    ),
    // Mesh-wide STRICT: sleep.legacy fails to reach httpbin.foo and httpbin.bar (000, exit 56).
    (
      "mtls-migration-2-mesh-strict",
      [
        ["mtls/allowed", "mtls/allowed", "plaintext/not-applicable"],
        ["mtls/allowed", "mtls/allowed", "plaintext/not-applicable"],
        ["rejected/not-applicable", "rejected/not-applicable", "none/not-applicable"],
      ]
    ),
    // STRICT in foo only: only sleep.legacy -> httpbin.foo fails.
    (
      "mtls-migration-3-namespace-strict",
      [
        ["mtls/allowed", "mtls/allowed", "plaintext/not-applicable"],
        ["mtls/allowed", "mtls/allowed", "plaintext/not-applicable"],
        ["rejected/not-applicable", "plaintext/allowed", "none/not-applicable"],
      ]
    ),
    // Workload STRICT with port 80 DISABLE: port 80 of httpbin.foo takes plaintext from everyone.
    (
      "mtls-migration-4-port-disable",
      [
        ["plaintext/allowed", "mtls/allowed", "plaintext/not-applicable"],
        ["plaintext/allowed", "mtls/allowed", "plaintext/not-applicable"],
        ["plaintext/allowed", "plaintext/allowed", "none/not-applicable"],
      ]
    ),
    // STRICT in bar, and TLS disabled towards httpbin.bar: sidecar clients' plaintext is rejected.
    (
      "mtls-migration-5-destinationrule-disable",
      [
        ["mtls/allowed", "rejected/not-applicable", "plaintext/not-applicable"],
        ["mtls/allowed", "rejected/not-applicable", "plaintext/not-applicable"],
        ["plaintext/allowed", "rejected/not-applicable", "none/not-applicable"],
      ]
    ),
    // ALLOW only cluster.local/ns/foo/sa/sleep on httpbin.foo: bar (other principal) and legacy
    // (plaintext, no identity) are denied (403 / connection reset).
    (
      "mtls-migration-6-authorization",
      [
        ["mtls/allowed", "mtls/allowed", "plaintext/not-applicable"],
        ["mtls/denied", "mtls/allowed", "plaintext/not-applicable"],
        ["plaintext/denied", "plaintext/allowed", "none/not-applicable"],
      ]
    ),
    // Ambient: HBONE between enrolled namespaces, mesh-wide STRICT (bar's DISABLE ignored), the
    // step 6 policy enforced by ztunnel.
    (
      "mtls-migration-ambient",
      [
        ["mtls/allowed", "mtls/allowed", "plaintext/not-applicable"],
        ["mtls/denied", "mtls/allowed", "plaintext/not-applicable"],
        ["rejected/not-applicable", "rejected/not-applicable", "none/not-applicable"],
      ]
    ),
    // Ambient with foo enrolled in a waypoint for service traffic (the default type): the matrix
    // is pod-addressed, so the waypoint is not in the path and the destination ztunnel's policy
    // (sleep from foo, and the waypoint) decides, as in the ambient step.
    (
      "mtls-migration-ambient-waypoint",
      [
        ["mtls/allowed", "mtls/allowed", "plaintext/not-applicable"],
        ["mtls/denied", "mtls/allowed", "plaintext/not-applicable"],
        ["rejected/not-applicable", "rejected/not-applicable", "none/not-applicable"],
      ]
    ),
  ]

  /// Traffic addressed to the Service httpbin.foo in the waypoint step goes through the waypoint
  /// (it handles service traffic): its GET-only policy for sleep in foo decides (depends on L7 for
  /// foo, denied for bar, whose identity it does not name), and the ztunnel behind it sees the
  /// waypoint's identity, which its policy allows. legacy is still rejected by STRICT.
  @Test func serviceAddressedTrafficGoesThroughTheWaypoint() {
    let result = ManifestLoader.load(
      paths: [Self.root.appendingPathComponent("Scenarios/mtls-migration-ambient-waypoint").path])
    let cluster = result.cluster
    #expect(cluster.waypoints.map { "\($0.namespace)/\($0.name) \($0.trafficType)" } == ["foo/waypoint service"])
    let engine = ReachabilityEngine(cluster: cluster)
    let httpbin = cluster.pods.firstIndex { $0.namespace == "foo" && $0.labels["app"] == "httpbin" }!
    let service = cluster.services.firstIndex { $0.namespace == "foo" && $0.name == "httpbin" }!
    let port80 = ConnectionSet([.tcp: [PortRange(80, 80)]])
    var got: [String] = []
    for client in Self.namespaces {
      let s = cluster.pods.firstIndex { $0.namespace == client && $0.labels["app"] == "sleep" }!
      let part = engine.meshVerdict(from: .pod(s), to: .pod(httpbin), connections: port80, service: service)?.parts
        .first
      got.append(part.map { "\($0.transport.rawValue)/\($0.authorization.rawValue)" } ?? "nil")
    }
    #expect(got == ["mtls/depends-on-L7", "mtls/denied", "rejected/not-applicable"])
  }

  /// The 3x3 matrix of a scenario, from the engine.
  static func matrix(_ scenario: String) -> [[String]] {
    let result = ManifestLoader.load(paths: [root.appendingPathComponent("Scenarios/\(scenario)").path])
    #expect(!result.diagnostics.contains { $0.severity == .error })
    let cluster = result.cluster
    let engine = ReachabilityEngine(cluster: cluster)
    func pod(_ ns: String, _ app: String) -> Int {
      cluster.pods.firstIndex { $0.namespace == ns && $0.labels["app"] == app }!
    }
    let port80 = ConnectionSet([.tcp: [PortRange(80, 80)]])
    return namespaces.map { client in
      namespaces.map { server in
        let s = pod(client, "sleep")
        let d = pod(server, "httpbin")
        let l34 = engine.connections(from: .pod(s), to: .pod(d)).intersection(port80)
        guard let part = engine.meshVerdict(from: .pod(s), to: .pod(d), connections: l34)?.parts.first
        else { return "l3l4-denied" }
        return "\(part.transport.rawValue)/\(part.authorization.rawValue)"
      }
    }
  }

  @Test(arguments: steps.map(\.0)) func everyCellMatchesTheDocs(_ scenario: String) {
    let expected = Self.steps.first { $0.0 == scenario }!.1
    let actual = Self.matrix(scenario)
    for (i, client) in Self.namespaces.enumerated() {
      for (j, server) in Self.namespaces.enumerated() {
        #expect(actual[i][j] == expected[i][j], "sleep.\(client) -> httpbin.\(server)")
      }
    }
  }
}
