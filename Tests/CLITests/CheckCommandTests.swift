import Foundation
import KubereachCLI
import Testing

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// Counts the elements of an XML document by name; nil when it is not well-formed.
final class ElementCounter: NSObject, XMLParserDelegate {
  var counts: [String: Int] = [:]
  var failures: [String: Int] = [:]
  private var open: [String] = []

  static func count(_ text: String) -> ElementCounter? {
    let parser = XMLParser(data: Data(text.utf8))
    let counter = ElementCounter()
    parser.delegate = counter
    return parser.parse() ? counter : nil
  }

  func parser(
    _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
    attributes: [String: String] = [:]
  ) {
    counts[name, default: 0] += 1
    if name == "failure", let testcase = open.last { failures[testcase, default: 0] += 1 }
    open.append(name == "testcase" ? attributes["name"] ?? "" : name)
  }

  func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
    open.removeLast()
  }
}

/// `kubereach check` end to end, in-process: exit statuses, rules file errors, baselines, and
/// every SARIF output validated against the published SARIF 2.1.0 schema.
@Suite struct CheckCommandTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let planted = "Scenarios/check-planted/cluster"
  static let plantedRules = "Scenarios/check-planted/rules.yaml"

  static func run(_ arguments: [String]) -> (status: Int32, stdout: String, stderr: String) {
    ExitCodeTests.run(arguments)
  }

  @Test func plantedScenarioFailsWithEveryPlantedProblem() {
    let result = Self.run(["check", Self.planted, "--rules", Self.plantedRules])
    #expect(result.status == 1)
    for expected in [
      "store/db is reachable from outside the cluster through LoadBalancer Service store/db-public on TCP 5432 [external-exposure]",
      "namespace legacy has no default-deny Ingress policy", "batch/report cannot reach the cluster DNS",
      "NetworkPolicy store/allow-cache selects no pod [policy-selects-nothing]",
      "NetworkPolicy store/api-from-frontend-8080 changes nothing", "[host-network]",
      "rule db-mtls: store/api => store/db must be mutual TLS but TCP 5432 is allowed without it (no mesh in the input)",
    ] {
      #expect(result.stdout.contains(expected), "missing: \(expected)")
    }
    #expect(
      !result.stdout.contains(
        "changes nothing: removing it leaves every verdict as is (other policies selecting its pods: store/api-from-frontend-8080"
      ))
    #expect(result.stdout.contains("accepted: external-exposure Deployment/store/frontend: the public storefront"))
  }

  @Test func failOnDecidesTheStatus() {
    #expect(Self.run(["check", Self.planted, "--fail-on", "never"]).status == 0)
    #expect(Self.run(["check", "Scenarios/check-clean", "--fail-on", "warning"]).status == 0)
    #expect(Self.run(["check", "Scenarios/check-pr/base"]).status == 0)
    #expect(Self.run(["check", "Scenarios/check-pr/base", "--fail-on", "warning"]).status == 1)
  }

  @Test func baselineKeepsOnlyNewFindings() {
    let result = Self.run(["check", "Scenarios/check-pr/pr", "--baseline", "Scenarios/check-pr/base", "-o", "json"])
    #expect(result.status == 1)
    #expect(result.stdout.contains("\"baselined\": 4"))
    #expect(
      result.stdout.contains("app/api is reachable from outside the cluster through NodePort Service app/api-debug"))
    #expect(!result.stdout.contains("namespace metrics"))
    // The base against itself: nothing new, even though the files differ in name.
    #expect(
      Self.run(["check", "Scenarios/check-pr/base", "--baseline", "Scenarios/check-pr/base", "--fail-on", "warning"])
        .status == 0)
  }

  static func rulesFile(_ text: String) throws -> String { try ExitCodeTests.write(text, name: "rules.yaml") }

  @Test func acceptEntryMatchingNothingWarnsAtTheEntry() throws {
    let path = try Self.rulesFile(
      """
      accept:
        - check: external-exposure
          object: Deployment/store/frontned
          reason: typo
      """)
    let result = Self.run(["check", Self.planted, "--rules", path, "--fail-on", "never"])
    #expect(result.status == 0)
    #expect(
      result.stderr.contains(
        "\(path):2:5: warning: accept entry (check external-exposure, object Deployment/store/frontned) matches no finding"
      ), "\(result.stderr)")
    #expect(result.stdout.contains("store/frontend"))
    #expect(!Self.run(["check", Self.planted, "--rules", Self.plantedRules]).stderr.contains("[accept-unused]"))
  }

  @Test func unknownKeyInRulesFileIsExitTwoWithLocation() throws {
    let path = try Self.rulesFile(
      """
      rules:
        - name: x
          deny:
            from: {external: true}
            to: {namespace: store, wrokload: db}
      """)
    let result = Self.run(["check", Self.planted, "--rules", path])
    #expect(result.status == 2)
    #expect(result.stderr.contains("\(path):5:30: error: rule 'x' to: unknown key 'wrokload'"))
    #expect(result.stdout.isEmpty)
  }

  @Test func malformedRulesFilesAreExitTwo() throws {
    let cases: [(String, String)] = [
      ("rules: [{name: x, deny: {from: {}, to: {}}, allow: {from: {}, to: {}}}]", "needs exactly one of"),
      ("rules:\n  - name: x\n    deny: {from: {cidr: 10.0.0/8}, to: {}}\n", "invalid CIDR"),
      ("rules:\n  - name: x\n    allow: {from: {}, to: {}, ports: [{port: 70000}]}\n", "port number"),
      ("accept:\n  - {check: no-such-check, object: a/b}\n", "unknown check 'no-such-check'"),
      ("severity: {host-network: fatal}\n", "must be error, warning or note"),
      ("rules: [unclosed\n", "error:"),
      ("bogus: 1\n", "unknown key 'bogus'"),
    ]
    for (text, message) in cases {
      let path = try Self.rulesFile(text)
      let result = Self.run(["check", Self.planted, "--rules", path])
      #expect(result.status == 2, "\(text)")
      #expect(result.stderr.contains(path + ":"), "\(text): \(result.stderr)")
      #expect(result.stderr.contains(message), "\(text): \(result.stderr)")
    }
  }

  @Test func severityOverrideAndAcceptByShortName() throws {
    let path = try Self.rulesFile(
      """
      accept:
        - {check: workload-not-isolated, object: metrics/collector, reason: legacy}
      severity:
        namespace-no-default-deny: error
      """)
    let result = Self.run(["check", "Scenarios/check-pr/base", "--rules", path])
    #expect(result.status == 1)
    #expect(result.stdout.contains("error: namespace metrics has no default-deny Egress policy"))
    #expect(!result.stdout.contains("warning: metrics/collector is not isolated"))
    #expect(result.stdout.contains("accepted: workload-not-isolated Deployment/metrics/collector: legacy"))
  }

  @Test func outputFileIsWritten() throws {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString).xml").path
    let result = Self.run(["check", Self.planted, "-o", "junit", "--output-file", out])
    #expect(result.status == 1)
    #expect(result.stdout.isEmpty)
    let text = try String(contentsOfFile: out, encoding: .utf8)
    #expect(text.hasPrefix("<?xml"))
    #expect(text.contains("<testcase classname=\"kubereach.check\" name=\"dns-blocked\">"))
  }

  /// Istio's mutual TLS migration: step 1 (PERMISSIVE everywhere) lets legacy clients into the
  /// mesh in plaintext; step 3 (foo STRICT) makes the mesh refuse what the policies allow; rules
  /// read the final verdict, mesh included.
  @Test func meshChecksFollowTheMigration() throws {
    let step1 = Self.run(["check", "Scenarios/mtls-migration-1-no-policy"])
    #expect(
      step1.stdout.contains(
        "foo/httpbin is in the mesh but accepts plaintext on TCP 1-65535 from clients outside it (legacy/httpbin, legacy/sleep) [mesh-plaintext-from-outside]"
      ))
    #expect(!step1.stdout.contains("[mesh-transport-rejects]"))
    let step3 = Self.run(["check", "Scenarios/mtls-migration-3-namespace-strict"])
    #expect(
      step3.stdout.contains(
        "foo/httpbin: the policies allow legacy/httpbin, legacy/sleep on TCP 1-65535 but the mesh transport refuses it (PeerAuthentication foo/default) [mesh-transport-rejects]"
      ))
    #expect(!step3.stdout.contains("foo/httpbin is in the mesh but accepts plaintext"))
    #expect(step3.stdout.contains("bar/httpbin is in the mesh but accepts plaintext"))
    #expect(!step3.stdout.contains("[mesh-plaintext-into-strict]"))
    // Step 4: a port-level DISABLE under a STRICT workload policy lets plaintext in on port 80.
    let step4 = Self.run(["check", "Scenarios/mtls-migration-4-port-disable"])
    #expect(step4.status == 1)
    #expect(
      step4.stdout.contains(
        "error: foo/httpbin is meant to take mutual TLS only (PeerAuthentication foo/httpbin is STRICT) but accepts plaintext on TCP 80 from"
      ))
    // Step 2: mesh-wide STRICT does not speak for legacy pods, which have no proxy.
    #expect(
      !Self.run(["check", "Scenarios/mtls-migration-2-mesh-strict"]).stdout.contains("[mesh-plaintext-into-strict]"))
    let rules = try Self.rulesFile(
      """
      rules:
        - name: foo-mtls
          mtls: {from: {namespace: bar}, to: {namespace: foo}, ports: [{port: 8000}]}
        - name: legacy-reaches-foo
          allow: {from: {namespace: legacy, workload: sleep}, to: {namespace: foo, workload: httpbin}, ports: [8000]}
        - name: legacy-kept-out
          deny: {from: {namespace: legacy}, to: {namespace: foo, workload: httpbin}, ports: [8000]}
      """)
    let ruled = Self.run(["check", "Scenarios/mtls-migration-3-namespace-strict", "--rules", rules])
    #expect(!ruled.stdout.contains("[rule/foo-mtls]"))
    #expect(!ruled.stdout.contains("[rule/legacy-kept-out]"))
    #expect(
      ruled.stdout.contains(
        "legacy/sleep => foo/httpbin must be allowed but TCP 8000 is not allowed (the policies allow it, the mesh does not: rejected by PeerAuthentication foo/default) [rule/legacy-reaches-foo]"
      ))
    let step1Ruled = Self.run(["check", "Scenarios/mtls-migration-1-no-policy", "--rules", rules])
    #expect(step1Ruled.stdout.contains("legacy/sleep => foo/httpbin must be denied but"))
    #expect(!step1Ruled.stdout.contains("[rule/foo-mtls]"))
  }

  /// JUnit XML is well-formed, with one test case per check and rule and failures only for
  /// checks with findings at or above the fail level.
  @Test func junitHasOneTestCasePerCheck() throws {
    let result = Self.run(["check", Self.planted, "--rules", Self.plantedRules, "-o", "junit"])
    let counter = try #require(ElementCounter.count(result.stdout))
    #expect(counter.counts["testsuite"] == 1)
    #expect(counter.counts["testcase"] == 20)  // 14 built-in checks and 6 rules
    #expect(counter.failures["dns-blocked"] == 1)
    #expect(counter.failures["rule/db-mtls"] == nil)  // a warning, below --fail-on error
    #expect(counter.failures["policy-shadowed"] == nil)
    let strict = Self.run(["check", Self.planted, "--rules", Self.plantedRules, "-o", "junit", "--fail-on", "warning"])
    let all = try #require(ElementCounter.count(strict.stdout))
    #expect(all.failures["policy-shadowed"] == 1)
    #expect(all.failures["rule/db-mtls"] == 1)
  }

  /// Every SARIF golden and the SARIF of every scenario, validated with Python's jsonschema
  /// (installed into .venv by scripts/setup.sh) against ../shared/schemas/sarif-schema-2.1.0.json.
  @Test func sarifOutputsAreValidSARIF() throws {
    let python = Self.root.appendingPathComponent(".venv/bin/python").path
    let schema = Self.root.appendingPathComponent("../shared/schemas/sarif-schema-2.1.0.json").standardized.path
    try #require(FileManager.default.isExecutableFile(atPath: python), "no .venv: run scripts/setup.sh")
    try #require(FileManager.default.fileExists(atPath: schema), "SARIF schema missing at \(schema)")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sarif-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    var files: [String] = []
    let runs: [[String]] =
      GoldenOutputTests.checkGoldens.filter { $0.arguments.contains("sarif") }.map(\.arguments)
      + [
        ["check", "Scenarios/shop"], ["check", "Scenarios/multi-tenant"], ["check", "Scenarios/shop-v2"],
        ["check", Self.planted, "--rules", Self.plantedRules, "--baseline", "Scenarios/check-clean"],
      ].map { $0 + ["-o", "sarif"] }
    for (i, arguments) in runs.enumerated() {
      let result = Self.run(arguments)
      #expect(result.status != 2, "\(arguments): \(result.stderr)")
      let file = dir.appendingPathComponent("\(i).sarif").path
      try result.stdout.write(toFile: file, atomically: true, encoding: .utf8)
      files.append(file)
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [Self.root.appendingPathComponent("scripts/validate-sarif.py").path, schema] + files
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(output)")
    #expect(output.components(separatedBy: "valid SARIF 2.1.0").count - 1 == files.count, "\(output)")
  }
}
