import Analysis
import Formats
import Foundation
import KubeModel
import KubereachCLI
import Manifests
import TestSupport
import Reachability
import Testing

/// Runs every case of netpol-analyzer's golden corpus through the library and compares outputs.
@Suite(.serialized) struct NetpolAnalyzerConformanceTests {
  static let ratchetFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("conformance-ratchet.txt")

  enum Outcome {
    case match
    case mismatch(String)
    case skipped(String)
  }

  @Test(.enabled(if: TestCorpus.netpolAnalyzerIsPresent))
  func goldenOutputsMatch() throws {
    let manifest = try NetpolCorpus.manifest()
    var matches = 0
    var failures: [String] = []
    var skips: [String: Int] = [:]
    for testCase in manifest.cases {
      switch Self.run(testCase) {
      case .match: matches += 1
      case .mismatch(let why): failures.append("\(testCase.label): \(why)")
      case .skipped(let reason): skips[reason, default: 0] += 1
      }
    }
    let skipped = skips.values.reduce(0, +)
    let total = manifest.cases.count - skipped
    print("conformance: \(matches)/\(total) cases match, \(skipped) skipped")
    for (reason, count) in skips.sorted(by: { $0.key < $1.key }) { print("conformance: skipped \(count): \(reason)") }
    let reportPath = ProcessInfo.processInfo.environment["CONFORMANCE_REPORT"]
    if let reportPath {
      try failures.sorted().joined(separator: "\n").write(toFile: reportPath, atomically: true, encoding: .utf8)
    }
    let ratchet =
      Int(
        (try? String(contentsOf: Self.ratchetFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
          ?? "0") ?? 0
    #expect(
      matches >= ratchet,
      "conformance dropped below the ratchet (\(ratchet)): \(failures.prefix(20).joined(separator: "\n"))")
  }

  static func run(_ testCase: NetpolCorpus.Case) -> Outcome {
    if testCase.multiple_networks == true {
      return .skipped("multiple networks (UDN, NetworkAttachmentDefinition, VMs)")
    }
    guard let expectedPath = testCase.expected,
      let expected = try? String(contentsOfFile: NetpolCorpus.path(expectedPath), encoding: .utf8)
    else { return .mismatch("expected output unreadable") }
    let format = testCase.format ?? "txt"
    let actual: String
    switch testCase.kind {
    case "connlist":
      guard let output = connlist(testCase, format: format) else { return .mismatch("analysis failed") }
      actual = output
    case "diff":
      guard let output = diff(testCase, format: format) else { return .mismatch("diff failed") }
      actual = output
    case "explain":
      guard let output = explain(testCase) else { return .mismatch("explain failed") }
      actual = output
    default:
      return .mismatch("\(testCase.kind) output not produced")
    }
    return actual == expected ? .match : .mismatch("output differs")
  }

  /// netpol-analyzer reads no mesh: conformance runs with the mesh off (`--no-mesh`).
  static func analyzer(dirs: [String], options: ConnectivityOptions) -> ConnectivityAnalyzer? {
    let loaded = ManifestLoader.load(paths: dirs.map(NetpolCorpus.path))
    guard !loaded.diagnostics.contains(where: { $0.severity == .error }) else { return nil }
    var options = options
    options.engine.mesh.enabled = false
    return try? ConnectivityAnalyzer(cluster: loaded.cluster, options: options)
  }

  static func connlist(_ testCase: NetpolCorpus.Case, format: String) -> String? {
    var options = ConnectivityOptions()
    options.focusWorkloads = testCase.focus_workloads ?? []
    options.focusWorkloadPeers = testCase.focus_workload_peers ?? []
    options.focusDirection = testCase.focus_direction.flatMap { Direction(name: $0) }
    if let conn = testCase.focus_conn, !conn.isEmpty { options.focusConnection = FocusConnection(parsing: conn) }
    options.exposure = testCase.exposure == true
    guard let analyzer = analyzer(dirs: testCase.input_dirs, options: options),
      let renderer = OutputFormat(rawValue: format)?.renderer,
      let bytes = try? renderer.render(analyzer.report())
    else { return nil }
    return String(decoding: bytes, as: UTF8.self)
  }

  static func explain(_ testCase: NetpolCorpus.Case) -> String? {
    var options = ConnectivityOptions()
    options.focusWorkloads = testCase.focus_workloads ?? []
    options.focusWorkloadPeers = testCase.focus_workload_peers ?? []
    options.focusDirection = testCase.focus_direction.flatMap { Direction(name: $0) }
    if let conn = testCase.focus_conn, !conn.isEmpty { options.focusConnection = FocusConnection(parsing: conn) }
    options.exposure = testCase.exposure == true
    let only = testCase.explain_only.flatMap { ExplainOnly(rawValue: $0) }
    guard let analyzer = analyzer(dirs: testCase.input_dirs, options: options) else { return nil }
    let connectivity = options.exposure ? analyzer.report() : nil
    return ExplainTextRenderer().text(analyzer.explainReport(only: only), connectivity: connectivity)
  }

  static func diff(_ testCase: NetpolCorpus.Case, format: String) -> String? {
    guard let ref1 = testCase.ref1, let ref2 = testCase.ref2,
      let before = analyzer(dirs: [ref1], options: .init()),
      let after = analyzer(dirs: [ref2], options: .init()),
      let renderer = OutputFormat(rawValue: format)?.renderer,
      let bytes = try? renderer.render(DiffReport(before: before.report(), after: after.report()))
    else { return nil }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Fatal-error cases of netpol-analyzer that kubereach answers on purpose, with the reason. Each
  /// must still print the located warning named here.
  static let deliberateDifferences: [String: (warning: String, reason: String)] = [
    "Input_dir_has_netpol_with_named_port_on_ipblock_peer_should_return_fatal_named_port_error": (
      "named-port-ipblock",
      "an egress rule with an ipBlock peer and a named port is valid Kubernetes; CNIs resolve the "
        + "name only on pods, so it admits no external address: a located warning, and analysed"
    )
  ]

  @Test(.enabled(if: TestCorpus.netpolAnalyzerIsPresent))
  func fatalErrorCasesExitWithTwo() throws {
    let manifest = try NetpolCorpus.manifest()
    var checked = 0
    for testCase in manifest.fatal_error_cases {
      if testCase.input_dirs.contains(where: { $0.contains("udn") || $0.contains("cudn") }) { continue }
      let io = CommandIO()
      let status = Kubereach.run(
        arguments: ["analyze", "--no-mesh"] + testCase.input_dirs.map(NetpolCorpus.path), io: io)
      let stderr = String(decoding: io.standardError, as: UTF8.self)
      if let difference = Self.deliberateDifferences[testCase.name ?? ""] {
        print("conformance: deliberate difference in \(testCase.label): \(difference.reason)")
        #expect(status == 0, "\(testCase.label) exited \(status)")
        #expect(stderr.contains("warning:") && stderr.contains("[\(difference.warning)]"), "\(testCase.label)")
        checked += 1
        continue
      }
      #expect(status == 2, "\(testCase.label) exited \(status)")
      #expect(stderr.contains("error:"), "\(testCase.label) printed no error")
      checked += 1
    }
    #expect(checked > 40)
    print("conformance: \(checked) fatal error cases checked")
  }
}
