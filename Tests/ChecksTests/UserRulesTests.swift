import Checks
import Foundation
import KubeModel
import Manifests
import Testing

/// Rules files: decoding with located errors, and each rule kind judged by the engine.
@Suite struct UserRulesTests {
  static let cluster = """
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web, namespace: a}
    spec:
      selector: {matchLabels: {app: web}}
      template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: i}]}}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: db, namespace: a}
    spec:
      selector: {matchLabels: {app: db}}
      template: {metadata: {labels: {app: db}}, spec: {containers: [{name: c, image: i}]}}
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: tool, namespace: b}
    spec:
      selector: {matchLabels: {app: tool}}
      template: {metadata: {labels: {app: tool}}, spec: {containers: [{name: c, image: i}]}}
    ---
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: db, namespace: a}
    spec:
      podSelector: {matchLabels: {app: db}}
      ingress:
        - from: [{podSelector: {matchLabels: {app: web}}}]
          ports: [{port: 5432}]
        - from: [{ipBlock: {cidr: 10.0.0.0/8}}]
          ports: [{port: 5432}]
    """

  static func rules(_ text: String) throws -> RulesFile {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString).yaml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    switch RulesFile.load(path: path, knownChecks: CheckRunner.knownCheckIDs) {
    case .success(let file): return file
    case .failure(let error):
      Issue.record("\(error.diagnostics)")
      return RulesFile()
    }
  }

  static func findings(_ rulesText: String) throws -> [Finding] {
    let cluster = ManifestLoader.load(yaml: Self.cluster, file: "c.yaml").cluster
    return CheckRunner(rules: try rules(rulesText)).findings(of: cluster).filter { $0.check.hasPrefix("rule/") }
  }

  @Test func denyIsBrokenOnlyWhereTheEngineAllows() throws {
    let found = try Self.findings(
      """
      rules:
        - name: internet-not-to-db
          deny: {from: {cidr: 0.0.0.0/0}, to: {namespace: a, workload: db}}
        - name: partner-not-to-db-https
          deny: {from: {cidr: 10.1.0.0/16}, to: {workload: db}, ports: [443]}
        - name: tool-not-to-db
          deny: {from: {namespace: b}, to: {labels: {app: db}}}
      """)
    #expect(found.map(\.check) == ["rule/internet-not-to-db"])
    #expect(found[0].message.contains("0.0.0.0/0 => a/db must be denied but TCP 5432 is allowed"))
    #expect(found[0].location?.file == "c.yaml")
    #expect(found[0].severity == .error)
  }

  @Test func allowNeedsEveryPortOnEveryPair() throws {
    let found = try Self.findings(
      """
      rules:
        - name: web-to-db
          allow: {from: {workload: web}, to: {workload: db}, ports: [{port: 5432, protocol: TCP}]}
        - name: web-to-db-udp
          require: {from: {workload: web}, to: {workload: db}, ports: [{port: 5432, protocol: UDP}]}
        - name: tool-to-db
          allow: {from: {namespace: b}, to: {workload: db}}
        - name: nobody
          allow: {from: {workload: ghost}, to: {workload: db}}
      """)
    #expect(found.map(\.check) == ["rule/nobody", "rule/tool-to-db", "rule/web-to-db-udp"])
    #expect(found[0].message.contains("selects nothing, nothing was checked"))
    #expect(
      found[1].message.contains(
        "b/tool => a/db must be allowed but no connection is allowed (denied by NetworkPolicy a/db)"))
    #expect(found[2].message.contains("UDP 5432 is not allowed"))
  }

  @Test func isolatedAndMTLS() throws {
    let found = try Self.findings(
      """
      rules:
        - name: a-isolated
          isolated: {workloads: {namespace: a}, direction: ingress}
        - name: db-mtls
          mtls: {to: {workload: db}}
          severity: warning
      """)
    #expect(
      found.map { "\($0.check) \($0.object) \($0.detail)" } == [
        "rule/a-isolated Deployment/a/web Ingress", "rule/db-mtls Deployment/a/db a/web => a/db",
      ])
    #expect(found[1].severity == .warning)
    // No mesh in the input: what the policies allow is not mutual TLS, never a silent pass.
    #expect(
      found[1].message.contains(
        "a/web => a/db must be mutual TLS but TCP 5432 is allowed without it (no mesh in the input)"))
  }

  @Test func rulesFileErrorsAreLocated() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml").path
    try "rules:\n  - name: x\n    isolated: {workloads: {namespace: a}, direction: sideways}\n".write(
      toFile: path, atomically: true, encoding: .utf8)
    guard case .failure(let error) = RulesFile.load(path: path, knownChecks: CheckRunner.knownCheckIDs) else {
      Issue.record("accepted a bad direction")
      return
    }
    #expect(
      error.diagnostics.map(\.description) == [
        "\(path):3:54: error: direction must be ingress, egress or both, found 'sideways' [invalid-rules]"
      ])
  }

  /// An accept entry that matches no finding is a warning at the entry, never a silent accept.
  @Test func acceptEntryMatchingNothingIsALocatedWarning() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("acc-\(UUID().uuidString).yaml").path
    try """
    accept:
      - check: workload-not-isolated
        object: Deployment/b/tool
        reason: a tool
      - check: workload-not-isolated
        object: Deployment/b/tol
    """.write(toFile: path, atomically: true, encoding: .utf8)
    guard case .success(let rules) = RulesFile.load(path: path, knownChecks: CheckRunner.knownCheckIDs) else {
      Issue.record("rules file refused")
      return
    }
    let cluster = ManifestLoader.load(yaml: Self.cluster, file: "c.yaml").cluster
    let report = CheckRunner(rules: rules).report(cluster: cluster)
    #expect(report.accepted.contains { $0.finding.object.description == "Deployment/b/tool" })
    #expect(
      report.warnings.map(\.description) == [
        "\(path):5:5: warning: accept entry (check workload-not-isolated, object Deployment/b/tol) matches no finding: check the object's spelling (Kind/namespace/name, namespace/name or Kind/name), or remove the entry if the finding is gone [accept-unused]"
      ])
    // Every entry used: no warning.
    var used = rules
    used.accepts.removeLast()
    let fixed = CheckRunner(rules: used).report(cluster: cluster)
    #expect(fixed.warnings.isEmpty)
  }
}
