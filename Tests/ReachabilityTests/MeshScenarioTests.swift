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
  ]

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
